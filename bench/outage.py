"""Outage benchmark: how long after LINE comes back the last waiting answer is delivered.

The bot runs as in production (``python -m bot serve``: web process and turn worker, SQLite under a
temporary directory) with its **default** retry and circuit-breaker settings (``OUTBOX_RETRY_*``,
``LINE_BREAKER_*``, unless set in the environment). linesim runs in this process: its outage switch
takes LINE down (``--mode error``: every call answered ``--status``; ``--mode disconnect``: the
connection dropped). Citizens send ``--users`` × ``--messages`` texts while LINE is down (each
acknowledged by the bot); LINE stays down for ``--outage`` seconds from the first message, then
comes back. Printed: the delivery time of the last answer after LINE's return (and p50/p95 over
all answers), the calls LINE received during the outage (the circuit breaker keeps them few),
whether every citizen got exactly one answer per message (the tests also check their order), and
``/healthz``'s outbox figures.

Target (issue #13): LINE unreachable for 30 s, 300 answers waiting: every one delivered within 60 s
of LINE's return.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.webhook import KEY, REPO, SECRET, TOKEN, _free_port, _pct
from linesim import ChannelConfig, SimConfig
from linesim.driver import LineSim, run_linesim


async def _healthz(url: str) -> dict:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/healthz") as r:
        return await r.json()


async def _wait_healthy(url: str, proc: subprocess.Popen) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit("the bot exited during start-up; see its log")
        try:
            await _healthz(url)
            return
        except aiohttp.ClientError:
            await asyncio.sleep(0.1)
    raise SystemExit("the bot did not become healthy")


def _start_bot(port: int, sim_url: str, tmp: Path) -> subprocess.Popen:
    env = {**os.environ, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_API_BASE_URL": sim_url, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'outage.db'}",
           "DATA_ENCRYPTION_KEY": KEY, "CONTENT_DIR": str(REPO / "content"), "LOG_LEVEL": "ERROR",
           "NLU_MODEL_DIR": str(tmp / "nlu")}
    subprocess.run([sys.executable, "-m", "bot", "migrate"], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    log = (tmp / "bot.log").open("ab")
    return subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", str(port), "--skip-migrate"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


async def run(args: argparse.Namespace) -> None:
    port = _free_port()
    bot = f"http://127.0.0.1:{port}"
    config = SimConfig(channels=[ChannelConfig("production", SECRET, TOKEN, f"{bot}/callback")])
    with tempfile.TemporaryDirectory() as tmp:
        async with run_linesim(config) as started:
            sim = LineSim(started.app, started.url, "production", strict=False)
            proc = _start_bot(port, sim.url, Path(tmp))
            try:
                await _wait_healthy(bot, proc)
                await measure(sim, bot, args)
            finally:
                proc.terminate()
                await asyncio.to_thread(proc.wait, 30)


async def measure(sim: LineSim, bot: str, args: argparse.Namespace) -> None:
    users = [sim.create_user(f"市民{i}") for i in range(args.users)]
    asked = {u: [f"ごみの日{i}" for i in range(args.messages)] for u in users}
    sim.line_down(args.mode, status=args.status)
    down_at = time.time()
    calls_before = len(sim.calls("/v2/bot/"))

    async def citizen(user: str) -> None:
        for text in asked[user]:
            await sim.send_text(user, text)

    await asyncio.gather(*(citizen(u) for u in users))
    refused = [d for d in sim.deliveries if not d.ok]
    print(f"{args.users * args.messages} messages acknowledged in {time.time() - down_at:.1f} s "
          f"({len(refused)} webhook deliveries not acknowledged)")
    await asyncio.sleep(max(0.0, down_at + args.outage - time.time()))
    calls_down = len(sim.calls("/v2/bot/")) - calls_before
    print(f"/healthz at the end of the outage: {(await _healthz(bot))['outbox']}")
    sim.line_up()
    up_at = time.time()
    total = args.users * args.messages
    deadline = up_at + args.timeout
    while (version := sim.channel.feed.version) is not None and time.time() < deadline:
        if sum(len(_answers(sim, u)) for u in users) >= total:
            break
        await sim.channel.feed.wait(version, deadline - time.time())
    delays = [at - up_at for u in users for at in _answers(sim, u).values()]
    print(f"LINE down {args.outage:.0f} s ({args.mode}{f' {args.status}' if args.mode == 'error' else ''}): "
          f"{calls_down} calls reached LINE during the outage")
    print(f"delivered {len(delays)}/{total} answers; after LINE's return: last {max(delays, default=float('nan')):.1f} s, "
          f"p50 {_pct(delays, 50):.1f} s, p95 {_pct(delays, 95):.1f} s")
    await asyncio.sleep(2)  # a duplicate, if there were one, would show in the count below
    print(f"every citizen got exactly {args.messages} answers: "
          f"{all(len(_answers(sim, u)) == args.messages for u in users)}; /healthz after: {(await _healthz(bot))['outbox']}")


def _answers(sim: LineSim, user: str) -> dict[str | None, float]:
    """The citizen's answers (one LINE call each, possibly several messages) and when each arrived."""
    answers: dict[str | None, float] = {}
    for entry in sim.channel.bot_messages(user):
        answers.setdefault(entry.request_id, entry.timestamp)
    return answers


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench outage", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--outage", type=float, default=30.0, help="seconds LINE is down, from the first message")
    parser.add_argument("--mode", choices=["error", "disconnect"], default="error")
    parser.add_argument("--status", type=int, default=503)
    parser.add_argument("--timeout", type=float, default=180.0, help="give up waiting this long after the return")
    asyncio.run(run(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
