"""``python -m bench backup``: backup and restore time and size for a filled database (issue #18),
what one ``/metrics`` scrape costs, and the webhook's acknowledgement latency while a backup runs.

Seeds 50,000 citizens and 1,000,000 talk-log rows (``bench.erasure``'s seeding: multi-row bulk
inserts), then times ``bot.backup.generations.backup`` (snapshot + AES-GCM), ``verify`` (decrypt +
restore into a scratch store + read every table back) and ``restore``. With ``--database-url`` (an
empty PostgreSQL database) the same on PostgreSQL (pg_dump/pg_restore).

``--webhook``: then the service on that filled database (``bench webhook``'s processes: linesim and
the bot with its turn worker) for three acknowledgement phases of ``--rate`` events/s for
``--seconds`` each: with no backup, while ``python -m bot backup`` runs as a separate process (cron,
a systemd timer), and while the web process itself runs the daily job's backup and verification
(``BACKUP_AT``); and ``--scrapes`` scrapes of the real ``/metrics`` (database readings included).

    python -m bench backup [--citizens 50000] [--talk 1000000] [--database-url postgresql+asyncpg://…]
                           [--webhook [--rate 300] [--seconds 15] [--scrapes 100]]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from bench.erasure import _seed
from bench.webhook import KEY, REPO, SECRET, TOKEN, _pct, _phase, _wait_http, cpu_seconds, start_processes
from bot.backup.cipher import parse_key
from bot.backup.generations import backup, restore, verify
from bot.backup.stores import stores_of
from bot.metrics import Metrics
from bot.migrate import upgrade
from bot.settings import default_inbox_url
from civic.crypto import FieldCipher, new_key_text
from civic.crypto import parse_key as field_key
from civic.database import Database


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir())


async def _run(url: str, args: argparse.Namespace, work: Path) -> None:
    cipher = FieldCipher(field_key(KEY))  # the service of --webhook reads it with this key
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


async def _scrapes(http: aiohttp.ClientSession, bot: str, bot_pid: int, n: int) -> str:
    """``n`` scrapes of the running service's ``/metrics``: wall time per scrape and the web
    process's CPU per scrape (the readings at scrape time: backlog, hand-overs waiting, backup age)."""
    times: list[float] = []
    cpu0 = cpu_seconds(bot_pid)["web"]
    size = 0
    for _ in range(n):
        started = time.perf_counter()
        async with http.get(f"{bot}/metrics") as r:
            size = len(await r.read())
            assert r.status == 200, r.status
        times.append((time.perf_counter() - started) * 1000)
    cpu = (cpu_seconds(bot_pid)["web"] - cpu0) * 1000 / n
    return (f"/metrics on the running service: p50 {_pct(times, 50):.1f} ms, p99 {_pct(times, 99):.1f} ms "
            f"per scrape, web-process CPU {cpu:.1f} ms per scrape, {size} bytes")


def _ack(label: str, phase: dict[str, Any]) -> str:
    ms = phase["ack_ms"]
    return (f"{label}: {phase['ack_throughput']} events/s acknowledged of {phase['rate_target']:.0f}/s, "
            f"ack p50/p95/p99 = {ms[50]}/{ms[95]}/{ms[99]} ms, errors {phase['errors']}, "
            f"end-to-end p99 {phase['e2e_ms'][99]} ms, load average {phase['load_average']:.1f}")


async def _during_backup(args: argparse.Namespace, procs: list[subprocess.Popen], bot: str, sim: str,
                         env: dict[str, str], done: Path) -> None:
    await _wait_http(f"{sim}/linesim/api/calls", procs[0], "linesim")
    await _wait_http(f"{bot}/healthz", procs[1], "bot")
    users = ["U" + uuid.uuid4().hex for _ in range(200)]
    pids = procs[1].pid, procs[0].pid
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as http:
        await _phase(http, bot, sim, 100, 1, users, *pids)  # warm-up
        print(await _scrapes(http, bot, procs[1].pid, args.scrapes))
        print(_ack("no backup", await _phase(http, bot, sim, args.rate, args.seconds, users, *pids)))

        started = time.perf_counter()
        cron = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "backup", "--dest", str(done.parent / "cron"), cwd=REPO, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        phase = await _phase(http, bot, sim, args.rate, args.seconds, users, *pids)
        _, err = await cron.communicate()
        took = time.perf_counter() - started
        if cron.returncode != 0:
            raise SystemExit(f"python -m bot backup failed: {err.decode()[-500:]}")
        print(_ack(f"while `python -m bot backup` runs (its own process; done after {took:.1f} s)", phase))

        os.kill(procs[1].pid, signal.SIGUSR1)
        phase = await _phase(http, bot, sim, args.rate, args.seconds, users, *pids)
        for _ in range(600):
            if await asyncio.to_thread(done.exists):
                break
            await asyncio.sleep(0.5)
        made, checked = (float(x) for x in (await asyncio.to_thread(done.read_text)).split())
        print(_ack(f"while the web process runs the daily job (backup {made:.1f} s, + verify: {checked:.1f} s)",
                   phase))


def _webhook(args: argparse.Namespace, url: str, tmp: Path) -> None:
    done = tmp / "in-process" / "done"
    done.parent.mkdir()
    extra = {"BACKUP_ENCRYPTION_KEY": new_key_text(), "BACKUP_DIR": str(done.parent), "BENCH_BACKUP_DONE": str(done),
             "INBOX_DATABASE_URL": default_inbox_url(url)}
    procs, bot, sim = start_processes(tmp, db_url=url, linesim_nice=10, extra_env=extra)
    try:
        asyncio.run(_during_backup(args, procs, bot, sim, {
            **os.environ, "DATABASE_URL": url, "DATA_ENCRYPTION_KEY": KEY, "LINE_CHANNEL_SECRET": SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": TOKEN, **extra}, done))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench backup")
    parser.add_argument("--citizens", type=int, default=50_000)
    parser.add_argument("--talk", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: a temporary SQLite file)")
    parser.add_argument("--webhook", action="store_true",
                        help="then acknowledgement latency with no backup, with one in its own process, and with "
                             "the daily job in the web process; and the running service's /metrics")
    parser.add_argument("--rate", type=float, default=300.0, help="events/s in each --webhook phase")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each --webhook phase")
    parser.add_argument("--scrapes", type=int, default=100, help="/metrics scrapes timed with --webhook")
    args = parser.parse_args(argv)
    args.log, args.inbox = 10_000, 10_000
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        asyncio.run(_run(url, args, Path(tmp)))
        if args.webhook:
            _webhook(args, url, Path(tmp))
    asyncio.run(_scrape_cost())
    print(f"load average: {os.getloadavg()[0]:.2f} (2 shared cores)")
    return 0
