"""The LINE gateway: the only code that calls LINE (ARCHITECTURE.md principle 1).

It uses line-bot-sdk's async clients, one pair (messaging + blob) per LINE account, configured
with the account's base URLs (LINE's, or the local emulator's). Transient failures (connection
errors, timeouts, 5xx, 429) are retried a few times at once, with exponential backoff and LINE's
``Retry-After``; what still fails raises a ``LineError`` that says it is ``transient``, and the
caller (the outbox) tries again later. Only 4xx answers that can never succeed (400, 403, …) are
final. A circuit breaker per account (``bot.circuit``) stops calling LINE while it is down. Pushes
carry an ``X-Line-Retry-Key`` so a retried push is delivered once (LINE answers 409 for a key it
has already accepted). A semaphore bounds concurrent calls to LINE.

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
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import partial
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

from bot.circuit import BreakerPolicy, Circuit, CircuitBreaker
from bot.settings import LineAccount
from civic.clock import Clock, SystemClock

log = logging.getLogger(__name__)
T = TypeVar("T")

#: 4xx answers that may succeed later: 401 (the access token is being renewed), 408, 429.
RETRYABLE_4XX = frozenset({401, 408, 429})


class LineError(Exception):
    def __init__(self, status: int | None, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(f"LINE {status}: {message}")
        self.status = status
        self.message = message
        #: LINE's ``Retry-After`` (or the circuit's cool-down), seconds.
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        """Whether trying again later may succeed: network trouble (no status), 5xx, 401/408/429."""
        return self.status is None or self.status >= 500 or self.status in RETRYABLE_4XX


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


def _retry_after(exc: ApiException | line_insight.ApiException, now: datetime) -> float | None:
    """LINE's ``Retry-After`` in seconds (given as seconds or as an HTTP date), if any."""
    value = (getattr(exc, "headers", None) or {}).get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
    except (TypeError, ValueError):
        return None


def _proxy_configured() -> bool:
    names = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NETRC")
    return any(os.environ.get(n) or os.environ.get(n.lower()) for n in names) or (Path.home() / ".netrc").exists()


class JsonBody(dict):
    """A request body that is already plain JSON data (our messages come from ``json.loads``)."""


class _ApiClient(AsyncApiClient):
    """The SDK's client, minus re-walking bodies that are plain JSON already: the SDK's
    ``sanitize_for_serialization`` visits every value of every message (~0.4 ms per reply)."""

    def sanitize_for_serialization(self, obj: Any) -> Any:
        if isinstance(obj, JsonBody):
            return obj
        return super().sanitize_for_serialization(obj)


class _Account:
    def __init__(self, account: LineAccount, breaker: CircuitBreaker) -> None:
        self.account = account
        self.breaker = breaker
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
        breaker: BreakerPolicy | None = None,
        monotonic: Callable[[], float] | None = None,
        clock: Clock | None = None,
    ) -> None:
        #: Told the account's name when LINE answers again after its circuit was open.
        self.on_recovery: list[Callable[[str], None]] = []
        #: Told each attempt's outcome (ok, refused, failed, network, circuit_open) and LINE's status.
        self.on_call: list[Callable[[str, int | None], None]] = []
        extra = {"monotonic": monotonic} if monotonic is not None else {}
        self._accounts = {
            name: _Account(a, CircuitBreaker(breaker, on_recovery=partial(self._recovered, name), **extra))
            for name, a in accounts.items()
        }
        self._limit = asyncio.Semaphore(max_concurrency)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._clock = clock or SystemClock()

    def _recovered(self, channel: str) -> None:
        log.warning("LINE answers again (account %s): circuit closed", channel)
        for listener in self.on_recovery:
            listener(channel)

    def circuit(self, channel: str) -> Circuit:
        return self._accounts[channel].breaker.state

    def blocked_for(self, channel: str) -> float | None:
        """None when a call to LINE would go now; otherwise seconds until the circuit lets a probe go."""
        return self._accounts[channel].breaker.blocked_for()

    @property
    def channels(self) -> list[str]:
        return list(self._accounts)

    def messaging_api(self, channel: str) -> AsyncMessagingApi:
        """For features that manage LINE resources (rich menus): still only through this gateway."""
        return self._accounts[channel].messaging

    def blob_api(self, channel: str) -> AsyncMessagingApiBlob:
        return self._accounts[channel].blob

    def insight_api(self, channel: str) -> Any:
        """LINE's own statistics (followers, rich-menu clicks) for the staff dashboard."""
        return self._accounts[channel].insight

    async def close(self) -> None:
        for account in self._accounts.values():
            await account.close()

    def _tell(self, outcome: str, status: int | None) -> None:
        for listener in self.on_call:
            listener(outcome, status)

    async def _call(self, channel: str, what: str, fn: Callable[[], Awaitable[T]]) -> T:
        breaker = self._accounts[channel].breaker
        attempt = 0
        while True:
            blocked = breaker.admit()
            if blocked is not None:
                self._tell("circuit_open", None)
                raise LineError(None, "LINE is unavailable (circuit open)", retry_after=blocked)
            try:
                async with self._limit:
                    result = await fn()
            except (ApiException, line_insight.ApiException) as exc:
                error = LineError(exc.status, _error_message(exc), retry_after=_retry_after(exc, self._clock.now()))
                self._tell("failed" if error.transient else "refused", exc.status)
                if not error.transient:
                    breaker.success()  # LINE is up; this request cannot succeed
                    raise error from exc
                breaker.failure(error.retry_after)
                wait = max(self._retry.delay(attempt), error.retry_after or 0.0)
                if attempt + 1 >= self._retry.attempts or exc.status == 401 or wait > self._retry.max_delay:
                    raise error from exc
                log.warning("%s: LINE answered %s, retrying", what, exc.status)
            except (TimeoutError, aiohttp.ClientError) as exc:
                self._tell("network", None)
                breaker.failure()
                if attempt + 1 >= self._retry.attempts:
                    raise LineError(None, f"{type(exc).__name__}: {exc}") from exc
                log.warning("%s: %s, retrying", what, exc)
                wait = self._retry.delay(attempt)
            except BaseException:
                breaker.abandon()
                raise
            else:
                breaker.success()
                self._tell("ok", 200)
                return result
            await self._sleep(wait)
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
            await self._call(channel, "reply", lambda: self._post(channel, "/v2/bot/message/reply", body))
        except LineError as exc:
            if exc.status == 400 and "reply token" in exc.message.lower():
                raise InvalidReplyToken(exc.status, exc.message) from exc
            raise

    async def push(self, channel: str, to: str, messages: list[dict[str, Any]], retry_key: str) -> None:
        body = JsonBody(to=to, messages=messages)
        try:
            await self._call(channel, "push", lambda: self._post(channel, "/v2/bot/message/push", body, retry_key))
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
            await self._call(channel, "multicast", lambda: self._post(channel, "/v2/bot/message/multicast", body, retry_key))
        except LineError as exc:
            if exc.status == 409:
                return
            raise

    async def broadcast(self, channel: str, messages: list[dict[str, Any]], retry_key: str) -> None:
        """Every friend of the channel in one call (urgent deliveries to everyone, issue #22). LINE's
        broadcast takes no aggregation unit: its figures are the day's broadcast statistics."""
        body = JsonBody(messages=messages)
        try:
            await self._call(channel, "broadcast", lambda: self._post(channel, "/v2/bot/message/broadcast", body,
                                                                      retry_key))
        except LineError as exc:
            if exc.status == 409:
                return
            raise

    async def unit_statistics(self, channel: str, unit: str, since: str, until: str) -> dict[str, Any] | None:
        """LINE's per-unit statistics of messages sent with ``aggregation_unit`` (dates ``yyyyMMdd``,
        Japan time); None when LINE has none (404). LINE leaves figures under 20 people null."""
        api = self._accounts[channel].insight
        try:
            result = await self._call(channel, "insight", lambda: api.get_statistics_per_unit(unit, since, until))
        except LineError as exc:
            if exc.status == 404:
                return None
            raise
        return result.to_dict()

    async def message_content(self, channel: str, message_id: str) -> bytes:
        """The bytes of an image (or other content) a citizen sent."""
        blob = self._accounts[channel].blob
        data = await self._call(channel, "content", lambda: blob.get_message_content(message_id))
        return bytes(data)

    async def leave_chat(self, channel: str, kind: str, chat_id: str) -> bool:
        """Leave a group (``kind="group"``) or room; False when the account was not in it (404)."""
        api = self._accounts[channel].messaging
        leave = api.leave_group if kind == "group" else api.leave_room
        try:
            await self._call(channel, "leave", lambda: leave(chat_id))
        except LineError as exc:
            if exc.status in (400, 404):
                return False
            raise
        return True

    async def profile(self, channel: str, user_id: str) -> dict[str, Any] | None:
        api = self._accounts[channel].messaging
        try:
            profile = await self._call(channel, "profile", lambda: api.get_profile(user_id))
        except LineError as exc:
            if exc.status == 404:
                return None
            raise
        return profile.to_dict()
