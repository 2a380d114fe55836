"""A delivery to a whole city, sent by the running service: ``python -m bench city_delivery [--citizens 2000000]``.

Issue #19: 福岡市 has about 1.84 million LINE friends. On a throw-away PostgreSQL database
(127.0.0.1:5432) the bench

1. creates ``--citizens`` friends (COPY; no attributes: "everyone" needs none);
2. starts linesim in its own process with the same friends — it counts every multicast request
   and every recipient's messages;
3. starts ``python -m bot serve`` (``INSTANCE_MODE=shared``, the web process and its turn worker) on
   that database, and queues a delivery "to everyone, now", which the service's own delivery
   scheduler — in the turn worker, not the web process — claims, prepares (recipients cut into
   batches of 500 with retry keys, in SQL) and sends at its configured pace (100 multicasts/s,
   half of LINE's 200 requests/s per channel);
4. meanwhile sends ``--probe-rate`` webhooks a second to the same service and records how long
   each took to be acknowledged.

Reported: wall time from the run's claim to its end (and the prepare: claim to first multicast), multicast
requests per second as linesim received them, recipients who got the message exactly once (and
any twice or never), and the webhook acknowledgement p50/p95/p99 while the delivery ran.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bench.scaleout import _wait_up
from bench.webhook import (
    KEY,
    SECRET,
    TOKEN,
    _children,
    _event,
    _free_port,
    _own_cpu,
    _pct,
    _signed,
    _wait_http,
)

REPO = Path(__file__).resolve().parents[1]
PG_SERVER = os.environ.get("MADOGUCHI_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")
TEXT = ("【福岡市からのお知らせ】大雨警報が発表されました。避難情報は市のホームページでご確認ください。"
        "https://www.city.example.jp/bousai")

LINESIM_PROGRAM = textwrap.dedent("""
    import sys, time
    from collections import Counter
    from aiohttp import web
    from linesim import ChannelConfig, SimConfig, create_app
    from linesim.keys import SERVICE
    n, port, secret, token = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    app = create_app(SimConfig(channels=[ChannelConfig("production", secret, token)], max_recorded_calls=1000,
                               reply_token_ttl=600))
    channel = app[SERVICE].channel("production")
    for i in range(n):
        channel.add_user(f"市民{i}", user_id=f"U{i:032x}")
    received = Counter()
    times = []
    deliver = channel.deliver

    def counting(user_ids, messages, via, request_id):
        user_ids = list(user_ids)
        if via == "multicast":
            times.append(time.time())
            received.update(user_ids)
        return deliver(user_ids, messages, via, request_id)

    channel.deliver = counting

    async def stats(request):
        once = sum(1 for v in received.values() if v == 1)
        return web.json_response({"requests": len(times), "first": times[0] if times else None,
                                  "last": times[-1] if times else None, "recipients": len(received),
                                  "once": once, "more_than_once": len(received) - once})

    app.router.add_get("/bench/stats", stats)
    print("ready", flush=True)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)
""")


def user_id(i: int) -> str:
    return f"U{i:032x}"


async def _admin(sql: str) -> None:
    engine = create_async_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(sql))
    finally:
        await engine.dispose()


async def populate(url: str, n: int) -> None:
    import asyncpg  # type: ignore[import-untyped]

    now = datetime.now(UTC)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        chunk = 200_000
        for start in range(0, n, chunk):
            await conn.copy_records_to_table(
                "citizen", columns=["channel_user_id", "is_friend", "is_test_account", "followed_at", "created_at"],
                records=[(user_id(i), True, False, now, now) for i in range(start, min(n, start + chunk))])
        await conn.execute("ANALYZE citizen")
    finally:
        await conn.close()


async def queue_delivery(url: str) -> None:
    from civic.clock import SystemClock
    from civic.crypto import FieldCipher, parse_key
    from civic.database import Database
    from civic.deliveries.services import DeliveryDesk, DeliveryInput

    db = Database(url, FieldCipher(parse_key(KEY)))
    try:
        async with db.write() as s:
            await DeliveryDesk().create(s, SystemClock().now(), DeliveryInput(
                title=f"市内全域へのお知らせ {uuid.uuid4().hex[:6]}", messages=[{"type": "text", "text": TEXT}]))
    finally:
        await db.dispose()


async def run_state(url: str) -> dict[str, Any] | None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(sa.text(
                "SELECT status, targeted, succeeded, failed, started_at, finished_at, "
                "(SELECT count(*) FROM delivery_batch) AS batches FROM delivery_run ORDER BY id DESC LIMIT 1"
            ))).mappings().first()
    finally:
        await engine.dispose()
    return dict(row) if row else None


def _spawn(command: list[str], env: dict[str, str], log: Path, *, nice: int = 0,
           piped: bool = False) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE if piped else subprocess.DEVNULL,
                            stderr=log.open("wb"), preexec_fn=(lambda: os.nice(nice)) if nice else None)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    name = f"madoguchi_bench_city_{os.getpid()}"
    url = f"{PG_SERVER}/{name}"
    tmp = Path(tempfile.mkdtemp(prefix="madoguchi-bench-city-"))
    sim_port, bot_port = _free_port(), _free_port()
    sim, bot = f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{bot_port}"
    env = {**os.environ, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_API_BASE_URL": sim, "DATABASE_URL": url, "DATA_ENCRYPTION_KEY": KEY,
           "CONTENT_DIR": str(REPO / "content"), "LOG_LEVEL": "WARNING", "INSTANCE_MODE": "shared",
           "NLU_ENCODER": args.nlu_encoder}
    procs: list[subprocess.Popen] = []
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bot", "migrate"], cwd=REPO, env=env,
                                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.perf_counter()
        await populate(url, args.citizens)
        print(f"{args.citizens:,} friends created in {time.perf_counter() - t0:.1f} s", flush=True)
        procs.append(_spawn([sys.executable, "-c", LINESIM_PROGRAM, str(args.citizens), str(sim_port), SECRET, TOKEN],
                            env, tmp / "linesim.log", nice=args.linesim_nice, piped=True))
        assert procs[0].stdout is not None
        ready = await asyncio.to_thread(procs[0].stdout.readline)
        assert ready.strip() == b"ready", ready
        await _wait_http(f"{sim}/bench/stats", procs[0], "linesim")
        procs.append(_spawn([sys.executable, "-m", "bot", "serve", "--skip-migrate", "--port", str(bot_port)],
                            env, tmp / "bot.log"))
        await _wait_up(f"{bot}/healthz", procs[1], "bot")
        acks: list[float] = []
        errors = 0
        stop = asyncio.Event()
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{sim}/linesim/api/reply-tokens", json={"count": 20_000}) as r:
                tokens = (await r.json())["replyTokens"]

            async def probe() -> None:
                nonlocal errors
                i = 0
                start = time.perf_counter()
                tasks = []

                async def one(k: int) -> None:
                    nonlocal errors
                    body, signature = _signed(_event(user_id(k % args.citizens), tokens[k % len(tokens)], k))
                    t = time.perf_counter()
                    try:
                        async with http.post(f"{bot}/callback", data=body, headers={
                                "X-Line-Signature": signature, "Content-Type": "application/json"}) as answer:
                            await answer.read()
                            ok = answer.status == 200
                    except aiohttp.ClientError:
                        ok = False
                    if ok:
                        acks.append((time.perf_counter() - t) * 1000)
                    else:
                        errors += 1

                while not stop.is_set():
                    tasks.append(asyncio.create_task(one(i)))
                    i += 1
                    delay = start + i / args.probe_rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                await asyncio.gather(*tasks)

            # The same probe for a while before the delivery: the machine's own baseline.
            probing = asyncio.create_task(probe())
            await asyncio.sleep(args.baseline)
            stop.set()
            await probing
            before, acks[:] = list(acks), []
            stop.clear()
            # The turn worker sends the delivery and answers the probes: its CPU counts both.
            (worker,) = _children(procs[1].pid)
            cpu0 = {"web": _own_cpu(procs[1].pid), "worker": _own_cpu(worker), "linesim": _own_cpu(procs[0].pid)}
            await queue_delivery(url)
            probing = asyncio.create_task(probe())
            queued = time.perf_counter()
            async with asyncio.timeout(args.limit):
                while True:
                    state = await run_state(url)
                    if state and state["status"] in ("done", "failed", "skipped", "cancelled"):
                        break
                    await asyncio.sleep(1)
            stop.set()
            await probing
            async with http.get(f"{sim}/bench/stats") as r:
                stats = await r.json()
            cpu = {"web": _own_cpu(procs[1].pid) - cpu0["web"], "worker": _own_cpu(worker) - cpu0["worker"],
                   "linesim": _own_cpu(procs[0].pid) - cpu0["linesim"]}
        assert state is not None
        wall = (state["finished_at"] - state["started_at"]).total_seconds()
        sending = (stats["last"] - stats["first"]) if stats["requests"] > 1 else float("nan")
        return {
            "citizens": args.citizens, "status": state["status"], "targeted": state["targeted"],
            "succeeded": state["succeeded"], "failed": state["failed"], "batches": state["batches"],
            "wall_seconds_claim_to_end": round(wall, 1),
            "prepare_seconds": round(stats["first"] - state["started_at"].timestamp(), 1) if stats["first"] else None,
            "seconds_from_queued": round(time.perf_counter() - queued, 1),
            "multicast_requests": stats["requests"], "send_seconds_at_linesim": round(sending, 1),
            "requests_per_second_at_linesim": round(stats["requests"] / sending, 1) if sending else None,
            "recipients_once": stats["once"], "recipients_more_than_once": stats["more_than_once"],
            "recipients_never": args.citizens - stats["recipients"],
            "webhook_ack_ms": {p: round(_pct(acks, p), 1) for p in (50, 95, 99)}, "webhooks": len(acks),
            "webhook_ack_ms_before": {p: round(_pct(before, p), 1) for p in (50, 95, 99)},
            "cpu_seconds_during": {k: round(v, 1) for k, v in cpu.items()},
            "web_cpu_ms_per_multicast": round(cpu["web"] * 1000 / max(1, stats["requests"]), 2),
            "worker_cpu_ms_per_multicast": round(cpu["worker"] * 1000 / max(1, stats["requests"]), 2),
            "webhook_errors": errors, "load_average": round(os.getloadavg()[0], 1),
        }
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str]) -> int:
    import signal as signals

    signals.signal(signals.SIGTERM, signals.default_int_handler)  # stopped: the processes and the database go too
    parser = argparse.ArgumentParser(prog="python -m bench city_delivery", description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=2_000_000)
    parser.add_argument("--probe-rate", type=float, default=20.0, help="webhooks a second during the delivery")
    parser.add_argument("--baseline", type=float, default=20.0, help="seconds of probing before the delivery")
    parser.add_argument("--limit", type=float, default=3600.0, help="give up after this many seconds")
    parser.add_argument("--linesim-nice", type=int, default=0,
                        help="extra niceness for linesim (0: the bench's own; on a crowded machine more starves it)")
    parser.add_argument("--nlu-encoder", default="none", help="the bot's NLU_ENCODER (the probe measures acks)")
    result = asyncio.run(run(parser.parse_args(argv)))
    print(json.dumps(result, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
