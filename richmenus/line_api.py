"""The LINE API clients for one account (production or test), as line-bot-sdk's async clients.

Publishing takes a ``LineApiFactory``; the service's LINE gateway provides one (so every call to
LINE still leaves through one place), and ``SdkLineApis`` is the plain implementation from tokens.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from linebot.v3.insight import AsyncApiClient as AsyncInsightClient
from linebot.v3.insight import AsyncInsight
from linebot.v3.insight import Configuration as InsightConfiguration
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    Configuration,
)

from richmenus.errors import RichMenuError
from richmenus.models import PRODUCTION, TEST

ACCOUNT_NAMES = {PRODUCTION: "公開用アカウント", TEST: "テスト用アカウント"}


@dataclass
class LineApis:
    messaging: AsyncMessagingApi
    blob: AsyncMessagingApiBlob
    #: LINE's own statistics (followers, blocks, rich-menu clicks); None where not provided.
    insight: AsyncInsight | None = None


class LineApiFactory(Protocol):
    def __call__(self, account: str) -> contextlib.AbstractAsyncContextManager[LineApis]:
        """Clients authenticated as ``account`` ("production" or "test"), closed on exit."""
        ...


@dataclass(frozen=True)
class AccountCredentials:
    access_token: str
    api_base_url: str = "https://api.line.me"
    #: Images go to api-data.line.me on LINE; the local emulator serves both from one base URL.
    data_base_url: str = "https://api-data.line.me"


class SdkLineApis:
    def __init__(self, accounts: Mapping[str, AccountCredentials]) -> None:
        self.accounts = dict(accounts)

    @contextlib.asynccontextmanager
    async def __call__(self, account: str) -> AsyncIterator[LineApis]:
        credentials = self.accounts.get(account)
        if credentials is None:
            raise RichMenuError("unavailable", "account_not_configured",
                                f"{ACCOUNT_NAMES.get(account, account)}の LINE 設定（チャネルアクセストークン）がありません。"
                                "サーバーの設定を確認してください。")
        api = AsyncApiClient(Configuration(host=credentials.api_base_url, access_token=credentials.access_token))
        data = AsyncApiClient(Configuration(host=credentials.data_base_url, access_token=credentials.access_token))
        insight = AsyncInsightClient(InsightConfiguration(host=credentials.api_base_url,
                                                          access_token=credentials.access_token))
        async with api, data, insight:
            yield LineApis(AsyncMessagingApi(api), AsyncMessagingApiBlob(data), AsyncInsight(insight))


def line_message(exc: Exception) -> str:
    """LINE's own explanation from an error answer, when it gave one."""
    body = getattr(exc, "body", None)
    if isinstance(body, bytes | bytearray):
        body = body.decode("utf-8", "replace")
    try:
        data = json.loads(body or "")
    except ValueError:
        return str(body or getattr(exc, "reason", "") or "")[:300]
    message = data.get("message", "") if isinstance(data, dict) else ""
    details = data.get("details") if isinstance(data, dict) else None
    if details:
        message += " (" + "; ".join(f"{d.get('property', '')}: {d.get('message', '')}" for d in details[:3]) + ")"
    return message[:300]


class GatewayLike(Protocol):
    """What the service's LINE gateway offers (``bot.gateway.LineGateway``)."""

    @property
    def channels(self) -> list[str]: ...

    def messaging_api(self, channel: str) -> AsyncMessagingApi: ...

    def blob_api(self, channel: str) -> AsyncMessagingApiBlob: ...


class GatewayLineApis:
    """A ``LineApiFactory`` over the service's gateway: its clients, which the gateway opens and closes.

    ``gateway`` provides the gateway when a call is made (the service opens it when it starts, after
    this is built): ``RichMenuPublisher(db, clock, GatewayLineApis(core.gateway.get), segments)``, or
    ``GatewayLineApis(lambda: gateway)`` with one at hand. LINE's insight figures need their own
    client: pass ``insight=SdkLineApis(...)`` to add it.
    """

    def __init__(self, gateway: Callable[[], GatewayLike], *, insight: SdkLineApis | None = None) -> None:
        self._gateway, self.insight = gateway, insight

    @contextlib.asynccontextmanager
    async def __call__(self, account: str) -> AsyncIterator[LineApis]:
        gateway = self._gateway()
        if account not in gateway.channels:
            raise RichMenuError("unavailable", "account_not_configured",
                                f"{ACCOUNT_NAMES.get(account, account)}の LINE 設定がありません。サーバーの設定"
                                "（テスト用アカウントは LINE_TEST_CHANNEL_SECRET と LINE_TEST_CHANNEL_ACCESS_TOKEN）を確認してください。")
        if self.insight is not None and account in self.insight.accounts:
            async with self.insight(account) as own:
                yield LineApis(gateway.messaging_api(account), gateway.blob_api(account), own.insight)
        else:  # the gateway's own insight client, when it has one
            insight = gateway.insight_api(account) if hasattr(gateway, "insight_api") else None
            yield LineApis(gateway.messaging_api(account), gateway.blob_api(account), insight)
