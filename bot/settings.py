"""Settings from environment variables (documented in .env.example).

A missing or malformed setting stops start-up with one line naming the variable
(``SettingsError``); nothing else in the service reads the environment.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.backup import backup_dir
from bot.retention import Retention
from civic.client_address import Network, parse_networks
from civic.crypto import FieldCipher, parse_key
from conversation.policy import ConfidencePolicy

LINE_API = "https://api.line.me"
LINE_DATA_API = "https://api-data.line.me"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/madoguchi.db"

PRODUCTION = "production"
TEST = "test"
#: The citizen pages that can run as LIFF apps (``LIFF_ID_<PAGE>``).
LIFF_PAGES = ("booking", "procedures", "forms", "mypage")


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
    #: The LINE Login channel of the LIFF pages: the ``aud`` of the ID tokens they send (empty: the
    #: pages cannot tell who a citizen is, and their API answers 401).
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
    #: Answers LINE could not take are tried again after this many seconds, doubling (with jitter)
    #: up to the maximum, until they are delivered or ``outbox_give_up_hours`` have passed.
    outbox_retry_base_seconds: float = 1.0
    outbox_retry_max_seconds: float = 300.0
    outbox_give_up_hours: float = 24.0
    #: The circuit breaker: transient failures in a row that stop calls to LINE, and the longest
    #: pause between probes while LINE is down (seconds).
    line_breaker_failures: int = 5
    line_breaker_max_seconds: float = 30.0
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
    #: Open311 reading (``admin_api.open311.Open311Policy``): off unless the town turns it on; with an
    #: api_key unless public; descriptions as staff approved them (or ``redacted``); private categories.
    open311_publish: bool = False
    open311_public_read: bool = False
    open311_descriptions: str = "approved"
    open311_private_categories: tuple[str, ...] = ()
    #: Mail to LINE (国富町 §9(2)(ア)⑥): the SMTP receiver's port (off when 0) and accepted addresses.
    mail_receiver_port: int = 0
    mail_recipients: tuple[str, ...] = ()
    #: Outbound e-mail (the my-page's codes, confirmations, deliveries by mail; ``bot.mail_sender``):
    #: ``smtp://user:password@host:587`` (STARTTLS) or ``smtps://host:465``; empty: nothing is sent.
    smtp_url: str = ""
    mail_from: str = ""
    #: Where bounces (DSNs) to ``bounces+<id>@<MAIL_FROM's domain>`` are received (0: off).
    mail_bounce_port: int = 0
    #: Groups and rooms (``bot.group_chats``): "leave" (say so once, then leave) or "silent".
    group_policy: str = "leave"
    #: Reverse proxies whose ``X-Forwarded-For`` names the client (``civic.client_address``); none by default.
    trusted_proxies: tuple[Network, ...] = ()
    #: Where the staff console and admin API may be reached from (酒田市 4(4)); empty: anywhere.
    admin_allowed_networks: tuple[Network, ...] = ()
    #: Who may read ``/metrics``: these networks (default: this machine only) or a bearer token.
    metrics_allowed_networks: tuple[Network, ...] = ()
    metrics_token: str = ""
    #: ``/readyz`` answers 503 above this many events waiting for their turn.
    ready_max_backlog: int = 1000
    #: ``/readyz`` answers 503 when the newest backup in ``BACKUP_DIR`` is older than this (0: not checked).
    ready_max_backup_age_hours: int = 0
    backup_dir: str = "var/backups"
    #: The daily backup inside the service (``bot.backup.daily``): Japan time of day, None: off.
    backup_at: time | None = None
    #: The facility map's background tiles: ``gsi`` (地理院タイル, default), ``osm`` or a ``{z}/{x}/{y}``
    #: URL template, with its attribution text and link (``liff.map.TileServer``).
    map_tile_url: str = "gsi"
    map_tile_attribution: str = ""
    map_tile_attribution_url: str = ""
    #: A conversation flow left this long is dropped on the citizen's next message (a fresh start).
    #: How long each kind of personal data is kept (``bot.retention``).
    retention: Retention = field(default_factory=Retention)
    dialogue_timeout_minutes: int = 30
    #: How sure the NLU must be before the dialogues act on an intent (``CONFIDENCE_<NAME>``, 0–1).
    confidence: ConfidencePolicy = field(default_factory=ConfidencePolicy)
    #: The chat simulator (linesim's ``/simulator``) the staff console opens to try a rich menu
    #: published to the test account; empty where there is none. The demo sets it.
    simulator_url: str = ""
    #: ``single`` (default): this instance's turn worker processes the events it accepted.
    #: ``shared``: several instances on one PostgreSQL; workers take the inbox by partitions
    #: (``bot.inbox.shared``). SQLite allows only ``single``.
    instance_mode: str = "single"
    #: Turn worker processes of this instance (``WORKERS``); more than one needs ``shared`` mode,
    #: where each takes its share of the inbox's partitions (``bot.inbox.worker_pool``).
    workers: int = 1
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
        liff_ids = {page: env.get(f"LIFF_ID_{page.upper()}", "").strip()
                    for page in LIFF_PAGES if env.get(f"LIFF_ID_{page.upper()}", "").strip()}
        line = LineAccount(
            PRODUCTION,
            _required(env, "LINE_CHANNEL_SECRET"),
            _required(env, "LINE_CHANNEL_ACCESS_TOKEN"),
            api,
            data_api,
            env.get("LIFF_CHANNEL_ID", "").strip() or _liff_channel(liff_ids),
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
        instance_mode = _choice(env, "INSTANCE_MODE", {"single": "single", "shared": "shared"}, "single")
        if instance_mode == "shared" and not database_url.startswith("postgresql+asyncpg://"):
            raise SettingsError("INSTANCE_MODE", "shared（複数インスタンス）には PostgreSQL が必要です。"
                                "DATABASE_URL を postgresql+asyncpg:// にするか、INSTANCE_MODE=single にしてください")
        if instance_mode == "shared" and inbox_database_url and inbox_database_url != database_url:
            raise SettingsError("INSTANCE_MODE", "shared（複数インスタンス）では受信箱を本体と同じデータベースに置きます。"
                                "INBOX_DATABASE_URL を外してください")
        workers = _int(env, "WORKERS", 1, 1, 64)
        if workers > 1 and instance_mode != "shared":
            raise SettingsError("WORKERS", f"ターンワーカーを {workers} 個にするには INSTANCE_MODE=shared（PostgreSQL）が必要です。"
                                "SQLite の一台構成では WORKERS=1 にしてください")
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
            outbox_retry_base_seconds=_number(env, "OUTBOX_RETRY_BASE_SECONDS", 1.0, 0.1, 60),
            outbox_retry_max_seconds=_number(env, "OUTBOX_RETRY_MAX_SECONDS", 300.0, 1, 3600),
            # LINE keeps a retry key 24 hours: a push tried later than that could arrive twice.
            outbox_give_up_hours=_number(env, "OUTBOX_GIVE_UP_HOURS", 24.0, 0.1, 24),
            line_breaker_failures=_int(env, "LINE_BREAKER_FAILURES", 5, 1, 1000),
            line_breaker_max_seconds=_number(env, "LINE_BREAKER_MAX_SECONDS", 30.0, 1, 600),
            qr_key=_key(env, "QR_ENCRYPTION_KEY", env["QR_ENCRYPTION_KEY"]) if env.get("QR_ENCRYPTION_KEY") else b"",
            liff_ids=liff_ids,
            nlu_model_dir=Path(env["NLU_MODEL_DIR"]) if env.get("NLU_MODEL_DIR", "").strip() else None,
            nlu_encoder=_choice(env, "NLU_ENCODER", {"use": "use", "none": "none"}, "use"),
            open311_api_keys=tuple(k.strip() for k in env.get("OPEN311_API_KEYS", "").split(",") if k.strip()),
            open311_publish=_choice(env, "OPEN311_PUBLISH", {"off": False, "on": True}, False),
            open311_public_read=_choice(env, "OPEN311_READ", {"key": False, "public": True}, False),
            open311_descriptions=_choice(env, "OPEN311_DESCRIPTIONS", {"approved": "approved", "redacted": "redacted"},
                                         "approved"),
            open311_private_categories=tuple(c.strip() for c in env.get("OPEN311_PRIVATE_CATEGORIES", "").split(",")
                                             if c.strip()),
            mail_receiver_port=_int(env, "MAIL_RECEIVER_PORT", 0, 0, 65535),
            mail_recipients=tuple(a.strip().lower() for a in env.get("MAIL_RECIPIENTS", "").split(",") if a.strip()),
            smtp_url=env.get("SMTP_URL", "").strip(),
            mail_from=env.get("MAIL_FROM", "").strip(),
            mail_bounce_port=_int(env, "MAIL_BOUNCE_PORT", 0, 0, 65535),
            group_policy=_choice(env, "GROUP_POLICY", {"leave": "leave", "silent": "silent"}, "leave"),
            trusted_proxies=_networks(env, "TRUSTED_PROXIES"),
            admin_allowed_networks=_networks(env, "ADMIN_ALLOWED_NETWORKS"),
            metrics_allowed_networks=_networks(env, "METRICS_ALLOWED_NETWORKS"),
            metrics_token=env.get("METRICS_TOKEN", "").strip(),
            ready_max_backlog=_int(env, "READY_MAX_BACKLOG", 1000, 1, 10_000_000),
            ready_max_backup_age_hours=_int(env, "READY_MAX_BACKUP_AGE_HOURS", 0, 0, 24 * 366),
            backup_dir=str(backup_dir(env)),
            backup_at=_time_of_day(env, "BACKUP_AT"),
            map_tile_url=_tiles(env),
            map_tile_attribution=env.get("MAP_TILE_ATTRIBUTION", "").strip(),
            map_tile_attribution_url=(_url(env, "MAP_TILE_ATTRIBUTION_URL", "")
                                      if env.get("MAP_TILE_ATTRIBUTION_URL", "").strip() else ""),
            dialogue_timeout_minutes=_int(env, "DIALOGUE_TIMEOUT_MINUTES", 30, 1, 24 * 60),
            confidence=_confidence(env),
            simulator_url=_url(env, "SIMULATOR_URL", "") if env.get("SIMULATOR_URL", "").strip() else "",
            retention=_retention(env),
            instance_mode=instance_mode,
            workers=workers,
        )


def _retention(env: Mapping[str, str]) -> Retention:
    """Retention periods per kind of personal data (``bot.retention``; 国富町 機能要件 26: the operation log
    at least 24 months)."""
    return Retention(
        talk_log_months=_int(env, "TALK_LOG_KEEP_MONTHS", 13, 1, 120),
        inbox_days=_int(env, "INBOX_KEEP_DAYS", 30, 1, 3650),
        report_months=_int(env, "REPORT_KEEP_MONTHS", 36, 1, 240),
        handover_months=_int(env, "HANDOVER_KEEP_MONTHS", 13, 1, 120),
        operation_log_months=_int(env, "OPERATION_LOG_KEEP_MONTHS", 36, 24, 240),
    )


def _liff_channel(liff_ids: Mapping[str, str]) -> str:
    """The LINE Login channel the LIFF apps belong to: a LIFF id is ``<channel id>-<suffix>``, and
    the channel id is the ``aud`` of the ID tokens its pages send. Ids of two channels: say so."""
    channels = {liff_id.partition("-")[0] for liff_id in liff_ids.values()}
    if len(channels) > 1:
        raise SettingsError("LIFF_CHANNEL_ID", "the LIFF ids belong to different channels "
                            f"({', '.join(sorted(channels))}); set LIFF_CHANNEL_ID")
    channel = next(iter(channels), "")
    return channel if channel.isdigit() else ""


def _tiles(env: Mapping[str, str]) -> str:
    value = env.get("MAP_TILE_URL", "").strip() or "gsi"
    if value in {"gsi", "osm"}:
        return value
    if not value.startswith("https://") or not all(k in value for k in ("{z}", "{x}", "{y}")):
        raise SettingsError("MAP_TILE_URL", f"must be gsi, osm or an https URL with {{z}}, {{x}} and {{y}}, got {value!r}")
    if not env.get("MAP_TILE_ATTRIBUTION", "").strip():
        raise SettingsError("MAP_TILE_ATTRIBUTION", "is required with a tile server of your own (its terms ask for it)")
    return value


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


def _confidence(env: Mapping[str, str]) -> ConfidencePolicy:
    """``CONFIDENCE_START_FLOW=0.5`` …: each threshold of ``conversation.policy.ConfidencePolicy``."""
    default = ConfidencePolicy()
    return ConfidencePolicy(**{name: _number(env, f"CONFIDENCE_{name.upper()}", getattr(default, name), 0.0, 1.0)
                               for name in ConfidencePolicy.names()})


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    return int(_bounded(env, name, default, low, high, int, "an integer"))


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    return _bounded(env, name, default, low, high, float, "a number")


def _bounded(env: Mapping[str, str], name: str, default: float, low: float, high: float,
             parse: Callable[[str], float], kind: str) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise SettingsError(name, f"must be {kind}, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(name, f"must be between {low:g} and {high:g}, got {raw}")
    return value


def _key(env: Mapping[str, str], name: str, text: str) -> bytes:
    try:
        return parse_key(text)
    except ValueError as exc:
        raise SettingsError(name, f"{exc} (generate one with: python -m bot new-key)") from None


def _time_of_day(env: Mapping[str, str], name: str) -> time | None:
    """``03:00`` (Japan time) → 03:00; empty → None (off)."""
    text = env.get(name, "").strip()
    if not text:
        return None
    hours, sep, minutes = text.partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2
            and 0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59):
        raise SettingsError(name, f"must be a time of day like 03:00 (Japan time), got {text!r}")
    return time(int(hours), int(minutes))


def _networks(env: Mapping[str, str], name: str) -> tuple[Network, ...]:
    try:
        return parse_networks(env.get(name, ""))
    except ValueError as exc:
        raise SettingsError(name, f"{exc} (comma-separated, e.g. 10.0.0.0/8,192.0.2.7)") from None


def _choice(env: Mapping[str, str], name: str, choices: Mapping[str, Any], default: Any) -> Any:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in choices:
        raise SettingsError(name, f"must be one of {', '.join(choices)}, got {raw!r}")
    return choices[raw]
