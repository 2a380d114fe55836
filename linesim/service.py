"""What citizens do on LINE: the actions behind the browser simulator and the test driver.

Each action puts the citizen's side of the chat on the timeline, builds the webhook event LINE
would send (minting a reply token where LINE gives one) and delivers it to the bot.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from . import events, ids, idtoken
from .config import LiffApp, SimConfig
from .state import ChannelState, Content, GroupChat, SimState, User, WebhookDelivery
from .webhook_sender import WebhookSender


class CitizenError(Exception):
    """An action that cannot happen (unknown citizen, blocked account, unknown event)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class LineSimService:
    """linesim's in-process API: state plus the citizen-side actions."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.state = SimState(config)
        self.webhook = WebhookSender(config.webhook_timeout)

    def _now(self) -> float:
        return self.state.clock()

    def channel(self, name: str | None = None) -> ChannelState:
        try:
            return self.state.channel(name)
        except KeyError:
            raise CitizenError(f"unknown channel {name!r}", 404) from None

    # citizens -------------------------------------------------------------------------------
    async def create_user(self, channel: ChannelState, display_name: str, *, user_id: str | None = None,
                          picture_url: str | None = None, follow: bool = False) -> User:
        """Create a citizen. With ``follow`` the citizen adds the account as a friend (follow event);
        without it the citizen is simply already a friend."""
        if not display_name.strip():
            raise CitizenError("display name is empty")
        try:
            user = channel.add_user(display_name.strip(), user_id=user_id, picture_url=picture_url)
        except ValueError as exc:
            raise CitizenError(str(exc)) from exc
        if follow:
            user.following = False
            await self.follow(channel, user.user_id)
        return user

    def _user(self, channel: ChannelState, user_id: str, *, following: bool = True) -> User:
        user = channel.users.get(user_id)
        if user is None:
            raise CitizenError(f"unknown user {user_id}", 404)
        if following and not user.following:
            raise CitizenError(f"{user_id} has blocked the account (unfollowed)", 409)
        return user

    async def _message_event(self, channel: ChannelState, user_id: str, message: dict[str, Any],
                             shown: dict[str, Any]) -> dict[str, Any]:
        channel.append(user_id, "user", shown, "webhook", message_id=message["id"])
        token = channel.issue_reply_token(user_id)
        event = events.event("message", user_id, self._now(), reply_token=token, message=message)
        await self.dispatch(channel, [event])
        return event

    # citizen actions ------------------------------------------------------------------------
    async def send_text(self, channel: ChannelState, user_id: str, text: str) -> dict[str, Any]:
        self._user(channel, user_id)
        if not text:
            raise CitizenError("text is empty")
        message = events.text_message(ids.message_id(), text)
        return await self._message_event(channel, user_id, message, {"type": "text", "text": text})

    async def send_image(self, channel: ChannelState, user_id: str, data: bytes,
                         content_type: str = "image/jpeg") -> dict[str, Any]:
        self._user(channel, user_id)
        if not data:
            raise CitizenError("image is empty")
        message = events.image_message(ids.message_id())
        channel.contents[message["id"]] = Content(data, content_type)
        url = f"/linesim/api/content/{quote(message['id'], safe='')}?{urlencode({'channel': channel.name})}"
        shown = {"type": "image", "originalContentUrl": url, "previewImageUrl": url}
        return await self._message_event(channel, user_id, message, shown)

    async def send_location(self, channel: ChannelState, user_id: str, latitude: float, longitude: float,
                            title: str | None = None, address: str | None = None) -> dict[str, Any]:
        self._user(channel, user_id)
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise CitizenError("latitude/longitude out of range")
        message = events.location_message(ids.message_id(), latitude, longitude, title, address)
        shown = {k: v for k, v in message.items() if k != "id"}
        shown.setdefault("title", "位置情報")
        shown.setdefault("address", f"{latitude:.6f}, {longitude:.6f}")
        return await self._message_event(channel, user_id, message, shown)

    async def send_sticker(self, channel: ChannelState, user_id: str, package_id: str = "446",
                           sticker_id: str = "1988") -> dict[str, Any]:
        self._user(channel, user_id)
        message = events.sticker_message(ids.message_id(), str(package_id), str(sticker_id))
        shown = {"type": "sticker", "packageId": str(package_id), "stickerId": str(sticker_id)}
        return await self._message_event(channel, user_id, message, shown)

    async def send_postback(self, channel: ChannelState, user_id: str, data: str,
                            params: dict[str, str] | None = None,
                            display_text: str | None = None) -> dict[str, Any]:
        """A postback (button, quick reply, rich-menu area, datetime picker). A ``display_text`` is
        shown in the chat as the citizen's words, but no message event is sent for it."""
        self._user(channel, user_id)
        if display_text:
            channel.append(user_id, "user", {"type": "text", "text": display_text}, "postback")
        token = channel.issue_reply_token(user_id)
        event = events.event("postback", user_id, self._now(), reply_token=token,
                             postback=events.postback(data, params))
        await self.dispatch(channel, [event])
        return event

    async def switch_rich_menu(self, channel: ChannelState, user_id: str, alias_id: str,
                               data: str = "") -> dict[str, Any]:
        """A ``richmenuswitch`` tap: link the aliased menu to the citizen, then send the postback."""
        self._user(channel, user_id)
        menu_id = channel.aliases.get(alias_id)
        if menu_id is None:
            status = "RICHMENU_ALIAS_ID_NOTFOUND"
        elif menu_id not in channel.rich_menus:
            status = "RICHMENU_NOTFOUND"
        else:
            status = "SUCCESS"
            channel.user_rich_menus[user_id] = menu_id
            channel.feed.notify()
        params = {"newRichMenuAliasId": alias_id, "status": status}
        token = channel.issue_reply_token(user_id)
        event = events.event("postback", user_id, self._now(), reply_token=token,
                             postback=events.postback(data, params))
        await self.dispatch(channel, [event])
        return event

    async def follow(self, channel: ChannelState, user_id: str) -> dict[str, Any]:
        user = self._user(channel, user_id, following=False)
        unblocked = not user.following and user.unfollowed_once
        user.following = True
        channel.feed.notify()
        token = channel.issue_reply_token(user_id)
        event = events.event("follow", user_id, self._now(), reply_token=token,
                             follow={"isUnblocked": unblocked})
        await self.dispatch(channel, [event])
        return event

    async def unfollow(self, channel: ChannelState, user_id: str) -> dict[str, Any]:
        user = self._user(channel, user_id, following=False)
        user.following = False
        user.unfollowed_once = True
        channel.feed.notify()
        event = events.event("unfollow", user_id, self._now())
        await self.dispatch(channel, [event])
        return event

    async def unsend(self, channel: ChannelState, user_id: str, message_id: str,
                     chat_id: str | None = None) -> dict[str, Any] | None:
        """送信取消: the citizen takes back one of their own messages (in their chat with the account,
        or in a group/room). The bot gets an ``unsend`` event (none from a group it is not in)."""
        self._user(channel, user_id, following=chat_id is None)
        if channel.unsend(chat_id or user_id, str(message_id), user_id) is None:
            raise CitizenError(f"no message {message_id} of {user_id} to unsend", 404)
        group = channel.groups.get(chat_id) if chat_id else None
        if group is not None and not group.bot_in:
            return None
        event = events.event("unsend", user_id, self._now(), chat=(group.kind, group.chat_id) if group else None,
                             unsend={"messageId": str(message_id)})
        await self.dispatch(channel, [event])
        return event

    # groups and rooms -----------------------------------------------------------------------
    def _group(self, channel: ChannelState, chat_id: str) -> GroupChat:
        group = channel.groups.get(chat_id)
        if group is None:
            raise CitizenError(f"unknown group or room {chat_id}", 404)
        return group

    def create_group(self, channel: ChannelState, members: list[str], kind: str = "group",
                     name: str = "") -> GroupChat:
        """A group (or, with ``kind="room"``, a multi-person chat) of citizens, without the account."""
        if kind not in ("group", "room"):
            raise CitizenError("kind must be group or room")
        try:
            return channel.add_group(members, "room" if kind == "room" else "group", name)
        except ValueError as exc:
            raise CitizenError(str(exc)) from exc

    async def invite(self, channel: ChannelState, chat_id: str) -> dict[str, Any]:
        """A member adds the account to the group or room: a ``join`` event with a reply token."""
        group = self._group(channel, chat_id)
        if group.bot_in:
            raise CitizenError(f"the account is already in {chat_id}", 409)
        group.bot_in = True
        channel.feed.notify()
        token = channel.issue_reply_token(chat_id)
        event = events.event("join", None, self._now(), reply_token=token, chat=(group.kind, chat_id))
        await self.dispatch(channel, [event])
        return event

    async def send_group_text(self, channel: ChannelState, chat_id: str, user_id: str,
                              text: str) -> dict[str, Any] | None:
        """A member writes in the group; the bot gets the message event only while it is in it."""
        group = self._group(channel, chat_id)
        self._user(channel, user_id, following=False)
        if user_id not in group.members:
            raise CitizenError(f"{user_id} is not a member of {chat_id}")
        if not text:
            raise CitizenError("text is empty")
        message = events.text_message(ids.message_id(), text)
        channel.append(chat_id, "user", {"type": "text", "text": text}, "webhook", message_id=message["id"],
                       author=user_id)
        if not group.bot_in:
            return None
        token = channel.issue_reply_token(chat_id)
        event = events.event("message", user_id, self._now(), reply_token=token, chat=(group.kind, chat_id),
                             message=message)
        await self.dispatch(channel, [event])
        return event

    async def bot_leaves(self, channel: ChannelState, chat_id: str) -> bool:
        """The account leaves (the leave API): a ``leave`` event follows. False: it was not in it."""
        group = channel.groups.get(chat_id)
        if group is None or not group.bot_in:
            return False
        group.bot_in = False
        channel.feed.notify()
        await self.dispatch(channel, [events.event("leave", None, self._now(), chat=(group.kind, chat_id))])
        return True

    # delivery -------------------------------------------------------------------------------
    async def dispatch(self, channel: ChannelState, batch: list[dict[str, Any]]) -> WebhookDelivery:
        for event in batch:
            channel.events[event["webhookEventId"]] = event
        return await self.webhook.deliver(channel, batch)

    async def redeliver(self, channel: ChannelState, event_or_id: dict[str, Any] | str) -> dict[str, Any]:
        """Send an earlier event again: same ``webhookEventId``, ``deliveryContext.isRedelivery`` true."""
        event_id = event_or_id if isinstance(event_or_id, str) else event_or_id["webhookEventId"]
        original = channel.events.get(event_id)
        if original is None:
            raise CitizenError(f"unknown webhookEventId {event_id}", 404)
        again = events.as_redelivery(original)
        await self.webhook.deliver(channel, [again])
        return again

    # tokens for benchmarks and LIFF ---------------------------------------------------------
    def mint_reply_tokens(self, channel: ChannelState, count: int, user_id: str | None = None) -> list[str]:
        if not 1 <= count <= 100_000:
            raise CitizenError("count must be between 1 and 100000")
        if user_id is not None:
            self._user(channel, user_id)
        return [channel.issue_reply_token(user_id) for _ in range(count)]

    def open_liff(self, channel: ChannelState, user_id: str, uri: str) -> str | None:
        """Where the LINE app goes when the citizen taps a URI action to ``uri``: for one of the
        channel's LIFF apps (``https://liff.line.me/<id>…``, or a page under the app's endpoint URL)
        the endpoint page with ``id_token`` (what ``liff.getIDToken()`` returns there) added to its
        query; None for any other address (LINE's in-app browser opens it as it is)."""
        target = _liff_target(channel.config.liff_apps, uri)
        if target is None:
            return None
        token = self.mint_id_token(channel, user_id)
        parts = urlsplit(target)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "id_token"]
        return urlunsplit(parts._replace(query=urlencode([*query, ("id_token", token)])))

    def mint_id_token(self, channel: ChannelState, user_id: str, *, nonce: str | None = None,
                      expires_in: int = 3600) -> str:
        user = self._user(channel, user_id, following=False)
        now = int(self._now())
        claims: dict[str, Any] = {
            "iss": idtoken.ISSUER, "sub": user_id, "aud": channel.config.login_channel_id,
            "exp": now + expires_in, "iat": now, "amr": ["linesso"], "name": user.display_name,
        }
        if user.picture_url:
            claims["picture"] = user.picture_url
        if nonce:
            claims["nonce"] = nonce
        return idtoken.mint(claims, channel.config.login_channel_secret)


LIFF_URL = re.compile(r"^https://liff\.line\.me/([^/?#]+)(.*)$")


def _liff_target(apps: Sequence[LiffApp], uri: str) -> str | None:
    """The endpoint page a URI opens as a LIFF app, or None. ``https://liff.line.me/<id>/<path>?<q>#<f>``
    maps onto the app's endpoint; an address under an endpoint URL is that app's page already."""
    found = LIFF_URL.match(uri)
    if found is None:
        return uri if any(uri.startswith(a.endpoint_url) for a in apps) else None
    app = next((a for a in apps if a.liff_id == found.group(1)), None)
    if app is None:
        return None
    rest = found.group(2)
    return app.endpoint_url.rstrip("/") + rest if rest.startswith("/") else app.endpoint_url + rest
