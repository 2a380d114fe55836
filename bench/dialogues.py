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


def _percentile(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    from aiohttp import web

    from bot.app import create_app
    from bot.appkeys import DATABASE, DISPATCHER
    from bot.dialogue_wiring import dialogue_handler_factory
    from bot.migrate import upgrade
    from bot.settings import LineAccount, Settings
    from civic.clock import TOKYO, FrozenClock
    from civic.crypto import parse_key
    from civic.facilities.content import read_facilities_file, seed_facilities
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
        app = create_app(settings, clock=clock, handler_factory=dialogue_handler_factory(knowledge))
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
        }
        for flow in args.flows:
            for i in range(args.warmup + args.conversations):
                user = sim.create_user(f"bench-{flow}-{i}")
                for step in scripts[flow]:
                    await turn(flow, user, lambda step=step, user=user: step(user))
                if i < args.warmup:
                    results[flow], cpu[flow] = [], []
        await runner.cleanup()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    summary: dict[str, Any] = {"knowledge_build_s": round(build_s, 2), "database": url.split(":")[0],
                               "load_average_1m": round(load, 2) if load is not None else None,
                               "cpus": os.cpu_count(), "flows": {}}
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
    ap.add_argument("--flows", nargs="+", default=["faq", "garbage", "report", "facility", "interruption"])
    ap.add_argument("--model-dir", type=Path, default=None, help="a persisted NLU model (trained if missing)")
    ap.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    args = ap.parse_args(argv)
    summary = asyncio.run(_run(args))
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    return 0 if summary.get("all", {}).get("met", False) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
