"""``python -m bench erasure``: how long erasing one citizen takes in a filled database.

The erasure reads the citizen's rows by index and searches the tables found by content only
(operation-log snapshots, procedure drafts, unanswered questions, inbox events), decrypting each
row, so its cost grows with those tables. The staff API runs the preview on both calls.

    python -m bench erasure [--talk 200000] [--log 30000] [--inbox 50000] [--citizens 5000]
                            [--database-url postgresql+asyncpg://postgres@127.0.0.1/bench]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from bot.inbox.erasure import erase_inbox_events
from bot.inbox.models import webhook_event
from bot.migrate import upgrade
from bot.schema import load_metadata
from bot.settings import default_inbox_url
from civic.citizens.erasure import erase_citizen, preview_erasure
from civic.crypto import FieldCipher, new_key_text, parse_key
from civic.database import Database

NOW = datetime(2026, 11, 2, tzinfo=UTC)
BATCH = 20_000


def _uid(i: int) -> str:
    return f"U{i:032x}"


async def _seed(db: Database, inbox: Database, args: argparse.Namespace) -> None:
    tables = load_metadata().tables
    async with db.write() as s:
        conn = await s.connection()
        await conn.execute(sa.insert(tables["citizen"]), [
            {"channel_user_id": _uid(i), "display_name": f"利用者{i}", "is_friend": True, "is_test_account": False,
             "created_at": NOW} for i in range(args.citizens)])
        for start in range(0, args.talk, BATCH):
            await conn.execute(sa.insert(tables["talk_entry"]), [
                {"channel_user_id": _uid(i % args.citizens), "direction": "in", "kind": "text", "text": f"相談{i}です",
                 "at": NOW} for i in range(start, min(args.talk, start + BATCH))])
        await conn.execute(sa.insert(tables["operation_log"]), [
            {"at": NOW, "staff_login": "staff", "action": "booking.create", "target_type": "reservation",
             "after": json.dumps({"applicant_name": f"利用者{i % args.citizens}"}, ensure_ascii=False)}
            for i in range(args.log)])
    async with inbox.write() as s:
        await (await s.connection()).execute(sa.insert(webhook_event), [
            {"webhook_event_id": f"E{i}", "channel": "production", "user_key": _uid(i % args.citizens),
             "event_type": "message", "payload": json.dumps({"text": f"相談{i}"}), "received_at": NOW}
            for i in range(args.inbox)])


async def _run(url: str, args: argparse.Namespace) -> None:
    cipher = FieldCipher(parse_key(new_key_text()))
    db = Database(url, cipher)
    inbox = Database(default_inbox_url(url), cipher) if url.startswith("sqlite") else db
    try:
        started = time.perf_counter()
        await _seed(db, inbox, args)
        print(f"seeded {args.talk} talk-log rows, {args.log} log entries, {args.inbox} inbox events, "
              f"{args.citizens} citizens in {time.perf_counter() - started:.1f} s")
        target = args.citizens // 2
        started = time.perf_counter()
        async with db.read() as s:
            preview = await preview_erasure(s, target + 1, NOW)
        previewed = time.perf_counter()
        events = await erase_inbox_events(inbox, _uid(target))
        inboxed = time.perf_counter()
        async with db.write() as s:
            done = await erase_citizen(s, target + 1, NOW)
        erased = time.perf_counter()
        assert done.counts == preview.counts
        print(f"preview {previewed - started:.2f} s, inbox store {inboxed - previewed:.2f} s ({events} events), "
              f"erasure {erased - inboxed:.2f} s: {done.counts}")
    finally:
        await db.dispose()
        if inbox is not db:
            await inbox.dispose()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench erasure")
    parser.add_argument("--talk", type=int, default=200_000)
    parser.add_argument("--log", type=int, default=30_000)
    parser.add_argument("--inbox", type=int, default=50_000)
    parser.add_argument("--citizens", type=int, default=5_000)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        asyncio.run(_run(url, args))
    print(f"load average: {os.getloadavg()[0]:.2f} (2 shared cores)")
    return 0
