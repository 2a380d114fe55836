"""The counter role (書かない窓口): ``python -m bot serve --role counter``.

It runs on the town's 番号利用事務系 network, which has no route to the internet and no link to the
LINE service (小郡市 spec (2), (4)): its own settings (no LINE credentials), its own database, staff
accounts of its own, the staff console and the counter part of the staff API — nothing that talks
to LINE, no map tiles, no delivery scheduler. What the resident prepared at home comes in on the QR
code, sealed with the town's QR key; the key is installed on the counter out of band::

    python -m bot counter-key export > qr.key          # on the LINE service (prints the key)
    python -m bot counter-key install qr.key           # on the counter machine (USB, paper)

Settings (environment or ``.env``): ``DATA_ENCRYPTION_KEY`` (required), ``COUNTER_DATABASE_URL``
(default ``sqlite+aiosqlite:///var/counter/counter.db``), ``COUNTER_QR_KEY_FILE`` (default
``var/counter/qr.key``), ``TOWN``, ``CONTENT_DIR``, ``COUNTER_HOST`` / ``COUNTER_PORT`` (127.0.0.1:8010),
``COUNTER_OCR_ENGINE`` (``tesseract``, or ``rapidocr``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from admin_api import (
    counter_aid_views,
    counter_attachment_views,
    counter_layout_views,
    counter_related_views,
    counter_views,
    log_views,
    staff_views,
)
from admin_api.app import PREFIX, create_admin_app
from admin_api.context import AdminContext
from admin_api.staff_auth import StaffAuthenticator
from civic.clock import Clock, SystemClock
from civic.counter.desk import CounterDesk
from civic.counter.ocr.engines import available
from civic.crypto import FieldCipher, parse_key
from civic.database import Database, ensure_sqlite_directory
from civic.procedures.payload import QrKeyring
from civic.staff.audit import Auditor
from civic.staff.sessions import StaffSessions
from console.app import add_console_routes


class CounterSettingsError(ValueError):
    pass


@dataclass(frozen=True)
class CounterSettings:
    data_key: bytes
    database_url: str = "sqlite+aiosqlite:///var/counter/counter.db"
    qr_key_file: Path = Path("var/counter/qr.key")
    content_dir: Path = Path("content")
    town: str = "midori"
    host: str = "127.0.0.1"
    port: int = 8010
    ocr_engine: str = "tesseract"

    @property
    def town_dir(self) -> Path:
        return self.content_dir / self.town

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CounterSettings:
        env = os.environ if env is None else env
        raw = env.get("DATA_ENCRYPTION_KEY", "")
        if not raw:
            raise CounterSettingsError("DATA_ENCRYPTION_KEY is required (python -m bot new-key)")
        try:
            key = parse_key(raw)
        except ValueError as exc:
            raise CounterSettingsError(f"DATA_ENCRYPTION_KEY: {exc}") from None
        engine = env.get("COUNTER_OCR_ENGINE", "tesseract")
        if engine not in ("tesseract", "rapidocr"):
            raise CounterSettingsError(f"COUNTER_OCR_ENGINE must be tesseract or rapidocr, got {engine!r}")
        settings = cls(key, env.get("COUNTER_DATABASE_URL", cls.database_url),
                       Path(env.get("COUNTER_QR_KEY_FILE", str(cls.qr_key_file))),
                       Path(env.get("CONTENT_DIR", "content")), env.get("TOWN", "midori"),
                       env.get("COUNTER_HOST", "127.0.0.1"), int(env.get("COUNTER_PORT", "8010")), engine)
        if not settings.town_dir.is_dir():
            raise CounterSettingsError(f"TOWN: no content directory {settings.town_dir}")
        return settings


def read_qr_keys(path: Path) -> QrKeyring | None:
    """The installed QR keys: the first line is the active key, the others retired ones (rotation)."""
    if not path.is_file():
        return None
    keys = [parse_key(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return QrKeyring(keys[0], keys[1:]) if keys else None


def install_qr_key(path: Path, key_text: str, *, keep_old: bool = True) -> str:
    """Writes the key (owner-only file); the previous active key stays as a retired one. Returns its id."""
    key = parse_key(key_text.strip())
    lines = [key_text.strip()]
    if keep_old and path.is_file():
        lines += [line for line in path.read_text(encoding="utf-8").splitlines()
                  if line.strip() and parse_key(line) != key]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return QrKeyring(key).active_key_id


async def counter_healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "role": "counter"})


async def to_console(_: web.Request) -> web.Response:
    raise web.HTTPFound("/admin/#/counter")


def build_counter_app(settings: CounterSettings, *, clock: Clock | None = None, desk: CounterDesk | None = None,
                      db: Database | None = None) -> web.Application:
    """The counter's whole service: console, staff sign-in, operation log, counter API. No LINE.
    ``db``: a database the caller opened (and closes); by default the settings' one, closed at exit."""
    clock = clock or SystemClock()
    owned = db is None
    if db is None:
        ensure_sqlite_directory(settings.database_url)
        db = Database(settings.database_url, FieldCipher(settings.data_key))
    sessions = StaffSessions(db, clock)
    auditor = Auditor(db, clock)
    desk = desk or CounterDesk.for_town(settings.town_dir, lambda: available(settings.ocr_engine),
                                        read_qr_keys(settings.qr_key_file))
    context = AdminContext(db, clock, auditor=auditor, sessions=sessions, counter=desk,
                           totp_issuer="書かない窓口")
    app = web.Application(client_max_size=16 * 1024 * 1024)
    add_console_routes(app)
    app.add_subapp(PREFIX, create_admin_app(StaffAuthenticator(sessions),
                                            [staff_views.router, log_views.router, counter_views.router,
                                             counter_aid_views.router, counter_related_views.router,
                                             counter_layout_views.router, counter_attachment_views.router],
                                            context=context, client_max_size=16 * 1024 * 1024))
    app.router.add_get("/healthz", counter_healthz)
    app.router.add_get("/", to_console)

    async def lifespan(_: web.Application) -> AsyncIterator[None]:
        yield
        if owned:
            await db.dispose()

    app.cleanup_ctx.append(lifespan)
    return app
