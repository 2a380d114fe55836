"""One bad event never takes down the requests it shares a group commit with, and no message text
reaches the logs — on SQLite and PostgreSQL.

The burst is certain to share one commit: the test holds the inbox store's write lock until every
request is waiting for its commit (``InboxWriter.waiting``), then lets go.
"""

from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestServer

from bot.appkeys import DISPATCHER, INBOX_DATABASE, INBOX_WRITER
from bot.inbox.writer import InboxWriter
from bot.service import create_app
from bot.settings import default_inbox_url
from civic.clock import FrozenClock
from civic.crypto import FieldCipher
from civic.database import Database
from tests.attributes.support import NOW
from tests.bot.helpers import make_settings, sign, text_event
from tests.bot.test_webhook import Silent, _inbox
from tests.conftest import TEST_KEY

SECRET_TEXT = "秘密町9-9-9 山田花子 090-0000-1234"
BURST = 195


def _leaked(records: list[logging.LogRecord]) -> list[str]:
    """Log lines (with their tracebacks) showing the seeded text, in any spelling."""
    spellings = ["090-0000-1234", "秘密町", json.dumps("秘密町")[1:-1], repr("秘密町".encode())[2:-1]]
    lines = [logging.Formatter().format(r) for r in records]
    return [line for line in lines if any(s in line for s in spellings)]


def _ascii_body(*events: dict) -> bytes:
    """As LINE sends it: JSON with escapes, so a lone surrogate travels as ``\\ud800``."""
    return json.dumps({"destination": "Ubot", "events": list(events)}, ensure_ascii=True).encode()


async def _hold_inbox(inbox: Database):
    """Hold the inbox store's write lock (SQLite: the write gate; PostgreSQL: a table lock)."""
    session_cm = inbox.write()
    session = await session_cm.__aenter__()
    if not inbox.is_sqlite:
        await (await session.connection()).execute(sa.text("LOCK TABLE webhook_event IN SHARE ROW EXCLUSIVE MODE"))
    return session_cm


async def _until(predicate) -> None:
    async with asyncio.timeout(30):  # a guard against a hang
        while not predicate():
            await asyncio.sleep(0.01)


async def test_a_lone_surrogate_in_a_burst_fails_no_one_and_no_text_is_logged(
        database_url, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    handler = Silent()
    app = create_app(make_settings(database_url), handler_factory=lambda app: handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    bodies = [_ascii_body(text_event(f"U{i:03d}", f"{SECRET_TEXT} その{i}")) for i in range(BURST)]
    bodies[97] = _ascii_body(text_event("U-bad", f"{SECRET_TEXT}\ud800です"))
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:

            async def post(body: bytes) -> int:
                async with http.post(server.make_url("/callback"), data=body,
                                     headers={"X-Line-Signature": sign(body)}) as r:
                    return r.status

            held = await _hold_inbox(app[INBOX_DATABASE])
            try:
                requests = [asyncio.create_task(post(b)) for b in bodies]
                await _until(lambda: app[INBOX_WRITER].waiting == BURST)
            finally:
                await held.__aexit__(None, None, None)
            assert await asyncio.gather(*requests) == [200] * BURST
        await app[DISPATCHER].wait_idle()

        class Client:  # the shape tests.bot.test_webhook._inbox reads
            pass

        Client.app = app
        rows = await _inbox(Client)
    finally:
        await server.close()
    assert len(rows) == BURST and {r.status for r in rows} == {"done"}
    (bad,) = [r for r in rows if r.user_key == "U-bad"]
    assert json.loads(bad.payload)["message"]["text"] == f"{SECRET_TEXT}\ufffdです"  # as a browser shows it
    assert f"{SECRET_TEXT}\ufffdです" in handler.seen
    assert _leaked(caplog.records) == []


class PoisonCipher(FieldCipher):
    """A store that refuses one value (as a database may refuse a row for reasons of its own)."""

    def encrypt(self, plaintext: str) -> str:
        if "POISON" in plaintext:
            raise ValueError(f"cannot store {plaintext}")
        return super().encrypt(plaintext)


async def test_a_request_the_store_refuses_fails_alone_in_its_group_commit(
        database_url, caplog: pytest.LogCaptureFixture) -> None:
    from civic.crypto import parse_key

    caplog.set_level(logging.DEBUG)
    inbox = Database(default_inbox_url(database_url), PoisonCipher(parse_key(TEST_KEY)))
    try:
        writer = InboxWriter(inbox, FrozenClock(NOW))
        requests = [[text_event(f"U{i}", f"{SECRET_TEXT} {i}")] for i in range(10)]
        requests[4] = [text_event("U4", f"{SECRET_TEXT} 4"), text_event("U4", f"POISON {SECRET_TEXT}")]
        # Added in one loop iteration: all ten share the writer's first commit.
        results = await asyncio.gather(*(writer.add("production", events) for events in requests),
                                       return_exceptions=True)
        assert [isinstance(r, Exception) for r in results] == [i == 4 for i in range(10)]
        assert all(len(r) == 1 for i, r in enumerate(results) if i != 4)
        async with inbox.read() as s:
            conn = await s.connection()
            stored = (await conn.execute(sa.text("SELECT user_key FROM webhook_event ORDER BY id"))).scalars().all()
        assert sorted(stored) == sorted(f"U{i}" for i in range(10) if i != 4)  # the refused request left nothing
        assert _leaked(caplog.records) == []
    finally:
        await inbox.dispose()
