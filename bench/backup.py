"""``python -m bench backup``: backup and restore time and size for a filled database (issue #18),
and what one ``/metrics`` scrape costs.

Seeds 50,000 citizens and 1,000,000 talk-log rows (``bench.erasure``'s seeding), then times
``bot.backup.generations.backup`` (snapshot + AES-GCM), ``verify`` (decrypt + restore into a scratch
store + read every table back) and ``restore``. With ``--database-url`` (an empty PostgreSQL
database) the same on PostgreSQL (pg_dump/pg_restore).

    python -m bench backup [--citizens 50000] [--talk 1000000] [--database-url postgresql+asyncpg://…]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from bench.erasure import _seed
from bot.backup.cipher import parse_key
from bot.backup.generations import backup, restore, verify
from bot.backup.stores import stores_of
from bot.metrics import Metrics
from bot.migrate import upgrade
from bot.settings import default_inbox_url
from civic.crypto import FieldCipher, new_key_text
from civic.database import Database


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir())


async def _run(url: str, args: argparse.Namespace, work: Path) -> None:
    cipher = FieldCipher(parse_key(new_key_text()))
    db = Database(url, cipher)
    inbox = Database(default_inbox_url(url), cipher) if url.startswith("sqlite") else db
    try:
        started = time.perf_counter()
        await _seed(db, inbox, args)
        print(f"seeded {args.citizens} citizens, {args.talk} talk-log rows in {time.perf_counter() - started:.1f} s")
    finally:
        await db.dispose()
        if inbox is not db:
            await inbox.dispose()
    stores = stores_of(url, default_inbox_url(url))
    key = parse_key(new_key_text())
    started = time.perf_counter()
    made = await backup(stores, key, work / "backups", keep=7)
    took = time.perf_counter() - started
    print(f"backup: {took:.1f} s, {_size(made) / 1e6:.1f} MB encrypted ({made.name})")
    started = time.perf_counter()
    checked = await verify(made, stores, key)
    print(f"verify (decrypt + scratch restore + read every table): {time.perf_counter() - started:.1f} s "
          f"({checked.summary()})")
    started = time.perf_counter()
    await restore(made, stores, key)
    print(f"restore (decrypt + replace + migrations): {time.perf_counter() - started:.1f} s")


async def _scrape_cost(n: int = 200) -> None:
    metrics = Metrics()
    for outcome in ("accepted", "bad_signature", "bad_request"):
        metrics.webhook_requests.labels(outcome).inc()
    for i in range(1000):
        metrics.ack_seconds.observe(i / 10000)
        metrics.turn_seconds.observe(i / 1000)
    started = time.perf_counter()
    for _ in range(n):
        await metrics.exposition()
    print(f"/metrics exposition (counters and histograms, no database readings): "
          f"{(time.perf_counter() - started) / n * 1000:.2f} ms per scrape")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench backup")
    parser.add_argument("--citizens", type=int, default=50_000)
    parser.add_argument("--talk", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    args.log, args.inbox = 10_000, 10_000
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        asyncio.run(_run(url, args, Path(tmp)))
    asyncio.run(_scrape_cost())
    print(f"load average: {os.getloadavg()[0]:.2f} (2 shared cores)")
    return 0
