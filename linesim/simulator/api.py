"""The JSON API behind the browser chat simulator: citizens, timelines, actions, live updates."""

from __future__ import annotations

import asyncio
import html
import json
from typing import Any

from aiohttp import web

from ..control_api import body_of, channel_param, error, service_of
from ..keys import STOPPING
from ..service import CitizenError
from ..state import ChannelState

routes = web.RouteTableDef()
STREAM_HEARTBEAT = 15.0
AVATAR_COLORS = ("#06c755", "#2d9cdb", "#f2994a", "#9b51e0", "#eb5757", "#219653")


def _user_id(request: web.Request, channel: ChannelState) -> str:
    user_id = request.match_info["userId"]
    if user_id not in channel.users:
        raise error(404, f"unknown user {user_id}")
    return user_id


def _menu_json(channel: ChannelState, user_id: str) -> dict[str, Any] | None:
    menu = channel.rich_menu_of(user_id)
    if menu is None or menu.image is None:
        return None
    return {**menu.as_json(), "imageUrl": f"/linesim/api/richmenus/{menu.rich_menu_id}/image?channel={channel.name}"}


def _loading(channel: ChannelState, user_id: str) -> bool:
    return channel.loading_until.get(user_id, 0) > channel.clock()


@routes.get("/linesim/api/channels")
async def channels(request: web.Request) -> web.Response:
    service = service_of(request)
    out = [
        {"name": c.name, "botUserId": c.config.bot_user_id, "displayName": c.config.bot_display_name,
         "webhookUrl": c.webhook_url, "channelId": c.config.channel_id, "loginChannelId": c.config.login_channel_id}
        for c in service.state.channels.values()
    ]
    places = [vars(p) for p in service.config.places]
    return web.json_response({"channels": out, "places": places})


@routes.get("/linesim/api/users")
async def list_users(request: web.Request) -> web.Response:
    channel = channel_param(request)
    return web.json_response({"users": [u.as_json() for u in channel.users.values()]})


@routes.post("/linesim/api/users")
async def create_user(request: web.Request) -> web.Response:
    """``{"displayName": "山田花子", "userId": optional, "pictureUrl": optional, "follow": bool}``."""
    channel = channel_param(request)
    body = await body_of(request)
    try:
        user = await service_of(request).create_user(
            channel, str(body.get("displayName") or ""), user_id=body.get("userId"),
            picture_url=body.get("pictureUrl"), follow=bool(body.get("follow", False)),
        )
    except CitizenError as exc:
        raise error(exc.status, str(exc)) from None
    return web.json_response(user.as_json(), status=201)


@routes.get("/linesim/api/users/{userId}/timeline")
async def timeline(request: web.Request) -> web.Response:
    channel = channel_param(request)
    user_id = _user_id(request, channel)
    after = int(request.query.get("after", "0") or 0)
    entries = [e.as_json() for e in channel.timelines.get(user_id, []) if e.seq > after]
    return web.json_response({"entries": entries, "richMenu": _menu_json(channel, user_id),
                              "loading": _loading(channel, user_id)})


@routes.get("/linesim/api/users/{userId}/stream")
async def stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: ``entry`` for each new bubble, ``richmenu`` when the citizen's menu
    changes, ``loading`` for the typing indicator. ``Last-Event-ID`` (or ``?after=``) resumes."""
    channel = channel_param(request)
    user_id = _user_id(request, channel)
    stopping = request.app[STOPPING]
    after = int(request.headers.get("Last-Event-ID") or request.query.get("after") or 0)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    menu_seen: Any = object()
    loading_seen: bool | None = None
    version = -1
    try:
        while not stopping.is_set():
            version = channel.feed.version
            chunks = []
            for entry in channel.timelines.get(user_id, []):
                if entry.seq > after:
                    after = entry.seq
                    chunks.append(f"id: {entry.seq}\nevent: entry\ndata: {json.dumps(entry.as_json())}\n\n")
            menu = _menu_json(channel, user_id)
            if menu != menu_seen:
                menu_seen = menu
                chunks.append(f"event: richmenu\ndata: {json.dumps(menu)}\n\n")
            loading = _loading(channel, user_id)
            if loading != loading_seen:
                loading_seen = loading
                chunks.append(f"event: loading\ndata: {json.dumps(loading)}\n\n")
            await response.write(("".join(chunks) or ": keep-alive\n\n").encode())
            waiter = asyncio.ensure_future(channel.feed.wait(version, STREAM_HEARTBEAT))
            stop = asyncio.ensure_future(stopping.wait())
            try:
                await asyncio.wait({waiter, stop}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
                stop.cancel()
    except ConnectionResetError:  # the browser went away; the next write noticed
        pass
    return response


@routes.post("/linesim/api/users/{userId}/actions")
async def act(request: web.Request) -> web.Response:
    """One citizen action: ``{"type": "text"|"location"|"sticker"|"postback"|"richmenuswitch"|
    "follow"|"unfollow"|"unsend", ...}`` (unsend: ``messageId``, optional ``chatId``). Answers with the webhook event and how the bot answered it."""
    service = service_of(request)
    channel = channel_param(request)
    user_id = _user_id(request, channel)
    body = await body_of(request)
    kind = body.get("type")
    try:
        if kind == "text":
            event = await service.send_text(channel, user_id, str(body.get("text") or ""))
        elif kind == "location":
            event = await service.send_location(channel, user_id, float(body["latitude"]), float(body["longitude"]),
                                                body.get("title"), body.get("address"))
        elif kind == "sticker":
            event = await service.send_sticker(channel, user_id, str(body.get("packageId", "446")),
                                               str(body.get("stickerId", "1988")))
        elif kind == "postback":
            event = await service.send_postback(channel, user_id, str(body.get("data") or ""),
                                                body.get("params") or None, body.get("displayText"))
        elif kind == "richmenuswitch":
            event = await service.switch_rich_menu(channel, user_id, str(body.get("richMenuAliasId") or ""),
                                                   str(body.get("data") or ""))
        elif kind == "follow":
            event = await service.follow(channel, user_id)
        elif kind == "unfollow":
            event = await service.unfollow(channel, user_id)
        elif kind == "unsend":
            event = await service.unsend(channel, user_id, str(body["messageId"]), body.get("chatId"))
        else:
            raise error(400, f"unknown action type {kind!r}")
    except (KeyError, TypeError, ValueError) as exc:
        raise error(400, f"bad action: {exc}") from None
    except CitizenError as exc:
        raise error(exc.status, str(exc)) from None
    delivery = channel.deliveries[-1].as_json() if event is not None and channel.deliveries else None
    return web.json_response({"event": event, "delivery": delivery})


@routes.post("/linesim/api/users/{userId}/liff")
async def open_liff(request: web.Request) -> web.Response:
    """``{"uri"}`` of a tapped URI action: ``{"url"}``, the page to open — for the channel's LIFF
    apps the endpoint page with an ID token for this citizen, as inside LINE; null otherwise."""
    channel = channel_param(request)
    user_id = _user_id(request, channel)
    uri = (await body_of(request)).get("uri")
    if not isinstance(uri, str) or not uri:
        raise error(400, "uri is required")
    try:
        url = service_of(request).open_liff(channel, user_id, uri)
    except CitizenError as exc:
        raise error(exc.status, str(exc)) from None
    return web.json_response({"url": url})


@routes.post("/linesim/api/users/{userId}/images")
async def send_image(request: web.Request) -> web.Response:
    """The image file as the raw body, with its Content-Type."""
    service = service_of(request)
    channel = channel_param(request)
    user_id = _user_id(request, channel)
    content_type = request.headers.get("Content-Type", "application/octet-stream")
    if not content_type.startswith("image/"):
        raise error(400, "Content-Type must be image/*")
    try:
        event = await service.send_image(channel, user_id, await request.read(), content_type)
    except CitizenError as exc:
        raise error(exc.status, str(exc)) from None
    return web.json_response({"event": event, "delivery": channel.deliveries[-1].as_json()})


@routes.get("/linesim/api/content/{messageId}")
async def content(request: web.Request) -> web.Response:
    item = channel_param(request).contents.get(request.match_info["messageId"])
    if item is None:
        raise error(404, "no such content")
    return web.Response(body=item.data, content_type=item.content_type)


@routes.get("/linesim/api/richmenus/{richMenuId}/image")
async def rich_menu_image(request: web.Request) -> web.Response:
    menu = channel_param(request).rich_menus.get(request.match_info["richMenuId"])
    if menu is None or menu.image is None:
        raise error(404, "no such rich menu image")
    return web.Response(body=menu.image, content_type=menu.image_type or "image/png")


@routes.get("/linesim/avatar/{userId}.svg")
async def avatar(request: web.Request) -> web.Response:
    """A generated profile picture: the first character of the name on a coloured circle."""
    user_id = request.match_info["userId"]
    name = next((c.users[user_id].display_name for c in service_of(request).state.channels.values()
                 if user_id in c.users), "?")
    color = AVATAR_COLORS[sum(map(ord, user_id)) % len(AVATAR_COLORS)]
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><circle cx="50" cy="50" r="50" '
           f'fill="{color}"/><text x="50" y="66" font-size="46" text-anchor="middle" fill="#fff" '
           f'font-family="sans-serif">{html.escape(name[:1])}</text></svg>')
    return web.Response(text=svg, content_type="image/svg+xml")
