"""Booking benchmark: a month of availability for every demo facility, and concurrent booking attempts.

``python -m bench booking [--backend sqlite|postgresql|both] [--rounds 20] [--attempts 200]``

* Availability: load the catalogue, the calendar and the month's reservations for all 17 demo
  facilities and compute the marks of every citizen-visible unit for every day of next month
  (the LIFF calendar's work, for all units at once). Target (issue): ≤ 50 ms.
* Throughput: ``--attempts`` citizens try to book at once, spread over ``--slots`` distinct slots
  (several per slot, so most lose and get alternatives); then a hot slot: 100 at one frame.
  Reported: wall time, attempts per second, winners (must equal the number of slots / 1).

Figures are printed, never asserted. Each run gets a fresh database (a temporary SQLite file; a
temporary PostgreSQL database on ``--pg``) seeded with the demo town.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.migrate import upgrade
from civic.booking.demo import seed_booking_demo
from civic.booking.services import BookingService
from civic.booking.types import Booker, BookingRequest, Reserved, SlotTaken
from civic.clock import TOKYO, FrozenClock
from civic.crypto import FieldCipher, parse_key
from civic.database import Database
from civic.facilities.models import FRAMES, PUBLIC

REPO = Path(__file__).resolve().parents[1]
CONTENT = REPO / "content" / "midori"
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=TOKYO)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def month_for_all(svc: BookingService, year: int, month: int) -> int:
    return sum(len(days) for days in (await svc.month_for_all(year, month)).values())


async def bench_availability(db: Database, rounds: int) -> dict[str, float]:
    """The service's month_for_all: catalogue (cached, revalidated by one query), calendar, bookings."""
    target = (NOW + timedelta(days=32)).date()
    svc = BookingService(db, FrozenClock(NOW))
    await month_for_all(svc, target.year, target.month)  # warm up (imports, statement cache, catalogue)
    walls, cpus = [], []
    marks = 0
    for _ in range(rounds):
        w, c = time.perf_counter(), time.process_time()
        marks = await month_for_all(svc, target.year, target.month)
        walls.append((time.perf_counter() - w) * 1000)
        cpus.append((time.process_time() - c) * 1000)
    return {"marks": marks, "median_ms": statistics.median(walls), "p95_ms": pct(walls, 95),
            "cpu_median_ms": statistics.median(cpus)}


async def _slots(db: Database, wanted: int) -> list[BookingRequest]:
    """Distinct free public frames on free days (no one else holds them)."""
    svc = BookingService(db, FrozenClock(NOW))
    out: list[BookingRequest] = []
    seen: set[tuple[int, date, int]] = set()  # one unit per facility and frame: no shared areas
    catalogue = await svc.catalogue()
    for offset in range(20, 40):
        day = NOW.date() + timedelta(days=offset)
        for b in catalogue.ordered():
            for unit in b.units:
                if unit.visibility != PUBLIC or unit.booking_mode != FRAMES or unit.approval_required:
                    continue
                for slot in await svc.available_frames(unit.id, day):
                    if slot.free and len(out) < wanted and (b.id, day, slot.start_minute) not in seen:
                        seen.add((b.id, day, slot.start_minute))
                        purposes = b.purposes_for(unit.id)
                        out.append(BookingRequest(unit.id, day, slot.start_minute, slot.end_minute, people=5,
                                                  purpose=purposes[0] if purposes else "", terms_accepted=True))
                if len(out) >= wanted:
                    return out
    return out


async def bench_attempts(db: Database, attempts: int, slots: int) -> dict[str, float]:
    svc = BookingService(db, FrozenClock(NOW))
    requests = await _slots(db, slots + 1)
    spread, hot = requests[:slots], requests[slots]
    go = asyncio.Event()

    async def one(i: int, request: BookingRequest):
        await go.wait()
        return await svc.reserve(request, Booker(f"Ubench{uuid.uuid4().hex[:8]}{i}", name="ベンチ 太郎"))

    results = {}
    for name, plan in (("spread", [spread[i % len(spread)] for i in range(attempts)]), ("hot", [hot] * 100)):
        go.clear()
        tasks = [asyncio.create_task(one(i, r)) for i, r in enumerate(plan)]
        await asyncio.sleep(0)
        w, c = time.perf_counter(), time.process_time()
        go.set()
        done = await asyncio.gather(*tasks)
        wall = time.perf_counter() - w
        results[name] = {
            "attempts": len(plan), "wall_s": wall, "per_s": len(plan) / wall, "cpu_s": time.process_time() - c,
            "won": sum(isinstance(r, Reserved) for r in done), "taken": sum(isinstance(r, SlotTaken) for r in done),
            "slots": len({(r.unit_id, r.day, r.start_minute) for r in plan}),
        }
    return results


async def run(url: str, rounds: int, attempts: int, slots: int) -> dict:
    db = Database(url, FieldCipher(parse_key("00" * 32)))
    try:
        t = time.perf_counter()
        seeded = await seed_booking_demo(db, FrozenClock(NOW), CONTENT, bookings=80)
        seed_s = time.perf_counter() - t
        out = {"facilities": len(seeded.facilities.created), "demo_bookings": seeded.bookings, "seed_s": seed_s}
        out["availability"] = await bench_availability(db, rounds)
        out["attempts"] = await bench_attempts(db, attempts, slots)
        return out
    finally:
        await db.dispose()


async def _pg_admin(server: str, sql: str) -> None:
    engine = create_async_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(sql))
    finally:
        await engine.dispose()


def report(backend: str, r: dict) -> None:
    a = r["availability"]
    print(f"\n== {backend}: {r['facilities']} facilities, {r['demo_bookings']} demo bookings (seeded in {r['seed_s']:.1f} s)")
    print(f"month of availability, all facilities ({a['marks']} unit-days): median {a['median_ms']:.1f} ms, "
          f"p95 {a['p95_ms']:.1f} ms, CPU median {a['cpu_median_ms']:.1f} ms  (target ≤ 50 ms)")
    for name, x in r["attempts"].items():
        print(f"{name:6} {x['attempts']} concurrent attempts on {x['slots']} slot(s): {x['wall_s']:.2f} s wall, "
              f"{x['per_s']:.0f} attempts/s, CPU {x['cpu_s']:.2f} s; won {x['won']}, just-taken {x['taken']}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench booking", description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--attempts", type=int, default=200)
    parser.add_argument("--slots", type=int, default=20)
    parser.add_argument("--pg", default=os.environ.get("MADOGUCHI_BENCH_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432"))
    args = parser.parse_args(argv)
    print(f"booking benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()[0]:.2f}, "
          f"{os.cpu_count()} CPUs")
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            upgrade(url)
            report("SQLite", asyncio.run(run(url, args.rounds, args.attempts, args.slots)))
    if args.backend in ("postgresql", "both"):
        name = f"madoguchi_bench_{os.getpid()}"
        asyncio.run(_pg_admin(args.pg, f'CREATE DATABASE "{name}"'))
        try:
            url = f"{args.pg}/{name}"
            upgrade(url)
            report("PostgreSQL", asyncio.run(run(url, args.rounds, args.attempts, args.slots)))
        finally:
            asyncio.run(_pg_admin(args.pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return 0
