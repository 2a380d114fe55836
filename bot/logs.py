"""Logging for both processes (``serve`` and its turn worker): plain or JSON lines, a request id per
HTTP request, the access log, and rotated log files (issue #18).

- ``LOG_FORMAT=json``: one JSON object a line (``time``, ``level``, ``logger``, ``message``,
  ``request_id``; access lines add ``method``, ``path``, ``status``, ``duration_ms``, ``remote`` and
  ``user_agent``). ``text`` (default): the familiar one-line format.
- ``LOG_DIR``: files ``madoguchi-<process>.log`` in that directory, rotated at midnight and kept
  ``LOG_RETENTION_DAYS`` days (default 400 ≈ 13 months: 国富町 §9(4)(オ), 小郡市 12(4)). Unset:
  stderr (journald under systemd).
- The access log records the client's address as ``TRUSTED_PROXIES`` resolved it (the middleware runs
  after ``bot.app.client_address_middleware``), and the path without its query string: query strings
  and bodies may carry what a citizen wrote or a token, and neither is ever logged.
"""

from __future__ import annotations

import contextlib
import json
import logging
import logging.handlers
import re
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")
HEADER = "X-Request-Id"
ACCESS = "madoguchi.access"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
#: Fields an access line adds to the record (``extra=``), in the order they are written.
_ACCESS_FIELDS = ("method", "path", "status", "duration_ms", "remote", "user_agent")


class LogSettingsError(ValueError):
    pass


@dataclass(frozen=True)
class LogConfig:
    format: str = "text"  # text | json
    level: str = "INFO"
    directory: Path | None = None
    retention_days: int = 400

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LogConfig:
        fmt = env.get("LOG_FORMAT", "").strip().lower() or "text"
        if fmt not in {"text", "json"}:
            raise LogSettingsError(f"LOG_FORMAT must be text or json, got {fmt!r}")
        days_text = env.get("LOG_RETENTION_DAYS", "").strip() or "400"
        try:
            days = int(days_text)
        except ValueError:
            raise LogSettingsError(f"LOG_RETENTION_DAYS must be a whole number of days, got {days_text!r}") from None
        if not 1 <= days <= 3660:
            raise LogSettingsError(f"LOG_RETENTION_DAYS must be 1–3660, got {days}")
        directory = env.get("LOG_DIR", "").strip()
        return cls(fmt, env.get("LOG_LEVEL", "").strip().upper() or "INFO",
                   Path(directory) if directory else None, days)


class RequestIdFilter(logging.Filter):
    """Every record carries the request id of the request it was logged in (``-`` outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", REQUEST_ID.get()),
        }
        for name in _ACCESS_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


def handler_for(config: LogConfig, process: str) -> logging.Handler:
    """Where this process's lines go: a daily-rotated file kept ``retention_days``, or stderr."""
    handler: logging.Handler
    if config.directory is not None:
        config.directory.mkdir(parents=True, exist_ok=True)
        # One file per process: two processes rotating one file would lose lines.
        handler = logging.handlers.TimedRotatingFileHandler(
            config.directory / f"madoguchi-{process}.log", when="midnight", backupCount=config.retention_days,
            encoding="utf-8", utc=False)
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if config.format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RequestIdFilter())
    return handler


def configure(config: LogConfig, process: str) -> logging.Handler:
    """Replace the root logger's handlers with this process's one (``bot.cli.main``)."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    handler = handler_for(config, process)
    root.addHandler(handler)
    root.setLevel(config.level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # APScheduler logs every run of every job at INFO (twice a minute): our jobs log what they did.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    # aiohttp's own access log names the proxy, not the citizen: ``access_log_middleware`` writes ours.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    return handler


@contextlib.contextmanager
def bound_request_id(*request_ids: str) -> Iterator[None]:
    """Records logged inside carry these request ids (the turn worker: the webhook requests that
    brought the events it is running; several are joined with ``,``, unknown ones left out)."""
    token = REQUEST_ID.set(joined_ids(request_ids))
    try:
        yield
    finally:
        REQUEST_ID.reset(token)


def joined_ids(request_ids: Iterable[str], most: int = 8) -> str:
    """``a,b,c`` (each once, in order, at most ``most`` and then ``…``); ``-`` when none is known."""
    known = list(dict.fromkeys(i for i in request_ids if i and i != "-"))
    if not known:
        return "-"
    return ",".join(known[:most]) + (",…" if len(known) > most else "")


def request_id_of(headers: Mapping[str, str]) -> str:
    """The caller's ``X-Request-Id`` when it is sane (a proxy's id ties its log to ours), else a new one."""
    given = headers.get(HEADER, "")
    return given if _SANE_ID.fullmatch(given) else uuid.uuid4().hex


def access_log_middleware() -> Any:
    """A request id for every request (in the ``X-Request-Id`` answer header and every record logged
    while it is handled) and one access line when it is done."""
    log = logging.getLogger(ACCESS)

    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        request_id = request_id_of(request.headers)
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            if not response.prepared:
                response.headers[HEADER] = request_id
            return response
        except web.HTTPException as exc:
            status = exc.status
            exc.headers[HEADER] = request_id
            raise
        finally:
            elapsed = round((time.perf_counter() - started) * 1000, 1)
            remote = request.remote or "-"
            agent = request.headers.get("User-Agent", "-")[:200]
            log.info("%s %s %s %s %.1fms", remote, request.method, request.path, status, elapsed,
                     extra={"method": request.method, "path": request.path, "status": status,
                            "duration_ms": elapsed, "remote": remote, "user_agent": agent})
            REQUEST_ID.reset(token)

    return middleware
