"""Issue #18: structured logs with a request id, the access log naming the citizen (not the proxy),
and log files rotated and kept for the configured period."""

from __future__ import annotations

import io
import json
import logging
import logging.handlers
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import client_address_middleware
from bot.logs import (
    ACCESS,
    HEADER,
    JsonFormatter,
    LogConfig,
    LogSettingsError,
    RequestIdFilter,
    configure,
    handler_for,
)
from civic.client_address import TrustedProxies, parse_networks

SAID = "山田花子です。090-1234-5678 に電話ください"


@pytest.fixture
def lines():
    """The JSON lines the access logger and an application logger write while a test runs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    loggers = [logging.getLogger(ACCESS), logging.getLogger("tests.app")]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    for logger in loggers:
        logger.removeHandler(handler)


async def _client(aiohttp_client, trusted: str):
    from bot.logs import access_log_middleware

    async def hello(request: web.Request) -> web.Response:
        logging.getLogger("tests.app").info("handling")
        if request.query.get("fail"):
            raise web.HTTPForbidden()
        return web.Response(text="ok")

    middlewares = [client_address_middleware(TrustedProxies(parse_networks(trusted)))] if trusted else []
    app = web.Application(middlewares=[*middlewares, access_log_middleware()])  # the order bot.service uses
    app.router.add_get("/hello", hello)
    return await aiohttp_client(app)


async def test_json_lines_carry_the_request_id_into_every_record_and_the_answer(aiohttp_client, lines) -> None:
    client = await _client(aiohttp_client, "")
    r = await client.get("/hello", params={"q": SAID}, headers={"User-Agent": "test-agent/1"})
    assert r.status == 200
    request_id = r.headers[HEADER]
    assert len(request_id) == 32
    app_line, access = lines()
    assert app_line["message"] == "handling" and app_line["request_id"] == request_id
    assert app_line["level"] == "INFO" and app_line["logger"] == "tests.app" and app_line["time"].endswith("+00:00")
    assert access["logger"] == ACCESS and access["request_id"] == request_id
    assert access["method"] == "GET" and access["path"] == "/hello" and access["status"] == 200
    assert access["remote"] == "127.0.0.1" and access["user_agent"] == "test-agent/1"
    assert isinstance(access["duration_ms"], float)
    # Never what a citizen wrote: the query string is not logged.
    assert "山田" not in json.dumps(lines(), ensure_ascii=False) and "090" not in json.dumps(lines())


async def test_a_sane_incoming_request_id_is_kept_and_a_bad_one_replaced(aiohttp_client, lines) -> None:
    client = await _client(aiohttp_client, "")
    r = await client.get("/hello", headers={HEADER: "proxy-abc.123"})
    assert r.headers[HEADER] == "proxy-abc.123"
    r = await client.get("/hello", headers={HEADER: "bad id\twith spaces" + "x" * 80})
    assert r.headers[HEADER] != "bad id\twith spaces" and len(r.headers[HEADER]) == 32
    r = await client.get("/hello", params={"fail": "1"}, headers={HEADER: "refused-1"})
    assert r.status == 403 and r.headers[HEADER] == "refused-1"
    ids = [(line["request_id"], line.get("status")) for line in lines() if line["logger"] == ACCESS]
    assert ids[0] == ("proxy-abc.123", 200) and ids[2] == ("refused-1", 403)


async def test_forwarded_for_is_believed_only_from_a_trusted_proxy(aiohttp_client, lines) -> None:
    trusting = await _client(aiohttp_client, "127.0.0.1")
    await trusting.get("/hello", headers={"X-Forwarded-For": "203.0.113.9"})
    other = await _client(aiohttp_client, "10.0.0.0/8")  # the peer (127.0.0.1) is not a trusted proxy
    await other.get("/hello", headers={"X-Forwarded-For": "203.0.113.9"})
    none = await _client(aiohttp_client, "")
    await none.get("/hello", headers={"X-Forwarded-For": "203.0.113.9"})
    remotes = [line["remote"] for line in lines() if line["logger"] == ACCESS]
    assert remotes == ["203.0.113.9", "127.0.0.1", "127.0.0.1"]


def test_log_files_rotate_daily_and_are_kept_for_the_configured_period(tmp_path: Path) -> None:
    config = LogConfig.from_env({"LOG_DIR": str(tmp_path / "logs"), "LOG_FORMAT": "json"})
    assert config.retention_days == 400  # ≈ 13 months (国富町 §9(4)(オ))
    handler = handler_for(config, "worker")
    try:
        assert isinstance(handler, logging.handlers.TimedRotatingFileHandler)
        assert handler.when == "MIDNIGHT" and handler.backupCount == 400
        assert Path(handler.baseFilename) == tmp_path / "logs" / "madoguchi-worker.log"
        assert isinstance(handler.formatter, JsonFormatter)
    finally:
        handler.close()
    short = handler_for(LogConfig.from_env({"LOG_DIR": str(tmp_path), "LOG_RETENTION_DAYS": "30"}), "web")
    try:
        assert isinstance(short, logging.handlers.TimedRotatingFileHandler) and short.backupCount == 30
    finally:
        short.close()
    assert type(handler_for(LogConfig.from_env({}), "web")) is logging.StreamHandler  # stderr / journald
    with pytest.raises(LogSettingsError, match="LOG_FORMAT"):
        LogConfig.from_env({"LOG_FORMAT": "xml"})
    with pytest.raises(LogSettingsError, match="LOG_RETENTION_DAYS"):
        LogConfig.from_env({"LOG_RETENTION_DAYS": "0"})


def test_configure_writes_json_lines_to_the_process_file(tmp_path: Path) -> None:
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    try:
        handler = configure(LogConfig.from_env({"LOG_DIR": str(tmp_path), "LOG_FORMAT": "json"}), "web")
        assert root.handlers == [handler]
        logging.getLogger("bot.test").warning("バックアップを作成しました")
        handler.flush()
        (line,) = (tmp_path / "madoguchi-web.log").read_text(encoding="utf-8").splitlines()
        assert json.loads(line) | {"time": None} == {"time": None, "level": "WARNING", "logger": "bot.test",
                                                     "message": "バックアップを作成しました", "request_id": "-"}
    finally:
        for h in list(root.handlers):
            root.removeHandler(h)
            h.close()
        for h in saved:
            root.addHandler(h)
        root.setLevel(level)
