"""An async driver for a running linesim: citizen actions in, the bot's messages and calls out.

No pytest here, so benchmarks and scripts can use it too; `linesim.testing` wraps it in fixtures.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from .app import create_app
from .config import DEMO_PLACES, ChannelConfig, SimConfig
from .keys import SERVICE
from .recorder import CallRecord, Outage
from .service import LineSimService
from .state import ChannelState, WebhookDelivery

TEST_SECRET = "linesim-test-channel-secret"
TEST_TOKEN = "linesim-test-access-token"


class WebhookDeliveryError(AssertionError):
    """The bot did not answer a webhook delivery with 200 (raised while ``strict``)."""


class LineSim:
    """Drives one channel of a running linesim, in-process.

    Citizen actions (``send_text`` …) return the webhook event and wait for the bot's answer to
    the webhook POST. With ``strict`` (default) a non-200 answer raises `WebhookDeliveryError`.
    """

    def __init__(self, app: web.Application, url: str, channel: str | None = None, *, strict: bool = True) -> None:
        self.app = app
        self.url = url.rstrip("/")
        self.service: LineSimService = app[SERVICE]
        self.channel: ChannelState = self.service.channel(channel)
        self.strict = strict
        self._cursors: dict[str, int] = {}

    # configuration --------------------------------------------------------------------------
    @property
    def access_token(self) -> str:
        return self.channel.config.access_token

    @property
    def channel_secret(self) -> str:
        return self.channel.config.secret

    def for_channel(self, name: str) -> LineSim:
        """A driver for another configured channel of the same linesim."""
        return LineSim(self.app, self.url, name, strict=self.strict)

    def sdk_configuration(self) -> Any:
        """A line-bot-sdk ``Configuration`` pointing at this linesim with this channel's token."""
        from linebot.v3.messaging import Configuration

        return Configuration(host=self.url, access_token=self.access_token)

    def set_webhook_url(self, url: str | None) -> None:
        self.channel.webhook_url = url

    def fail_next(self, path: str, status: int, times: int = 1, method: str | None = None) -> None:
        """Answer the next ``times`` requests on ``path`` (``*`` suffix: prefix) with ``status``."""
        self.service.state.faults.add(path, status, times, method)

    def set_latency(self, seconds: float) -> None:
        self.service.state.latency = seconds

    def line_down(self, mode: str = "error", *, status: int = 503, retry_after: int | None = None) -> None:
        """LINE is down until `line_up`: every Messaging API call is answered with ``status``
        (``error``), loses its connection (``disconnect``) or hangs (``hold``)."""
        self.service.state.faults.go_down(Outage(mode, status, retry_after))

    def line_up(self) -> None:
        """LINE is back; calls a ``hold`` outage kept waiting go on."""
        self.service.state.faults.lift()

    @property
    def held(self) -> int:
        """Calls waiting for a ``hold`` outage to end."""
        return self.service.state.faults.held

    async def wait_held(self, count: int, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Until at least ``count`` calls are kept waiting by a ``hold`` outage."""
        async with asyncio.timeout(timeout):
            await self.service.state.faults.wait_held(count)

    # citizens -------------------------------------------------------------------------------
    def create_user(self, display_name: str = "テスト市民", *, user_id: str | None = None,
                    picture_url: str | None = None) -> str:
        """A citizen who is already a friend of the account (no follow event; call `follow` for one)."""
        return self.channel.add_user(display_name, user_id=user_id, picture_url=picture_url).user_id

    async def _checked(self, action: Awaitable[Any]) -> Any:
        before = len(self.channel.deliveries)
        event = await action
        if self.strict and self.channel.webhook_url:
            for delivery in self.channel.deliveries[before:]:
                if not delivery.ok:
                    raise WebhookDeliveryError(
                        f"webhook {delivery.url} answered {delivery.status or delivery.error}: {delivery.response_body}"
                    )
        return event

    async def send_text(self, user_id: str, text: str) -> dict[str, Any]:
        return await self._checked(self.service.send_text(self.channel, user_id, text))

    async def send_image(self, user_id: str, data: bytes, content_type: str = "image/jpeg") -> dict[str, Any]:
        return await self._checked(self.service.send_image(self.channel, user_id, data, content_type))

    async def send_location(self, user_id: str, latitude: float, longitude: float, title: str | None = None,
                            address: str | None = None) -> dict[str, Any]:
        return await self._checked(self.service.send_location(self.channel, user_id, latitude, longitude,
                                                              title, address))

    async def send_sticker(self, user_id: str, package_id: str = "446", sticker_id: str = "1988") -> dict[str, Any]:
        return await self._checked(self.service.send_sticker(self.channel, user_id, package_id, sticker_id))

    async def send_postback(self, user_id: str, data: str, params: dict[str, str] | None = None,
                            display_text: str | None = None) -> dict[str, Any]:
        return await self._checked(self.service.send_postback(self.channel, user_id, data, params, display_text))

    async def follow(self, user_id: str) -> dict[str, Any]:
        return await self._checked(self.service.follow(self.channel, user_id))

    async def unfollow(self, user_id: str) -> dict[str, Any]:
        return await self._checked(self.service.unfollow(self.channel, user_id))

    async def unsend(self, user_id: str, message_id: str, chat_id: str | None = None) -> dict[str, Any] | None:
        """送信取消 of the citizen's message ``message_id`` (the ``message.id`` of the event that sent
        it), in their chat with the account or in group/room ``chat_id``."""
        return await self._checked(self.service.unsend(self.channel, user_id, message_id, chat_id))

    # groups and rooms -----------------------------------------------------------------------
    def create_group(self, members: list[str], kind: str = "group", name: str = "") -> str:
        """A group (``kind="room"``: a multi-person chat) of these citizens; the account is not in it yet."""
        return self.service.create_group(self.channel, members, kind, name).chat_id

    async def invite(self, chat_id: str) -> dict[str, Any]:
        """A member adds the account to the group or room (a ``join`` event)."""
        return await self._checked(self.service.invite(self.channel, chat_id))

    async def send_group_text(self, chat_id: str, user_id: str, text: str) -> dict[str, Any] | None:
        """A member writes in the group or room (no event while the account is not in it)."""
        return await self._checked(self.service.send_group_text(self.channel, chat_id, user_id, text))

    def in_chat(self, chat_id: str) -> bool:
        """Whether the account is (still) in the group or room."""
        group = self.channel.groups.get(chat_id)
        return group is not None and group.bot_in

    async def redeliver(self, event: dict[str, Any] | str) -> dict[str, Any]:
        """Send an event again with the same ``webhookEventId`` and ``isRedelivery: true``."""
        return await self._checked(self.service.redeliver(self.channel, event))

    async def tap_rich_menu(self, user_id: str, area: int) -> dict[str, Any] | None:
        """Tap area number ``area`` of the menu the citizen sees, as the LINE app would.

        Returns the webhook event sent, or None for a ``uri`` area (it only opens a page)."""
        menu = self.channel.rich_menu_of(user_id)
        if menu is None:
            raise LookupError(f"{user_id} sees no rich menu")
        action = menu.body["areas"][area]["action"]
        kind = action.get("type")
        if kind == "postback":
            return await self.send_postback(user_id, action.get("data", ""), None, action.get("displayText"))
        if kind == "message":
            return await self.send_text(user_id, action["text"])
        if kind == "richmenuswitch":
            return await self._checked(self.service.switch_rich_menu(
                self.channel, user_id, action["richMenuAliasId"], action.get("data", "")))
        if kind == "datetimepicker":
            raise ValueError("use send_postback(user_id, data, params={...}) for a datetime picker")
        return None

    def rich_menu_id_of(self, user_id: str) -> str | None:
        """The id of the menu the citizen sees (per-user link, else the default)."""
        menu = self.channel.rich_menu_of(user_id)
        return menu.rich_menu_id if menu else None

    # what the bot did -----------------------------------------------------------------------
    def messages(self, user_id: str) -> list[dict[str, Any]]:
        """Every message the bot delivered to the citizen (reply, push, multicast, broadcast…), or
        into the group or room with that id."""
        return [e.message for e in self.channel.bot_messages(user_id)]

    async def wait_for_messages(self, user_id: str, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:  # noqa: ASYNC109
        """Wait until ``count`` new messages reached the citizen and return exactly those.

        "New" means delivered after the messages an earlier call for this citizen returned, so
        consecutive calls walk through the conversation. Raises TimeoutError with what did arrive."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        start = self._cursors.get(user_id, 0)
        while True:
            version = self.channel.feed.version
            new = [e for e in self.channel.bot_messages(user_id) if e.seq > start]
            if len(new) >= count:
                taken = new[:count]
                self._cursors[user_id] = taken[-1].seq
                return [e.message for e in taken]
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{user_id} got {len(new)} of {count} messages: {[e.message for e in new]}")
            await self.channel.feed.wait(version, remaining)

    def calls(self, path_prefix: str | None = None, *, since: float | None = None,
              method: str | None = None) -> list[CallRecord]:
        """Recorded Messaging API calls of this channel (``path_prefix`` like ``/v2/bot/message``)."""
        return self.service.state.calls.query(path_prefix, since, self.channel.name, method)

    def clear_calls(self) -> None:
        self.service.state.calls.clear()

    @property
    def deliveries(self) -> list[WebhookDelivery]:
        return self.channel.deliveries

    def mint_reply_tokens(self, count: int, user_id: str | None = None) -> list[str]:
        return self.service.mint_reply_tokens(self.channel, count, user_id)

    def mint_id_token(self, user_id: str, *, nonce: str | None = None, expires_in: int = 3600) -> str:
        """What ``liff.getIDToken()`` would give this citizen in a LIFF app of this channel."""
        return self.service.mint_id_token(self.channel, user_id, nonce=nonce, expires_in=expires_in)


@asynccontextmanager
async def run_linesim(config: SimConfig, *, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[LineSim]:
    """Serve linesim on ``host:port`` (0: a free port) for the duration of the block."""
    app = create_app(config)
    runner = web.AppRunner(app, shutdown_timeout=5.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        yield LineSim(app, f"http://{bound_host}:{bound_port}")
    finally:
        await runner.cleanup()


def default_config(webhook_url: str | None = None) -> SimConfig:
    channel = ChannelConfig("test", TEST_SECRET, TEST_TOKEN, webhook_url)
    return SimConfig(channels=[channel], places=DEMO_PLACES)
