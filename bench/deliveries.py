"""Deliveries benchmark: segment counts at 50,000 citizens, and a 50,000-recipient delivery.

    python -m bench deliveries [--citizens 50000] [--repeat 7] [--no-postgres] [--dispatch-on sqlite|postgresql|both]

1. Builds a town of ``--citizens`` friends with the demo attributes (area, age group, gender,
   interests, household size, an encrypted birth date, 0–3 encrypted children's birth dates,
   follow dates) on SQLite and on PostgreSQL (127.0.0.1:5432, a throw-away database).
2. Times ``count`` for typical segments (median of ``--repeat`` runs after one warm-up).
   Target (issue): ≤ 200 ms on both.
3. Starts linesim in its own process with the same citizens as LINE friends and times one
   delivery to everyone: claiming, fixing recipients and batches, 100 multicasts of 500 with
   retry keys through line-bot-sdk, recording every batch. Target: ≤ 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import sys
import tempfile
import textwrap
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

REPO = Path(__file__).resolve().parents[1]
PG_SERVER = os.environ.get("MADOGUCHI_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")
KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
TOKEN, SECRET = "bench-deliveries-token", "bench-deliveries-secret"

SEGMENTS: dict[str, dict[str, Any]] = {
    "地区（1つ）": {"type": "choice", "attribute": "area", "values": ["honmachi"]},
    "関心分野（いずれか3つ）": {"type": "choice", "attribute": "interests", "values": ["int01", "int07", "int12"]},
    "30〜39歳（生年月日から）": {"type": "age", "attribute": "birth_date", "unit": "years", "min": 30, "max": 39},
    "生後3〜4か月の子がいる本町・寺町": {"type": "and", "items": [
        {"type": "choice", "attribute": "area", "values": ["honmachi", "teramachi"]},
        {"type": "age", "attribute": "children_birth_dates", "unit": "months", "min": 3, "max": 4}]},
    "複合（or/not/友だち日数）": {"type": "or", "items": [
        {"type": "and", "items": [
            {"type": "choice", "attribute": "age_group", "values": ["60s", "70s", "80plus"]},
            {"type": "not", "item": {"type": "choice", "attribute": "interests", "values": ["int07"]}}]},
        {"type": "and", "items": [{"type": "friend_days", "max": 30},
                                  {"type": "number", "attribute": "household_size", "min": 4}]}]},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def user_id(i: int) -> str:
    return f"U{i:032x}"


async def populate(db: Any, n: int, seed: int = 7) -> None:
    from civic.attributes import catalogue
    from civic.attributes import services as attributes
    from civic.attributes.blind import blind_index_of
    from civic.attributes.models import CitizenAttributeValue
    from civic.citizens.models import Citizen

    rng = random.Random(seed)
    async with db.write() as s:
        await catalogue.install_town(s, NOW, REPO / "content" / "midori")
    async with db.read() as s:
        specs = await attributes.definitions_by_key(s)
        blind = blind_index_of(s)
    citizen, value = Citizen.__table__, CitizenAttributeValue.__table__  # type: ignore[attr-defined]
    areas = [c.value for c in specs["area"].choices]
    groups = [c.value for c in specs["age_group"].choices]
    genders = [c.value for c in specs["gender"].choices]
    interests = [c.value for c in specs["interests"].choices]
    today = date(2026, 11, 21)
    chunk = 5000
    for start in range(0, n, chunk):
        people = [{"channel_user_id": user_id(i), "is_friend": True, "is_test_account": False,
                   "followed_at": NOW - timedelta(days=rng.randrange(0, 900), minutes=rng.randrange(0, 1440)),
                   "created_at": NOW} for i in range(start, min(n, start + chunk))]
        async with db.write() as s:
            conn = await s.connection()
            await conn.execute(citizen.insert(), people)
            ids = [r[0] for r in (await conn.execute(sa.select(citizen.c.id).where(
                citizen.c.channel_user_id.in_([p["channel_user_id"] for p in people])).order_by(citizen.c.id))).all()]
            rows: list[dict[str, Any]] = []
            for cid in ids:
                born = today - timedelta(days=rng.randrange(18 * 365, 90 * 365))
                kids = sorted({today - timedelta(days=rng.randrange(0, 18 * 365)) for _ in range(rng.choice([0, 0, 1, 2, 3]))})
                answers = {"area": [rng.choice(areas)], "age_group": [rng.choice(groups)], "gender": [rng.choice(genders)],
                           "interests": sorted(rng.sample(interests, rng.randrange(0, 6))),
                           "household_size": [float(rng.randrange(1, 7))], "birth_date": [born],
                           "children_birth_dates": kids}
                for key, values in answers.items():
                    rows += attributes.value_rows(specs[key], cid, values, NOW, blind)
            await conn.execute(value.insert(), rows)
    async with db.write() as s:
        await s.exec(sa.text("ANALYZE"))  # type: ignore[call-overload]


async def time_counts(db: Any, repeat: int) -> dict[str, tuple[float, int]]:
    from civic.segments import services as segments

    out = {}
    today = date(2026, 11, 21)
    for name, data in SEGMENTS.items():
        node = segments.parse_filter(data)
        async with db.read() as s:
            count = await segments.count(s, node, today)  # warm-up (and the figure)
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                await segments.count(s, node, today)
                times.append(time.perf_counter() - t0)
        out[name] = (statistics.median(times) * 1000, count)
    return out


LINESIM_PROGRAM = textwrap.dedent("""
    import sys
    from aiohttp import web
    from linesim import ChannelConfig, SimConfig, create_app
    from linesim.keys import SERVICE
    n, port, secret, token = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    app = create_app(SimConfig(channels=[ChannelConfig("production", secret, token)], max_recorded_calls=1000))
    channel = app[SERVICE].channel("production")
    for i in range(n):
        channel.add_user(f"市民{i}", user_id=f"U{i:032x}")
    print("ready", flush=True)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)
""")


async def dispatch(db: Any, n: int) -> dict[str, float]:
    from bot.gateway import LineGateway
    from bot.settings import LineAccount
    from civic.clock import FrozenClock
    from civic.deliveries.sending import DeliveryDispatcher, SendingConfig
    from civic.deliveries.services import DeliveryDesk, DeliveryInput

    port = _free_port()
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", LINESIM_PROGRAM, str(n), str(port), SECRET,
                                                TOKEN, cwd=REPO, stdout=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        line = (await proc.stdout.readline()).decode()
        assert line.strip() == "ready", line
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                async with aiohttp.ClientSession() as http, http.get(url + "/linesim/api/calls") as r:
                    if r.status == 200:
                        break
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
        clock = FrozenClock(NOW)
        gateway = LineGateway({"production": LineAccount("production", SECRET, TOKEN, url, url)}, max_concurrency=16)
        text = "みどり町からのお知らせ: 年末年始のごみ収集日程です。詳しくは https://www.town.midori.example.jp/gomi をご覧ください。"
        async with db.write() as s:
            await DeliveryDesk().create(s, clock.now(), DeliveryInput(
                title=f"全員へのお知らせ {uuid.uuid4().hex[:6]}", messages=[{"type": "text", "text": text}]))
        sender = DeliveryDispatcher(db, clock, gateway, instance="bench", config=SendingConfig(
            rate_per_second=150.0, concurrency=8, link_base_url="https://town.example"))
        t0 = time.perf_counter()
        run_id = await sender.claim()
        assert run_id is not None
        t1 = time.perf_counter()
        await sender._prepare(run_id)
        t2 = time.perf_counter()
        await sender._send(run_id)
        t3 = time.perf_counter()
        await gateway.close()
        async with aiohttp.ClientSession() as http, http.get(
                url + "/linesim/api/calls", params={"path": "/v2/bot/message/multicast"}) as r:
            calls = await r.json()
        records = calls if isinstance(calls, list) else calls.get("calls", [])
        delivered = sum(len(c["body"]["to"]) for c in records if c.get("status") == 200)
        from civic.deliveries.models import DeliveryRun
        async with db.read() as s:
            run = await s.get(DeliveryRun, run_id)
        return {"claim": t1 - t0, "prepare": t2 - t1, "send": t3 - t2, "total": t3 - t0,
                "succeeded": float(run.succeeded), "accepted_by_linesim": float(delivered),
                "requests": float(len(records))}
    finally:
        proc.terminate()
        await proc.wait()


async def _admin(sql: str) -> None:
    engine = create_async_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(sql))
    finally:
        await engine.dispose()


async def run(args: argparse.Namespace) -> None:
    from bot.migrate import upgrade
    from civic.crypto import FieldCipher, parse_key
    from civic.database import Database

    cipher = FieldCipher(parse_key(KEY))
    backends: list[tuple[str, str]] = []
    tmp = tempfile.TemporaryDirectory(prefix="bench-deliveries-")
    sqlite_url = f"sqlite+aiosqlite:///{tmp.name}/bench.db"
    backends.append(("sqlite", sqlite_url))
    pg_name = f"madoguchi_bench_{os.getpid()}"
    if not args.no_postgres:
        await _admin(f'CREATE DATABASE "{pg_name}"')
        backends.append(("postgresql", f"{PG_SERVER}/{pg_name}"))
    print(f"deliveries benchmark: {args.citizens:,} citizens, 2-core machine shared with others")
    try:
        for name, url in backends:
            await asyncio.get_running_loop().run_in_executor(None, upgrade, url)
            db = Database(url, cipher)
            try:
                t0 = time.perf_counter()
                await populate(db, args.citizens)
                print(f"\n[{name}] built the town in {time.perf_counter() - t0:.1f} s")
                print(f"[{name}] segment count, median of {args.repeat} (target ≤ 200 ms):")
                for segment, (ms, count) in (await time_counts(db, args.repeat)).items():
                    print(f"  {segment:<28} {ms:8.1f} ms   {count:>6,} citizens")
                if args.dispatch_on in (name, "both"):
                    figures = await dispatch(db, args.citizens)
                    print(f"[{name}] delivery to everyone (target ≤ 10 s): {figures['total']:.2f} s "
                          f"(claim {figures['claim'] * 1000:.0f} ms, recipients + batches "
                          f"{figures['prepare']:.2f} s, {figures['requests']:.0f} multicasts "
                          f"{figures['send']:.2f} s); {figures['succeeded']:,.0f} succeeded, "
                          f"{figures['accepted_by_linesim']:,.0f} accepted by linesim")
            finally:
                await db.dispose()
    finally:
        if not args.no_postgres:
            await _admin(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        tmp.cleanup()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench deliveries", description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--dispatch-on", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args(argv)
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
