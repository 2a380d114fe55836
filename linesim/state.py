"""Per-channel state: citizens, chat timelines, tokens, rich menus. In memory, one event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from . import ids
from .config import ChannelConfig, SimConfig
from .recorder import CallLog, FaultInjector

Sender = Literal["user", "bot"]


@dataclass
class User:
    user_id: str
    display_name: str
    picture_url: str | None = None
    status_message: str = ""
    language: str = "ja"
    following: bool = True
    unfollowed_once: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "userId": self.user_id,
            "displayName": self.display_name,
            "pictureUrl": self.picture_url,
            "statusMessage": self.status_message,
            "language": self.language,
            "following": self.following,
        }


@dataclass
class GroupChat:
    """A group (``C…``) or multi-person chat (``R…``, a "room") of citizens; the account may be in it."""

    chat_id: str
    kind: Literal["group", "room"]
    members: list[str]
    name: str = ""
    bot_in: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"chatId": self.chat_id, "type": self.kind, "members": self.members, "name": self.name,
                "botIn": self.bot_in}


@dataclass
class TimelineEntry:
    """One bubble in a citizen's chat: what the citizen sent, or what the bot delivered."""

    seq: int
    id: str
    sender: Sender
    timestamp: float
    message: dict[str, Any]
    via: str
    request_id: str | None = None
    #: In a group or room: the member who wrote it.
    author: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "id": self.id,
            "sender": self.sender,
            "timestamp": self.timestamp,
            "message": self.message,
            "via": self.via,
            "requestId": self.request_id,
            "author": self.author,
        }


@dataclass
class ReplyToken:
    token: str
    user_id: str | None
    issued_at: float
    used: bool = False


@dataclass
class AcceptedRequest:
    """A request accepted under an ``X-Line-Retry-Key``; a retry gets its id back with 409."""

    request_id: str
    accepted_at: float
    sent_messages: list[dict[str, str]] = field(default_factory=list)


@dataclass
class RichMenu:
    rich_menu_id: str
    body: dict[str, Any]
    image: bytes | None = None
    image_type: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"richMenuId": self.rich_menu_id, **self.body}


@dataclass
class Content:
    data: bytes
    content_type: str


@dataclass
class WebhookDelivery:
    """One POST of webhook events to the bot, and what it answered."""

    timestamp: float
    url: str | None
    event_ids: list[str]
    status: int | None
    error: str | None = None
    response_body: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200

    def as_json(self) -> dict[str, Any]:
        return {
            "timestamp": self.timestamp,
            "url": self.url,
            "eventIds": self.event_ids,
            "status": self.status,
            "error": self.error,
            "responseBody": self.response_body,
        }


class ChangeFeed:
    """A version counter that waiters can block on (simulator streams, test drivers)."""

    def __init__(self) -> None:
        self.version = 0
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        self.version += 1
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait(self, seen_version: int, max_wait: float | None = None) -> int:
        """Return the current version once it differs from ``seen_version`` (or on timeout)."""
        if self.version != seen_version:
            return self.version
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await asyncio.wait_for(waiter, max_wait)
        except TimeoutError:
            pass
        finally:
            self._waiters.discard(waiter)
        return self.version


class ChannelState:
    def __init__(self, config: ChannelConfig, clock: Callable[[], float]) -> None:
        self.config = config
        self.clock = clock
        self.webhook_url = config.webhook_url
        self.users: dict[str, User] = {}
        #: Groups and rooms by id; their timelines live in ``timelines`` under the same id.
        self.groups: dict[str, GroupChat] = {}
        self.timelines: dict[str, list[TimelineEntry]] = {}
        self.reply_tokens: dict[str, ReplyToken] = {}
        self.retry_keys: dict[str, AcceptedRequest] = {}
        self.rich_menus: dict[str, RichMenu] = {}
        self.aliases: dict[str, str] = {}
        self.default_rich_menu: str | None = None
        self.user_rich_menus: dict[str, str] = {}
        self.contents: dict[str, Content] = {}
        self.events: dict[str, dict[str, Any]] = {}
        self.deliveries: list[WebhookDelivery] = []
        self.messages_sent = 0
        self.loading_until: dict[str, float] = {}
        self.feed = ChangeFeed()
        self._seq = 0

    @property
    def name(self) -> str:
        return self.config.name

    # citizens -------------------------------------------------------------------------------
    def add_user(self, display_name: str, *, user_id: str | None = None, picture_url: str | None = None) -> User:
        uid = user_id or ids.user_id()
        if not ids.USER_ID_RE.match(uid):
            raise ValueError(f"not a LINE user id: {uid!r}")
        user = self.users.get(uid)
        if user is None:
            user = User(uid, display_name, picture_url)
            self.users[uid] = user
            self.timelines[uid] = []
            self.feed.notify()
        return user

    def followers(self) -> list[User]:
        return [u for u in self.users.values() if u.following]

    def add_group(self, members: list[str], kind: Literal["group", "room"] = "group", name: str = "") -> GroupChat:
        unknown = [m for m in members if m not in self.users]
        if unknown:
            raise ValueError(f"unknown users {unknown}")
        chat_id = ids.group_id() if kind == "group" else ids.room_id()
        group = self.groups[chat_id] = GroupChat(chat_id, kind, list(members), name)
        self.timelines[chat_id] = []
        self.feed.notify()
        return group

    def can_receive(self, chat_id: str | None) -> bool:
        """A following citizen, or a group/room the account is in."""
        if not chat_id:
            return False
        user = self.users.get(chat_id)
        if user is not None:
            return user.following
        group = self.groups.get(chat_id)
        return group is not None and group.bot_in

    # timelines ------------------------------------------------------------------------------
    def append(self, user_id: str, sender: Sender, message: dict[str, Any], via: str,
               *, message_id: str | None = None, request_id: str | None = None,
               author: str | None = None) -> TimelineEntry:
        self._seq += 1
        entry = TimelineEntry(self._seq, message_id or ids.message_id(), sender, self.clock(), message,
                              via, request_id, author)
        self.timelines.setdefault(user_id, []).append(entry)
        self.feed.notify()
        return entry

    def deliver(self, user_ids: Iterable[str | None], messages: list[dict[str, Any]], via: str,
                request_id: str) -> list[dict[str, str]]:
        """Put bot messages on the timelines of the (following) users, or of groups and rooms the
        account is in; return ``sentMessages``."""
        sent = [_sent_message(m) for m in messages]
        for uid in dict.fromkeys(user_ids):
            if uid is None or not self.can_receive(uid):
                continue
            for message, meta in zip(messages, sent, strict=True):
                self.append(uid, "bot", message, via, message_id=meta["id"], request_id=request_id)
                if via != "reply":
                    self.messages_sent += 1
            self.loading_until.pop(uid, None)
        return sent

    def unsend(self, chat_id: str, message_id: str, user_id: str) -> TimelineEntry | None:
        """Take a citizen's own message off a timeline (LINE's 送信取消); None when there is none."""
        timeline = self.timelines.get(chat_id, [])
        for i, entry in enumerate(timeline):
            if entry.id == message_id and entry.sender == "user" and entry.via == "webhook" \
                    and (entry.author or chat_id) == user_id:
                del timeline[i]
                self.feed.notify()
                return entry
        return None

    def bot_messages(self, user_id: str) -> list[TimelineEntry]:
        return [e for e in self.timelines.get(user_id, []) if e.sender == "bot"]

    # reply tokens ---------------------------------------------------------------------------
    def issue_reply_token(self, user_id: str | None) -> str:
        token = ids.reply_token()
        self.reply_tokens[token] = ReplyToken(token, user_id, self.clock())
        return token

    def use_reply_token(self, token: str, ttl: float) -> ReplyToken | None:
        """Spend a token; None when it is unknown, spent or expired."""
        entry = self.reply_tokens.get(token)
        if entry is None or entry.used or self.clock() - entry.issued_at > ttl:
            return None
        entry.used = True
        return entry

    # retry keys -----------------------------------------------------------------------------
    def accepted(self, retry_key: str, ttl: float) -> AcceptedRequest | None:
        entry = self.retry_keys.get(retry_key)
        if entry is not None and self.clock() - entry.accepted_at > ttl:
            del self.retry_keys[retry_key]
            return None
        return entry

    # rich menus -----------------------------------------------------------------------------
    def rich_menu_of(self, user_id: str) -> RichMenu | None:
        """The menu the citizen sees: the per-user link wins over the default."""
        menu_id = self.user_rich_menus.get(user_id) or self.default_rich_menu
        return self.rich_menus.get(menu_id) if menu_id else None

    def delete_rich_menu(self, rich_menu_id: str) -> None:
        del self.rich_menus[rich_menu_id]
        if self.default_rich_menu == rich_menu_id:
            self.default_rich_menu = None
        for uid in [u for u, m in self.user_rich_menus.items() if m == rich_menu_id]:
            del self.user_rich_menus[uid]
        self.feed.notify()


def _sent_message(message: dict[str, Any]) -> dict[str, str]:
    meta = {"id": ids.message_id()}
    if message.get("type") in {"text", "textV2", "image", "video", "sticker"}:
        meta["quoteToken"] = ids.quote_token()
    return meta


class SimState:
    """All of linesim's state: one `ChannelState` per configured channel, the call log, faults."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.clock = config.clock
        self.channels: dict[str, ChannelState] = {c.name: ChannelState(c, config.clock) for c in config.channels}
        self._by_token = {c.access_token: self.channels[c.name] for c in config.channels}
        self.calls = CallLog(config.max_recorded_calls)
        self.faults = FaultInjector()
        self.latency = config.latency

    def by_token(self, token: str) -> ChannelState | None:
        return self._by_token.get(token)

    def channel(self, name: str | None = None) -> ChannelState:
        """A channel by name; the first configured one when no name is given."""
        if name is None:
            return next(iter(self.channels.values()))
        return self.channels[name]

    def by_login_channel(self, client_id: str) -> ChannelState | None:
        for channel in self.channels.values():
            if channel.config.login_channel_id == client_id:
                return channel
        return None
