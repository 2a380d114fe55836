"""End-to-end turn latency per flow: ``python -m bench dialogues [--conversations 20]``.

The whole service runs in-process against linesim, as in the conversation tests: linesim signs
and POSTs the webhook, the service stores it in the inbox, the turn runs (NLU, flow, database),
the reply goes back through the LINE gateway to linesim. A turn's latency is measured from the
moment the citizen's action starts (the webhook POST) to the moment the last reply message of the
turn arrived at linesim. Each flow is a scripted conversation repeated by fresh citizens.

Target (the issue): p95 < 150 ms per turn on the development machine. The machine's load average
is printed with the figures, and so is the process CPU per turn (bot and linesim together), which
does not depend on how busy the machine is.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
INSIDE = (34.9982, 134.9970)


def _photo() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 900), (120, 120, 120))
    ImageDraw.Draw(image).ellipse((300, 200, 700, 600), fill=(40, 30, 20))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


FRAMES = ("540-720", "780-1020", "1080-1260")  # 桜木体育館: 午前, 午後, 夜間


def _booking_index(user: str, plan: dict[str, int]) -> int:
    return plan.setdefault(user, len(plan))


def _booking_day(user: str, plan: dict[str, int]) -> str:
    """The n-th citizen's day: from 11 June 2025 on, three citizens a day, Mondays (closed) skipped."""
    from datetime import date, timedelta

    days, day = _booking_index(user, plan) // len(FRAMES), date(2025, 6, 11)
    while True:
        if day.weekday() != 0:
            if days == 0:
                return f"{day.month}月{day.day}日"
            days -= 1
        day += timedelta(days=1)


def _booking_frame(user: str, plan: dict[str, int]) -> str:
    return FRAMES[_booking_index(user, plan) % len(FRAMES)]


def _percentile(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    from aiohttp import web

    from bot.appkeys import DATABASE, DISPATCHER
    from bot.migrate import upgrade
    from bot.service import Core, create_app, dialogue_handler
    from bot.settings import LineAccount, Settings
    from civic.clock import TOKYO, FrozenClock
    from civic.crypto import parse_key
    from civic.facilities.content import read_facilities_file, seed_facilities
    from civic.procedures.loader import load_content
    from dialogues.services import Knowledge
    from linesim.testing import TEST_SECRET, TEST_TOKEN, default_config, run_linesim

    work = Path(tempfile.mkdtemp(prefix="bench-dialogues-"))
    url = f"sqlite+aiosqlite:///{work / 'bench.db'}" if not args.database_url else args.database_url
    await asyncio.to_thread(upgrade, url)
    started = time.perf_counter()
    knowledge = await asyncio.to_thread(Knowledge.build, REPO / "content" / "midori",
                                        model_dir=args.model_dir or work / "nlu-model")
    build_s = time.perf_counter() - started
    clock = FrozenClock(datetime(2025, 6, 9, 10, 0, tzinfo=TOKYO))
    photo = _photo()
    results: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}  # process CPU per turn: bot + linesim, both in this process
    async with run_linesim(default_config()) as sim:
        account = LineAccount("production", TEST_SECRET, TEST_TOKEN, sim.url, sim.url)
        settings = Settings(line=account, database_url=url, data_key=parse_key("0" * 64), content_dir=REPO / "content",
                            public_base_url="http://madoguchi.test", worker_concurrency=8)
        core = Core(settings, clock=clock, booking=True,
                    procedures=load_content(REPO / "content" / "midori" / "procedures"))
        app = create_app(settings, core=core, handler_factory=dialogue_handler(knowledge))
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        sim.set_webhook_url(f"http://{host}:{port}/callback")
        async with app[DATABASE].write() as s:
            await seed_facilities(s, read_facilities_file(REPO / "content" / "midori" / "facilities.yml"), clock.now())

        async def turn(flow: str, user: str, action: Callable[[], Awaitable[Any]]) -> None:
            before = len(sim.messages(user))
            t0, c0 = time.time(), time.process_time()
            await action()
            await app[DISPATCHER].wait_idle()
            entries = sim.channel.bot_messages(user)
            if len(entries) <= before:
                raise RuntimeError(f"{flow}: no reply")
            results.setdefault(flow, []).append((entries[-1].timestamp - t0) * 1000)
            cpu.setdefault(flow, []).append((time.process_time() - c0) * 1000)

        scripts: dict[str, list[Callable[[str], Awaitable[Any]]]] = {
            "faq": [lambda u: sim.send_text(u, "住民票の写しはどこで取れますか"),
                    lambda u: sim.send_text(u, "図書館の休館日はいつですか")],
            "garbage": [lambda u: sim.send_text(u, "ペットボトルの捨て方"),
                        lambda u: sim.send_postback(u, "flow=garbage&area=本町", None, "本町"),
                        lambda u: sim.send_text(u, "フライパン")],
            "report": [lambda u: sim.send_postback(u, "action=report", None, "通報"),
                       lambda u: sim.send_postback(u, "flow=report&cat=road_surface", None, "道路の穴・段差"),
                       lambda u: sim.send_image(u, photo),
                       lambda u: sim.send_location(u, *INSIDE, "選んだ場所", None),
                       lambda u: sim.send_text(u, "歩道に穴があいています"),
                       lambda u: sim.send_postback(u, "flow=report&confirm=yes", None, "送信する")],
            "facility": [lambda u: sim.send_location(u, *INSIDE, "現在地", None),
                         lambda u: sim.send_text(u, "近くの体育館"),
                         lambda u: sim.send_location(u, *INSIDE, "現在地", None)],
            "interruption": [lambda u: sim.send_postback(u, "action=report", None, "通報"),
                             lambda u: sim.send_text(u, "役場の駐車場は無料ですか？"),
                             lambda u: sim.send_text(u, "やめる")],
            # each citizen books a different (day, frame) of 桜木体育館's whole court: a new reservation each time
            "booking": [lambda u: sim.send_text(u, f"{_booking_day(u, plan)}に桜木体育館を借りたい"),
                        lambda u: sim.send_text(u, "全面"),
                        lambda u: sim.send_postback(u, f"flow=booking&slot={_booking_frame(u, plan)}", None, "枠"),
                        lambda u: sim.send_postback(u, "flow=booking&eq=none", None, "備品は使わない"),
                        lambda u: sim.send_postback(u, "flow=booking&purpose=0", None, "バレーボール"),
                        lambda u: sim.send_text(u, "12"),
                        lambda u: sim.send_postback(u, "flow=booking&rt=resident", None, "町内在住"),
                        lambda u: sim.send_postback(u, "flow=booking&terms=yes", None, "同意する"),
                        lambda u: sim.send_postback(u, "flow=booking&confirm=yes", None, "予約する")],
            "procedure": [lambda u: sim.send_text(u, "転入の手続きを知りたい"),
                          *[lambda u, q=q, v=v: sim.send_postback(u, f"flow=procedure&q={q}&v={v}", None, v)
                            for q, v in (("from", "domestic"), ("online", "online"))],
                          lambda u: sim.send_text(u, "2025年6月1日"),
                          *[lambda u, q=q, v=v: sim.send_postback(u, f"flow=procedure&q={q}&v={v}", None, v)
                            for q, v in (("card", "yes"), ("kokuho", "no"), ("elderly", "none"), ("children", "no"),
                                         ("seal", ""), ("dog", "no"))]],
        }
        plan: dict[str, int] = {}
        for flow in args.flows:
            for i in range(args.warmup + args.conversations):
                user = sim.create_user(f"bench-{flow}-{i}")
                for step in scripts[flow]:
                    await turn(flow, user, lambda step=step, user=user: step(user))
                if i < args.warmup:
                    results[flow], cpu[flow] = [], []
        booked = None
        if "booking" in args.flows:  # every booking conversation must have ended with a reservation number
            from sqlmodel import func, select

            from civic.booking.models import Reservation
            async with app[DATABASE].read() as s:
                booked = (await s.exec(select(func.count()).select_from(Reservation))).one()
        await runner.cleanup()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    summary: dict[str, Any] = {"knowledge_build_s": round(build_s, 2), "database": url.split(":")[0],
                               "load_average_1m": round(load, 2) if load is not None else None,
                               "cpus": os.cpu_count(), "flows": {}}
    if booked is not None:
        summary["booking_reservations"] = {"made": booked, "conversations": args.warmup + args.conversations}
    everything: list[float] = []
    for flow, samples in results.items():
        everything += samples
        summary["flows"][flow] = {"turns": len(samples), "p50_ms": round(statistics.median(samples), 1),
                                  "p95_ms": round(_percentile(samples, 0.95), 1), "max_ms": round(max(samples), 1),
                                  "cpu_ms_mean": round(statistics.fmean(cpu[flow]), 1)}
    if everything:
        summary["all"] = {"turns": len(everything), "p50_ms": round(statistics.median(everything), 1),
                          "p95_ms": round(_percentile(everything, 0.95), 1),
                          "target_p95_ms": 150, "met": _percentile(everything, 0.95) < 150}
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench dialogues", description=__doc__.split("\n")[0])
    ap.add_argument("--conversations", type=int, default=20, help="conversations per flow (fresh citizens)")
    ap.add_argument("--warmup", type=int, default=2, help="conversations per flow not counted")
    ap.add_argument("--flows", nargs="+",
                    default=["faq", "garbage", "report", "facility", "interruption", "booking", "procedure"])
    ap.add_argument("--model-dir", type=Path, default=None, help="a persisted NLU model (trained if missing)")
    ap.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    args = ap.parse_args(argv)
    summary = asyncio.run(_run(args))
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    return 0 if summary.get("all", {}).get("met", False) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
