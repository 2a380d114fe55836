"""Messaging API: sending messages, profiles, message content, bot info and quota."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import ids
from .errors import LineApiError, bad_request, not_found
from .keys import REQUEST_ID, SERVICE
from .middleware import channel_of, json_body
from .state import AcceptedRequest, ChannelState
from .validation import validate_send

INVALID_TO = "The property, 'to', in the request body is invalid (line: -, column: -)"
routes = web.RouteTableDef()


def _ttl(request: web.Request, name: str) -> float:
    return getattr(request.app[SERVICE].config, name)


def _check_retry_key(request: web.Request, channel: ChannelState, *, with_messages: bool) -> str | None:
    """Refuse a request whose ``X-Line-Retry-Key`` was already accepted: 409, as LINE does."""
    key = request.headers.get("X-Line-Retry-Key")
    if key is None:
        return None
    if not ids.is_uuid(key):
        raise bad_request("The retry key must be a UUID (X-Line-Retry-Key)")
    accepted = channel.accepted(key, _ttl(request, "retry_key_ttl"))
    if accepted is not None:
        extra: dict[str, Any] = {"sentMessages": accepted.sent_messages} if with_messages else {}
        raise LineApiError(409, "The retry key is already accepted",
                           headers={"x-line-accepted-request-id": accepted.request_id}, extra=extra)
    return key


def _accept(request: web.Request, channel: ChannelState, key: str | None, sent: list[dict[str, str]]) -> None:
    if key is not None:
        channel.retry_keys[key] = AcceptedRequest(request[REQUEST_ID], channel.clock(), sent)


@routes.post("/v2/bot/message/reply")
async def reply(request: web.Request) -> web.Response:
    channel = channel_of(request)
    body = validate_send("reply", json_body(request))
    token = channel.use_reply_token(body["replyToken"], _ttl(request, "reply_token_ttl"))
    if token is None:
        raise bad_request("Invalid reply token")
    sent = channel.deliver([token.user_id], body["messages"], "reply", request[REQUEST_ID])
    return web.json_response({"sentMessages": sent})


@routes.post("/v2/bot/message/push")
async def push(request: web.Request) -> web.Response:
    channel = channel_of(request)
    body = validate_send("push", json_body(request))
    key = _check_retry_key(request, channel, with_messages=True)
    if body["to"] not in channel.users and not channel.can_receive(body["to"]):
        raise bad_request(INVALID_TO)
    sent = channel.deliver([body["to"]], body["messages"], "push", request[REQUEST_ID])
    _accept(request, channel, key, sent)
    return web.json_response({"sentMessages": sent})


@routes.post("/v2/bot/message/multicast")
async def multicast(request: web.Request) -> web.Response:
    channel = channel_of(request)
    body = validate_send("multicast", json_body(request))
    key = _check_retry_key(request, channel, with_messages=False)
    channel.deliver(body["to"], body["messages"], "multicast", request[REQUEST_ID])
    _accept(request, channel, key, [])
    return web.json_response({})


@routes.post("/v2/bot/message/broadcast")
async def broadcast(request: web.Request) -> web.Response:
    channel = channel_of(request)
    body = validate_send("broadcast", json_body(request))
    key = _check_retry_key(request, channel, with_messages=False)
    channel.deliver([u.user_id for u in channel.followers()], body["messages"], "broadcast", request[REQUEST_ID])
    _accept(request, channel, key, [])
    return web.json_response({})


@routes.post("/v2/bot/message/narrowcast")
async def narrowcast(request: web.Request) -> web.Response:
    """Delivered to every follower (audiences and demographic filters are not emulated);
    ``limit.max`` caps the number of recipients."""
    channel = channel_of(request)
    body = validate_send("narrowcast", json_body(request))
    key = _check_retry_key(request, channel, with_messages=False)
    recipients = [u.user_id for u in channel.followers()]
    limit = (body.get("limit") or {}).get("max")
    if isinstance(limit, int) and limit > 0:
        recipients = recipients[:limit]
    channel.deliver(recipients, body["messages"], "narrowcast", request[REQUEST_ID])
    _accept(request, channel, key, [])
    return web.json_response({}, status=202)


@routes.post("/v2/bot/message/validate/{kind:reply|push|multicast|broadcast|narrowcast}")
async def validate(request: web.Request) -> web.Response:
    body = json_body(request)
    if isinstance(body, dict):
        placeholder = {"reply": {"replyToken": "x"}, "push": {"to": "x"}, "multicast": {"to": ["x"]}}
        body = {**placeholder.get(request.match_info["kind"], {}), **body}
    validate_send(request.match_info["kind"], body)
    return web.json_response({})


@routes.get("/v2/bot/profile/{userId}")
async def profile(request: web.Request) -> web.Response:
    channel = channel_of(request)
    user = channel.users.get(request.match_info["userId"])
    if user is None or not user.following:
        raise not_found()
    picture = user.picture_url or f"{request.url.origin()}/linesim/avatar/{user.user_id}.svg"
    return web.json_response({
        "displayName": user.display_name, "userId": user.user_id, "language": user.language,
        "pictureUrl": picture, "statusMessage": user.status_message,
    })


@routes.post("/v2/bot/group/{chatId}/leave")
@routes.post("/v2/bot/room/{chatId}/leave")
async def leave_chat(request: web.Request) -> web.Response:
    """The account leaves a group or room (a ``leave`` event follows); 404 when it is not in it."""
    channel = channel_of(request)
    chat_id = request.match_info["chatId"]
    kind = request.path.split("/")[3]
    group = channel.groups.get(chat_id)
    if group is None or group.kind != kind or not await request.app[SERVICE].bot_leaves(channel, chat_id):
        raise not_found()
    return web.json_response({})


@routes.get("/v2/bot/followers/ids")
async def follower_ids(request: web.Request) -> web.Response:
    return web.json_response({"userIds": [u.user_id for u in channel_of(request).followers()]})


@routes.get("/v2/bot/message/{messageId}/content")
async def message_content(request: web.Request) -> web.Response:
    content = channel_of(request).contents.get(request.match_info["messageId"])
    if content is None:
        raise not_found()
    return web.Response(body=content.data, content_type=content.content_type)


@routes.get("/v2/bot/info")
async def bot_info(request: web.Request) -> web.Response:
    config = channel_of(request).config
    return web.json_response({
        "userId": config.bot_user_id, "basicId": "@" + config.bot_user_id[1:9],
        "displayName": config.bot_display_name, "chatMode": "bot", "markAsReadMode": "manual",
    })


@routes.get("/v2/bot/message/quota")
async def quota(request: web.Request) -> web.Response:
    return web.json_response({"type": "none"})


@routes.get("/v2/bot/message/quota/consumption")
async def quota_consumption(request: web.Request) -> web.Response:
    return web.json_response({"totalUsage": channel_of(request).messages_sent})


@routes.post("/v2/bot/chat/loading/start")
async def loading_start(request: web.Request) -> web.Response:
    """The "typing…" indicator: shown in the simulator until the next message or the timeout."""
    channel = channel_of(request)
    body = json_body(request)
    chat_id = body.get("chatId") if isinstance(body, dict) else None
    seconds = body.get("loadingSeconds", 20) if isinstance(body, dict) else 20
    if chat_id not in channel.users:
        raise bad_request("The property, 'chatId', in the request body is invalid")
    if not isinstance(seconds, int) or seconds % 5 or not 5 <= seconds <= 60:
        raise bad_request("loadingSeconds must be a multiple of 5 between 5 and 60")
    channel.loading_until[chat_id] = channel.clock() + seconds
    channel.feed.notify()
    return web.json_response({}, status=202)
