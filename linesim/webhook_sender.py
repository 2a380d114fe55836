"""Signs webhook bodies and POSTs them to the bot, as LINE does."""

from __future__ import annotations

from typing import Any

import aiohttp

from .events import signature, webhook_body
from .state import ChannelState, WebhookDelivery

USER_AGENT = "LineBotWebhook/2.0"


class WebhookSender:
    """Owns the HTTP session used for webhook deliveries (opened and closed by the app)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def deliver(self, channel: ChannelState, events: list[dict[str, Any]]) -> WebhookDelivery:
        """POST ``events`` to the channel's webhook URL; the outcome is kept in ``channel.deliveries``."""
        url = channel.webhook_url
        event_ids = [e["webhookEventId"] for e in events]
        delivery = WebhookDelivery(channel.clock(), url, event_ids, None)
        channel.deliveries.append(delivery)
        if not url:
            delivery.error = "no webhook URL is configured for this channel"
            return delivery
        body = webhook_body(channel.config.bot_user_id, events)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Line-Signature": signature(channel.config.secret, body),
            "User-Agent": USER_AGENT,
        }
        await self.open()
        assert self._session is not None
        try:
            async with self._session.post(url, data=body, headers=headers) as response:
                delivery.status = response.status
                delivery.response_body = (await response.text(errors="replace"))[:2000]
        except (aiohttp.ClientError, TimeoutError) as exc:
            delivery.error = f"{type(exc).__name__}: {exc}"
        channel.feed.notify()
        return delivery
