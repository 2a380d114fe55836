"""The LINE gateway: the only code that calls LINE (ARCHITECTURE.md principle 1).

It uses line-bot-sdk's async clients, one pair (messaging + blob) per LINE account, configured
with the account's base URLs (LINE's, or the local emulator's). Transient failures (429, 5xx,
connection errors) are retried with exponential backoff; pushes carry an ``X-Line-Retry-Key`` so a
retried push is delivered once (LINE answers 409 for a key it has already accepted). A semaphore
bounds concurrent calls to LINE.

Messages are sent as the JSON the turn produced, through the SDK client's ``call_api`` (its
host, auth, session and error handling) rather than its pydantic request models: converting every
answer into the SDK's models and back cost more CPU than the rest of a turn. LINE (and linesim,
which validates with the SDK's own models) still checks every message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from linebot.v3 import insight as line_insight
from linebot.v3.messaging import (
    ApiException,
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    Configuration,
)

from bot.settings import LineAccount

log = logging.getLogger(__name__)
T = TypeVar("T")


class LineError(Exception):
    def __init__(self, status: int | None, message: str) -> None:
        super().__init__(f"LINE {status}: {message}")
        self.status = status
        self.message = message


class InvalidReplyToken(LineError):
    """The reply token was already used or has expired: fall back to push."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 5.0

    def delay(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * 2**attempt) * (0.5 + random.random() / 2)


def _error_message(exc: ApiException | line_insight.ApiException) -> str:
    try:
        body = json.loads(exc.body or b"{}")
        return str(body.get("message") or exc.reason)
    except (ValueError, TypeError, AttributeError):
        return str(exc.reason)


def _proxy_configured() -> bool:
    names = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NETRC")
    return any(os.environ.get(n) or os.environ.get(n.lower()) for n in names) or (Path.home() / ".netrc").exists()


class JsonBody(dict):  # type: ignore[type-arg]
    """A request body that is already plain JSON data (our messages come from ``json.loads``)."""


class _ApiClient(AsyncApiClient):
    """The SDK's client, minus re-walking bodies that are plain JSON already: the SDK's
    ``sanitize_for_serialization`` visits every value of every message (~0.4 ms per reply)."""

    def sanitize_for_serialization(self, obj: Any) -> Any:
        if isinstance(obj, JsonBody):
            return obj
        return super().sanitize_for_serialization(obj)


class _Account:
    def __init__(self, account: LineAccount) -> None:
        self.account = account
        self.client = _ApiClient(
            Configuration(host=account.api_base_url, access_token=account.channel_access_token)
        )
        self.data_client = AsyncApiClient(
            Configuration(host=account.data_api_base_url, access_token=account.channel_access_token)
        )
        self.messaging = AsyncMessagingApi(self.client)
        self.blob = AsyncMessagingApiBlob(self.data_client)
        if not _proxy_configured():
            # The SDK's session trusts the environment, so aiohttp looks up ~/.netrc and the proxy
            # variables on every request (in a thread): a third of a reply's CPU. Without a proxy
            # configured at start-up there is nothing to find; with one, the SDK's behaviour stays.
            for client in (self.client, self.data_client):
                client.rest_client.pool_manager._trust_env = False
        self._insight_client: line_insight.AsyncApiClient | None = None

    @property
    def insight(self) -> line_insight.AsyncInsight:
        if self._insight_client is None:
            self._insight_client = line_insight.AsyncApiClient(line_insight.Configuration(
                host=self.account.api_base_url, access_token=self.account.channel_access_token))
        return line_insight.AsyncInsight(self._insight_client)

    async def close(self) -> None:
        await self.client.close()
        await self.data_client.close()
        if self._insight_client is not None:
            await self._insight_client.close()


class LineGateway:
    def __init__(
        self,
        accounts: dict[str, LineAccount],
        *,
        max_concurrency: int = 32,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._accounts = {name: _Account(a) for name, a in accounts.items()}
        self._limit = asyncio.Semaphore(max_concurrency)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep

    @property
    def channels(self) -> list[str]:
        return list(self._accounts)

    def messaging_api(self, channel: str) -> AsyncMessagingApi:
        """For features that manage LINE resources (rich menus): still only through this gateway."""
        return self._accounts[channel].messaging

    def blob_api(self, channel: str) -> AsyncMessagingApiBlob:
        return self._accounts[channel].blob

    async def close(self) -> None:
        for account in self._accounts.values():
            await account.close()

    async def _call(self, what: str, fn: Callable[[], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            try:
                async with self._limit:
                    return await fn()
            except (ApiException, line_insight.ApiException) as exc:
                status = exc.status
                if status == 429 or (status is not None and status >= 500):
                    if attempt + 1 >= self._retry.attempts:
                        raise LineError(status, _error_message(exc)) from exc
                    log.warning("%s: LINE answered %s, retrying", what, status)
                else:
                    raise LineError(status, _error_message(exc)) from exc
            except (TimeoutError, aiohttp.ClientError) as exc:
                if attempt + 1 >= self._retry.attempts:
                    raise LineError(None, f"{type(exc).__name__}: {exc}") from exc
                log.warning("%s: %s, retrying", what, exc)
            await self._sleep(self._retry.delay(attempt))
            attempt += 1

    async def _post(self, channel: str, path: str, body: dict[str, Any], retry_key: str | None = None) -> None:
        client = self._accounts[channel].client
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if retry_key:
            headers["X-Line-Retry-Key"] = retry_key
        await client.call_api(
            path, "POST", {}, [], headers, body=body, post_params=[], files={},
            response_types_map={}, auth_settings=["Bearer"], _return_http_data_only=True,
        )

    async def reply(self, channel: str, reply_token: str, messages: list[dict[str, Any]]) -> None:
        body = JsonBody(replyToken=reply_token, messages=messages)
        try:
            await self._call("reply", lambda: self._post(channel, "/v2/bot/message/reply", body))
        except LineError as exc:
            if exc.status == 400 and "reply token" in exc.message.lower():
                raise InvalidReplyToken(exc.status, exc.message) from exc
            raise

    async def push(self, channel: str, to: str, messages: list[dict[str, Any]], retry_key: str) -> None:
        body = JsonBody(to=to, messages=messages)
        try:
            await self._call("push", lambda: self._post(channel, "/v2/bot/message/push", body, retry_key))
        except LineError as exc:
            if exc.status == 409:
                return  # accepted earlier under this retry key: delivered once
            raise

    async def multicast(
        self, channel: str, to: list[str], messages: list[dict[str, Any]], retry_key: str, *,
        aggregation_unit: str | None = None,
    ) -> None:
        """≤ 500 recipients. ``aggregation_unit`` names the delivery for LINE's per-unit statistics."""
        body = JsonBody(to=to, messages=messages)
        if aggregation_unit:
            body["customAggregationUnits"] = [aggregation_unit]
        try:
            await self._call("multicast", lambda: self._post(channel, "/v2/bot/message/multicast", body, retry_key))
        except LineError as exc:
            if exc.status == 409:
                return
            raise

    async def unit_statistics(self, channel: str, unit: str, since: str, until: str) -> dict[str, Any] | None:
        """LINE's per-unit statistics of messages sent with ``aggregation_unit`` (dates ``yyyyMMdd``,
        Japan time); None when LINE has none (404). LINE leaves figures under 20 people null."""
        api = self._accounts[channel].insight
        try:
            result = await self._call("insight", lambda: api.get_statistics_per_unit(unit, since, until))
        except LineError as exc:
            if exc.status == 404:
                return None
            raise
        return result.to_dict()

    async def message_content(self, channel: str, message_id: str) -> bytes:
        """The bytes of an image (or other content) a citizen sent."""
        blob = self._accounts[channel].blob
        data = await self._call("content", lambda: blob.get_message_content(message_id))
        return bytes(data)

    async def leave_chat(self, channel: str, kind: str, chat_id: str) -> bool:
        """Leave a group (``kind="group"``) or room; False when the account was not in it (404)."""
        api = self._accounts[channel].messaging
        leave = api.leave_group if kind == "group" else api.leave_room
        try:
            await self._call("leave", lambda: leave(chat_id))
        except LineError as exc:
            if exc.status in (400, 404):
                return False
            raise
        return True

    async def profile(self, channel: str, user_id: str) -> dict[str, Any] | None:
        api = self._accounts[channel].messaging
        try:
            profile = await self._call("profile", lambda: api.get_profile(user_id))
        except LineError as exc:
            if exc.status == 404:
                return None
            raise
        return profile.to_dict()
