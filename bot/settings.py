"""Settings from environment variables (documented in .env.example).

A missing or malformed setting stops start-up with one line naming the variable
(``SettingsError``); nothing else in the service reads the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from civic.crypto import FieldCipher, parse_key

LINE_API = "https://api.line.me"
LINE_DATA_API = "https://api-data.line.me"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/madoguchi.db"

PRODUCTION = "production"
TEST = "test"


def default_inbox_url(database_url: str) -> str:
    """The inbox store beside the database: on SQLite a file of its own next to the database file
    (``madoguchi.db`` → ``madoguchi-inbox.db``), so acknowledging webhooks has its own write lock;
    on PostgreSQL the same database."""
    prefix = "sqlite+aiosqlite:///"
    if not database_url.startswith(prefix):
        return database_url
    path = database_url[len(prefix):]
    stem, dot, suffix = path.rpartition(".")
    if not dot or "/" in suffix:
        return f"{database_url}-inbox"
    return f"{prefix}{stem}-inbox.{suffix}"


class SettingsError(Exception):
    def __init__(self, variable: str, reason: str) -> None:
        super().__init__(f"{variable}: {reason}")
        self.variable = variable


@dataclass(frozen=True)
class LineAccount:
    """One LINE Official Account (channel): the town's public one, or its test account."""

    name: str
    channel_secret: str
    channel_access_token: str
    api_base_url: str = LINE_API
    data_api_base_url: str = LINE_DATA_API
    liff_channel_id: str = ""


@dataclass(frozen=True)
class Settings:
    line: LineAccount
    test_line: LineAccount | None = None
    database_url: str = DEFAULT_DATABASE_URL
    #: Where accepted webhook events are stored (``bot.inbox.models``); empty: ``default_inbox_url``.
    inbox_database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    data_key: bytes = b""
    retired_data_keys: tuple[bytes, ...] = ()
    town: str = "midori"
    content_dir: Path = Path("content")
    public_base_url: str = ""
    worker_concurrency: int = 32
    max_webhook_body: int = 1024 * 1024
    reply_token_ttl_seconds: int = 50
    #: The town's key for the 手続きナビ QR codes (the counter decrypts them); derived from the data
    #: key when not set.
    qr_key: bytes = b""
    #: LIFF app ids per page (booking, procedures, forms); empty runs the pages as plain web pages.
    liff_ids: dict[str, str] = field(default_factory=dict)
    #: Where the trained NLU model is kept (trained at start-up when empty or missing).
    nlu_model_dir: Path | None = None
    #: Sentence encoder for FAQ search and intents by meaning: ``use`` or ``none`` (lexical only).
    nlu_encoder: str = "use"
    open311_api_keys: tuple[str, ...] = ()
    #: Mail to LINE (国富町 §9(2)(ア)⑥): the SMTP receiver's port (off when 0) and accepted addresses.
    mail_receiver_port: int = 0
    mail_recipients: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def accounts(self) -> dict[str, LineAccount]:
        accounts = {PRODUCTION: self.line}
        if self.test_line is not None:
            accounts[TEST] = self.test_line
        return accounts

    @property
    def inbox_url(self) -> str:
        return self.inbox_database_url or default_inbox_url(self.database_url)

    def cipher(self) -> FieldCipher:
        return FieldCipher(self.data_key, list(self.retired_data_keys))

    def qr_key_bytes(self) -> bytes:
        if self.qr_key:
            return self.qr_key
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"madoguchi qr key").derive(self.data_key)

    @property
    def town_dir(self) -> Path:
        return self.content_dir / self.town

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        api = _url(env, "LINE_API_BASE_URL", LINE_API)
        # The SDK sends content/rich-menu-image calls to the data host; an emulator serves both.
        data_default = LINE_DATA_API if api == LINE_API else api
        data_api = _url(env, "LINE_DATA_API_BASE_URL", data_default)
        line = LineAccount(
            PRODUCTION,
            _required(env, "LINE_CHANNEL_SECRET"),
            _required(env, "LINE_CHANNEL_ACCESS_TOKEN"),
            api,
            data_api,
            env.get("LIFF_CHANNEL_ID", "").strip(),
        )
        test_line = None
        if env.get("LINE_TEST_CHANNEL_SECRET") or env.get("LINE_TEST_CHANNEL_ACCESS_TOKEN"):
            test_line = LineAccount(
                TEST,
                _required(env, "LINE_TEST_CHANNEL_SECRET"),
                _required(env, "LINE_TEST_CHANNEL_ACCESS_TOKEN"),
                api,
                data_api,
                env.get("LIFF_TEST_CHANNEL_ID", "").strip(),
            )
        database_url = env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
        if not (database_url.startswith("sqlite+aiosqlite://") or database_url.startswith("postgresql+asyncpg://")):
            raise SettingsError(
                "DATABASE_URL", "must start with sqlite+aiosqlite:// or postgresql+asyncpg://"
            )
        inbox_database_url = env.get("INBOX_DATABASE_URL", "").strip()
        if inbox_database_url and not (inbox_database_url.startswith("sqlite+aiosqlite://")
                                       or inbox_database_url.startswith("postgresql+asyncpg://")):
            raise SettingsError(
                "INBOX_DATABASE_URL", "must start with sqlite+aiosqlite:// or postgresql+asyncpg://"
            )
        data_key = _key(env, "DATA_ENCRYPTION_KEY", _required(env, "DATA_ENCRYPTION_KEY"))
        retired = tuple(
            _key(env, "DATA_ENCRYPTION_RETIRED_KEYS", part)
            for part in env.get("DATA_ENCRYPTION_RETIRED_KEYS", "").split(",")
            if part.strip()
        )
        content_dir = Path(env.get("CONTENT_DIR", "").strip() or "content")
        town = env.get("TOWN", "").strip() or "midori"
        if not (content_dir / town).is_dir():
            raise SettingsError("TOWN", f"no content directory {content_dir / town}")
        return cls(
            line=line,
            test_line=test_line,
            database_url=database_url,
            inbox_database_url=inbox_database_url,
            host=env.get("HOST", "").strip() or "127.0.0.1",
            port=_int(env, "PORT", 8000, 1, 65535),
            data_key=data_key,
            retired_data_keys=retired,
            town=town,
            content_dir=content_dir,
            public_base_url=_url(env, "PUBLIC_BASE_URL", "") if env.get("PUBLIC_BASE_URL") else "",
            worker_concurrency=_int(env, "WORKER_CONCURRENCY", 32, 1, 1024),
            max_webhook_body=_int(env, "MAX_WEBHOOK_BODY_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
            qr_key=_key(env, "QR_ENCRYPTION_KEY", env["QR_ENCRYPTION_KEY"]) if env.get("QR_ENCRYPTION_KEY") else b"",
            liff_ids={page: env.get(f"LIFF_ID_{page.upper()}", "").strip()
                      for page in ("booking", "procedures", "forms") if env.get(f"LIFF_ID_{page.upper()}")},
            nlu_model_dir=Path(env["NLU_MODEL_DIR"]) if env.get("NLU_MODEL_DIR", "").strip() else None,
            nlu_encoder=_choice(env, "NLU_ENCODER", "use", ("use", "none")),
            open311_api_keys=tuple(k.strip() for k in env.get("OPEN311_API_KEYS", "").split(",") if k.strip()),
            mail_receiver_port=_int(env, "MAIL_RECEIVER_PORT", 0, 0, 65535),
            mail_recipients=tuple(a.strip().lower() for a in env.get("MAIL_RECIPIENTS", "").split(",") if a.strip()),
        )


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise SettingsError(name, "is required but not set (see .env.example)")
    return value


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip() or default
    parsed = urlparse(value)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise SettingsError(name, f"must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name, "").strip().lower() or default
    if value not in choices:
        raise SettingsError(name, f"must be one of {', '.join(choices)}, got {value!r}")
    return value


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, f"must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(name, f"must be between {low} and {high}, got {value}")
    return value


def _key(env: Mapping[str, str], name: str, text: str) -> bytes:
    try:
        return parse_key(text)
    except ValueError as exc:
        raise SettingsError(name, f"{exc} (generate one with: python -m bot new-key)") from None
