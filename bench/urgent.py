"""Urgent broadcast (issue #22): an urgent delivery to everyone, started while a routine delivery to
everyone is sending, reaches everyone before the routine one finishes — and how long it takes.

    python -m bench urgent [--citizens 50000] [--rate 150]

SQLite in a temporary directory, ``--citizens`` friends; linesim in its own process with the same
friends (as ``bench deliveries``). A routine delivery to everyone starts (multicasts of 500 at
``--rate`` requests a second, the service's setting); after its first wave staff start an urgent one.
Twice: the urgent one to everyone (one LINE broadcast), then to a segment of everyone (multicasts,
as an urgent delivery to part of the town goes). Reported: time from the urgent one's creation to
LINE accepting its last call, how many of the routine batches had gone by then, and the routine
delivery's own time.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from typing import Any

import aiohttp

from bench.deliveries import LINESIM_PROGRAM, NOW, REPO, SECRET, TOKEN, _free_port, populate

URGENT = "【緊急】みどり町全域に避難指示を発令しました。直ちに避難してください。"
ROUTINE = "みどり町からのお知らせ：年末年始のごみ収集日程です。"


class Clocked:
    """The gateway, noting when each call returned; staff start the urgent delivery after the first wave."""

    def __init__(self, gateway: Any, start_urgent: Any) -> None:
        self.gateway, self.start_urgent = gateway, start_urgent
        self.routine_done = 0
        self.urgent_calls = 0
        self.urgent_started: float | None = None
        self.urgent_last: float | None = None
        self.routine_before_urgent_done: int | None = None
        self._starting = False

    def _urgent(self, messages: list[dict[str, Any]]) -> bool:
        return str(messages[0].get("text", "")).startswith("【緊急】")

    async def multicast(self, channel: str, to: list[str], messages: list[dict[str, Any]], retry_key: str, *,
                        aggregation_unit: str | None = None) -> None:
        await self.gateway.multicast(channel, to, messages, retry_key, aggregation_unit=aggregation_unit)
        if self._urgent(messages):
            self.urgent_calls += 1
            self.urgent_last = time.perf_counter()
            self.routine_before_urgent_done = self.routine_done
            return
        self.routine_done += 1
        if self.urgent_started is None and not self._starting:
            self._starting = True
            self.urgent_started = time.perf_counter()
            await self.start_urgent()

    async def broadcast(self, channel: str, messages: list[dict[str, Any]], retry_key: str) -> None:
        await self.gateway.broadcast(channel, messages, retry_key)
        self.urgent_calls += 1
        self.urgent_last = time.perf_counter()
        self.routine_before_urgent_done = self.routine_done


async def one(db: Any, url: str, n: int, rate: float, *, to_segment: bool) -> dict[str, float]:
    from bot.gateway import LineGateway
    from bot.settings import LineAccount
    from civic.clock import FrozenClock
    from civic.deliveries.models import DeliveryRun
    from civic.deliveries.sending import DeliveryDispatcher, SendingConfig
    from civic.deliveries.services import DeliveryDesk, DeliveryInput
    from civic.segments import services as segments

    clock = FrozenClock(NOW)
    desk = DeliveryDesk()
    segment_id = None
    if to_segment:
        async with db.write() as s:
            segment = await segments.create_segment(s, NOW, name=f"全員 {time.time_ns()}", filter_data={"type": "all"})
            segment_id = segment.id
    async with db.write() as s:
        await desk.create(s, clock.now(), DeliveryInput(title="広報", messages=[{"type": "text", "text": ROUTINE}]))

    async def start_urgent() -> None:
        async with db.write() as s:
            await desk.create(s, clock.now(), DeliveryInput(
                title="避難指示", messages=[{"type": "text", "text": URGENT}], urgent=True,
                target="segment" if to_segment else "all", segment_id=segment_id))

    gateway = LineGateway({"production": LineAccount("production", SECRET, TOKEN, url, url)}, max_concurrency=16)
    line = Clocked(gateway, start_urgent)
    sender = DeliveryDispatcher(db, clock, line, instance="bench", desk=desk,
                                config=SendingConfig(rate_per_second=rate, concurrency=8))
    t0 = time.perf_counter()
    await sender.tick()
    t_end = time.perf_counter()
    await gateway.close()
    async with db.read() as s:
        from sqlmodel import col, select
        runs = (await s.exec(select(DeliveryRun).order_by(col(DeliveryRun.id).desc()).limit(2))).all()
    urgent, routine = runs[0], runs[1]
    assert urgent.priority == 1 and urgent.succeeded == n and routine.succeeded == n, (urgent, routine)
    assert line.urgent_started is not None and line.urgent_last is not None
    return {"urgent_s": line.urgent_last - line.urgent_started, "urgent_calls": float(line.urgent_calls),
            "routine_batches_before": float(line.routine_before_urgent_done or 0),
            "routine_batches": float(line.routine_done), "routine_total_s": t_end - t0}


async def run(args: argparse.Namespace) -> None:
    from bench.deliveries import KEY
    from bot.migrate import upgrade
    from civic.crypto import FieldCipher, parse_key
    from civic.database import Database

    n = args.citizens
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", LINESIM_PROGRAM, str(n), str(port), SECRET,
                                                TOKEN, cwd=REPO, stdout=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        ready = (await proc.stdout.readline()).decode()
        assert ready.strip() == "ready", ready
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                async with aiohttp.ClientSession() as http, http.get(url + "/linesim/api/calls") as r:
                    if r.status == 200:
                        break
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
        with tempfile.TemporaryDirectory(prefix="bench-urgent-") as tmp:
            db_url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            await asyncio.get_running_loop().run_in_executor(None, upgrade, db_url)
            db = Database(db_url, FieldCipher(parse_key(KEY)))
            await populate(db, n)
            print(f"urgent benchmark: {n:,} friends; a routine delivery to all of them is sending "
                  f"({-(-n // 500)} multicasts of 500 at {args.rate:g}/s) when an urgent one starts")
            for to_segment, how in ((False, "to everyone (LINE broadcast)"), (True, "to a segment (multicast)")):
                figures = await one(db, url, n, args.rate, to_segment=to_segment)
                print(f"  urgent {how}: everyone reached {figures['urgent_s']:.2f} s after it was started "
                      f"({figures['urgent_calls']:.0f} call(s)); routine batches sent by then "
                      f"{figures['routine_batches_before']:.0f}/{figures['routine_batches']:.0f}; "
                      f"routine delivery finished after {figures['routine_total_s']:.2f} s")
            await db.dispose()
    finally:
        proc.terminate()
        await proc.wait()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench urgent", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--citizens", type=int, default=50000)
    parser.add_argument("--rate", type=float, default=150.0)
    asyncio.run(run(parser.parse_args(argv)))
    return 0
