"""The LINE API clients for one account (production or test), as line-bot-sdk's async clients.

Publishing takes a ``LineApiFactory``; the service's LINE gateway provides one (so every call to
LINE still leaves through one place), and ``SdkLineApis`` is the plain implementation from tokens.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    Configuration,
)
from linebot.v3.messaging.exceptions import ApiException

from richmenus.errors import RichMenuError
from richmenus.models import PRODUCTION, TEST

ACCOUNT_NAMES = {PRODUCTION: "公開用アカウント", TEST: "テスト用アカウント"}


@dataclass
class LineApis:
    messaging: AsyncMessagingApi
    blob: AsyncMessagingApiBlob


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
        async with api, data:
            yield LineApis(AsyncMessagingApi(api), AsyncMessagingApiBlob(data))


def line_message(exc: ApiException) -> str:
    """LINE's own explanation from an error answer, when it gave one."""
    body = exc.body
    if isinstance(body, bytes | bytearray):
        body = body.decode("utf-8", "replace")
    try:
        data = json.loads(body or "")
    except ValueError:
        return str(body or exc.reason or "")[:300]
    message = data.get("message", "") if isinstance(data, dict) else ""
    details = data.get("details") if isinstance(data, dict) else None
    if details:
        message += " (" + "; ".join(f"{d.get('property', '')}: {d.get('message', '')}" for d in details[:3]) + ")"
    return message[:300]
