"""The turn worker: announcements over the pipe, outcomes claimed once, the worker process's life."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.appkeys import DATABASE, DISPATCHER, INBOX_DATABASE
from bot.gateway import LineGateway
from bot.inbox.models import InboxOutcome, webhook_event
from bot.inbox.retention import Purged, purge_inbox
from bot.inbox.worker_link import event_line, parse_event_line
from bot.inbox.writer import Accepted, InboxWriter, accepted_of
from bot.migrate import upgrade_async
from bot.outbox.sender import OutboxSender
from bot.service import create_app
from bot.settings import default_inbox_url
from bot.turn import Turn, TurnProcessor
from civic.clock import FrozenClock, SystemClock
from civic.database import Database
from tests.bot.helpers import body_of, make_settings, sign, text_event
from tests.bot.processes import free_port as _free_port
from tests.bot.processes import start_bot as _start_bot
from tests.bot.processes import wait_healthy as _wait_healthy
from tests.bot.processes import worker_of as _worker_of


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Counting:
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def handle(self, turn: Turn) -> None:
        self.seen.append(turn.text or turn.event_type)


def test_an_event_crosses_the_pipe_unchanged() -> None:
    event = text_event("Uabc", "改行も\n絵文字も 🌸 \"引用\" もそのまま")
    item = Accepted(42, "Uabc", "test", datetime(2026, 11, 21, 3, 4, 5, 678000, tzinfo=UTC),
                    json.dumps(event, ensure_ascii=False))
    line = event_line(item)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert parse_event_line(line) == item
    assert json.loads(parse_event_line(line).payload)["message"]["text"] == event["message"]["text"]


@pytest.mark.parametrize("line", [b"", b"D 1 2\n", b"E not json\n", b"E [1, 2]\n", b'E ["x","U","c","2026","{}"]\n'])
def test_anything_else_on_the_pipe_is_refused(line: bytes) -> None:
    assert parse_event_line(line) is None


async def test_an_event_announced_again_after_its_turn_is_not_run_again(aiohttp_client, database_url) -> None:
    handler = Counting()
    client = await aiohttp_client(create_app(make_settings(database_url), handler_factory=lambda app: handler))
    body = body_of(text_event("U1", "一度だけ"))
    assert (await client.post("/callback", data=body, headers={"X-Line-Signature": sign(body)})).status == 200
    await client.app[DISPATCHER].wait_idle()
    async with client.app[INBOX_DATABASE].read() as s:
        row = (await (await s.connection()).execute(sa.select(webhook_event))).one()
    client.app[DISPATCHER].submit([accepted_of(row.id, row)])  # as a restarted worker might
    await client.app[DISPATCHER].wait_idle()
    assert handler.seen == ["一度だけ"]


async def test_two_workers_on_the_same_events_run_each_turn_once(database_url, cipher) -> None:
    """The old worker finishing its batch while a new one resumes the same events."""
    settings = make_settings(database_url)
    clock = SystemClock()
    inbox = Database(settings.inbox_url, cipher)
    workers = [Database(database_url, cipher), Database(database_url, cipher)]
    gateway = LineGateway(settings.accounts)
    handlers = [Counting(), Counting()]
    try:
        accepted = await InboxWriter(inbox, clock).add("production", [text_event(f"U{i}", f"用件{i}") for i in range(6)])
        processors = [TurnProcessor(db, clock, h, OutboxSender(db, gateway, clock), gateway)
                      for db, h in zip(workers, handlers, strict=True)]
        await asyncio.gather(*(p(accepted) for p in processors))
        assert sorted(handlers[0].seen + handlers[1].seen) == sorted(f"用件{i}" for i in range(6))
        async with workers[0].read() as s:
            outcomes = (await s.exec(sa.select(InboxOutcome.event_id, InboxOutcome.status))).all()
        assert sorted(outcomes) == [(a.id, "done") for a in accepted]
    finally:
        await gateway.close()
        for db in {inbox, *workers}:
            await db.dispose()


@pytest.mark.slow
async def test_stopping_serve_stops_its_worker(tmp_path: Path) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}"
    await upgrade_async(db_url)
    port = _free_port()
    proc = _start_bot(port, db_url, "http://127.0.0.1:9", tmp_path / "bot.log")
    try:
        await _wait_healthy(port, proc)
        worker = _worker_of(proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0  # a guard against a hang: the worker may still be training on a busy machine
        deadline = time.monotonic() + 30
        while _running(worker) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not _running(worker), "the turn worker outlived serve"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_the_app_keys_share_one_database_when_the_urls_match(tmp_path: Path) -> None:
    pg = make_settings("postgresql+asyncpg://postgres@127.0.0.1/nowhere")
    app = create_app(pg)
    assert app[INBOX_DATABASE] is app[DATABASE]
    sqlite = create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"))
    assert sqlite[INBOX_DATABASE].url.endswith("m-inbox.db")


async def test_retention_deletes_finished_old_events_and_never_orphans_one(database_url, cipher) -> None:
    clock = FrozenClock(datetime(2026, 10, 1, 9, 0, tzinfo=UTC))
    db = Database(database_url, cipher)
    inbox = Database(default_inbox_url(database_url), cipher) if database_url.startswith("sqlite") else db
    writer = InboxWriter(inbox, clock)
    try:
        old = await writer.add("production", [text_event(f"U{i}", f"古い用件{i}") for i in range(3)])
        clock.advance(timedelta(days=40))
        new = await writer.add("production", [text_event("U9", "新しい用件")])
        async with db.write() as s:  # old[1] was never finished (the worker was down)
            for a, at in ((old[0], old[0].received_at), (old[2], old[2].received_at), (new[0], clock.now())):
                s.add(InboxOutcome(event_id=a.id, status="done", done_at=at))

        purged = await purge_inbox(db, inbox, clock, keep_days=30)

        async with inbox.read() as s:
            left = list((await (await s.connection()).execute(sa.select(webhook_event.c.id))).scalars())
        async with db.read() as s:
            outcomes = set((await (await s.connection()).execute(sa.select(InboxOutcome.event_id))).scalars())
        assert purged == Purged(events=2, outcomes=1, unfinished_kept=1)
        assert sorted(left) == [old[1].id, new[0].id]
        # old[2]'s outcome stays while an older event (old[1]) is in the inbox: nothing is orphaned
        assert outcomes == {old[2].id, new[0].id}
        clock.advance(timedelta(days=40))
        async with db.write() as s:
            s.add(InboxOutcome(event_id=old[1].id, status="done", done_at=clock.now()))
        await purge_inbox(db, inbox, clock, keep_days=30)
        later = await writer.add("production", [text_event("U1", "また来ました")])
        assert later[0].id > new[0].id  # ids are not reused once the inbox is empty
    finally:
        await db.dispose()
        if inbox is not db:
            await inbox.dispose()
