"""Webhook benchmark: acknowledgement latency, end-to-end latency and throughput.

Separate processes on loopback, as in production: linesim (``python -m linesim``), the bot
(``python -m bot serve``: its web process and its turn worker; SQLite under a temporary
directory) and this load generator, which signs LINE webhook bodies itself (one event per request,
reply tokens minted from linesim) and sends them open-loop at a fixed rate. ``--handler spine``
(the default) serves the help responder, the platform alone; ``--handler full`` every dialogue.

linesim and the load generator stand in for LINE, which in production does not share the town's
two cores; linesim runs at niceness 10 by default (``--linesim-nice 0`` to run it at the bot's
priority). CPU per event is printed for every process.

* Phase 1 — acknowledgement: ``--ack-rate`` events/s for ``--seconds``; latency from send to 200.
* Phase 2 — end to end: ``--e2e-rate`` events/s; latency from send to the reply call received by
  linesim (linesim records the call's arrival time; same machine, same clock).

Targets (issue #2, 2-core machine, SQLite): ≥ 1,000 events/s acknowledged with p99 ack < 50 ms;
end-to-end p95 < 150 ms at 300 events/s.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[1]
SECRET = "bench-channel-secret"
TOKEN = "bench-access-token"
KEY = "00" * 32


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _own_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cpu_seconds(pid: int) -> dict[str, float]:
    """User + system CPU time so far (Linux /proc) of the bot's process and of its turn worker
    (its child process, when there is one): robust to other load on the machine."""
    return {"web": _own_cpu(pid), "worker": sum(_own_cpu(c) for c in _children(pid))}


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _event(user: str, token: str, i: int) -> dict[str, Any]:
    return {
        "type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user}, "webhookEventId": uuid.uuid4().hex[:26].upper(),
        "deliveryContext": {"isRedelivery": False}, "replyToken": token,
        "message": {"type": "text", "id": str(10**17 + i), "quoteToken": "q", "text": f"ベンチマーク {i}"},
    }


def _signed(event: dict[str, Any]) -> tuple[bytes, str]:
    body = json.dumps({"destination": "Ubench", "events": [event]}, ensure_ascii=False).encode()
    return body, base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


async def _wait_http(url: str, proc: subprocess.Popen, what: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(1200):  # two minutes: start-up on a loaded machine is slow
            if proc.poll() is not None:
                raise SystemExit(f"{what} exited during start-up")
            try:
                async with http.get(url) as r:
                    if r.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"{what} did not start")


async def _backlog(http: aiohttp.ClientSession, bot: str) -> int:
    async with http.get(f"{bot}/healthz") as r:
        return int((await r.json())["backlog"] or 0)


async def _drain(http: aiohttp.ClientSession, bot: str, limit_seconds: float = 120) -> float:
    start = time.perf_counter()
    while await _backlog(http, bot) > 0:
        if time.perf_counter() - start > limit_seconds:
            raise SystemExit("the bot did not drain its backlog")
        await asyncio.sleep(0.02)
    return time.perf_counter() - start


async def _phase(http: aiohttp.ClientSession, bot: str, sim: str, rate: float, seconds: float,
                 users: list[str], bot_pid: int, sim_pid: int) -> dict[str, Any]:
    count = int(rate * seconds)
    cpu0 = cpu_seconds(bot_pid)
    others0 = {"linesim": _own_cpu(sim_pid), "load generator": _own_cpu(os.getpid())}
    async with http.post(f"{sim}/linesim/api/reply-tokens", json={"count": count}) as r:
        tokens = (await r.json())["replyTokens"]
    bodies = [_signed(_event(users[i % len(users)], tokens[i], i)) for i in range(count)]
    acks: list[float] = []
    sent_at: dict[str, float] = {}
    errors = 0

    async def send(i: int) -> None:
        nonlocal errors
        body, signature = bodies[i]
        t0 = time.perf_counter()
        sent_at[tokens[i]] = time.time()
        try:
            async with http.post(f"{bot}/callback", data=body,
                                 headers={"X-Line-Signature": signature, "Content-Type": "application/json"}) as r:
                await r.read()
                if r.status != 200:
                    errors += 1
                    return
        except aiohttp.ClientError:
            errors += 1
            return
        acks.append((time.perf_counter() - t0) * 1000)

    start = time.perf_counter()
    tasks = []
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(i)))
    await asyncio.gather(*tasks)
    send_elapsed = time.perf_counter() - start
    drain = await _drain(http, bot)
    await asyncio.sleep(0.5)
    async with http.get(f"{sim}/linesim/api/calls", params={"path": "/v2/bot/message"}) as r:
        calls = (await r.json())["calls"]
    e2e = [(c["timestamp"] - sent_at[c["body"]["replyToken"]]) * 1000 for c in calls
           if c["path"].endswith("/reply") and isinstance(c.get("body"), dict)
           and c["body"].get("replyToken") in sent_at]
    pushes = sum(1 for c in calls if c["path"].endswith("/push"))
    cpu1 = cpu_seconds(bot_pid)
    others1 = {"linesim": _own_cpu(sim_pid), "load generator": _own_cpu(os.getpid())}
    bot_cpu_ms = {part: round((cpu1[part] - cpu0[part]) * 1000 / count, 3) for part in cpu1}
    await http.delete(f"{sim}/linesim/api/calls")
    return {
        "events": count, "rate_target": rate, "acked": len(acks), "errors": errors,
        "ack_throughput": round(len(acks) / send_elapsed, 1),
        "ack_ms": {p: round(_pct(acks, p), 2) for p in (50, 95, 99)},
        "processed_throughput": round(count / (send_elapsed + drain), 1),
        "e2e_ms": {p: round(_pct(e2e, p), 2) for p in (50, 95, 99)},
        "answered": len(e2e), "pushed_instead": pushes,
        "bot_cpu_ms_per_event": round(sum(bot_cpu_ms.values()), 3),
        "bot_cpu_ms_per_event_by_process": bot_cpu_ms,
        # The rest of the machine's two cores: LINE's stand-in and this load generator.
        "others_cpu_ms_per_event": {k: round((others1[k] - others0[k]) * 1000 / count, 3) for k in others1},
        "load_average": os.getloadavg()[0],
    }


def start_processes(tmp: Path, profile: str | None = None, handler: str = "spine", single_process: bool = False,
                    linesim_nice: int = 0, db_url: str | None = None,
                    extra_env: dict[str, str] | None = None) -> tuple[list[subprocess.Popen], str, str]:
    """linesim and the bot as separate processes, as in production (blocking: before the loop starts).
    ``db_url``: an existing database (default: a new SQLite file under ``tmp``)."""
    db_url = db_url or f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    bot_port, sim_port = _free_port(), _free_port()
    bot, sim = f"http://127.0.0.1:{bot_port}", f"http://127.0.0.1:{sim_port}"
    env = {**os.environ, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_API_BASE_URL": sim, "DATABASE_URL": db_url, "DATA_ENCRYPTION_KEY": KEY,
           "CONTENT_DIR": str(REPO / "content"), "LOG_LEVEL": "WARNING", **(extra_env or {})}
    procs = [
        subprocess.Popen([sys.executable, "-m", "linesim", "--port", str(sim_port), "--webhook-url",
                          f"{bot}/callback", "--channel-secret", SECRET, "--channel-access-token", TOKEN,
                          "--reply-token-ttl", "600"], cwd=REPO, env=env,
                         stdout=subprocess.DEVNULL, stderr=(tmp / "linesim.log").open("wb"),
                         preexec_fn=(lambda: os.nice(linesim_nice)) if linesim_nice else None),
    ]
    subprocess.run([sys.executable, "-m", "bot", "migrate"], cwd=REPO, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    profiler = ["-m", "cProfile", "-o", profile] if profile else []
    server = ["-m", "bench._spine_server"] if handler == "spine" else ["-m", "bot", "serve", "--skip-migrate"]
    if single_process:
        server.append("--single-process")
    procs.append(subprocess.Popen([sys.executable, *profiler, *server, "--port", str(bot_port)],
                                  cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                  stderr=(tmp / "bot.log").open("wb")))
    return procs, bot, sim


async def run(args: argparse.Namespace, procs: list[subprocess.Popen], bot: str, sim: str) -> dict[str, Any]:
    await _wait_http(f"{sim}/linesim/api/calls", procs[0], "linesim")
    await _wait_http(f"{bot}/healthz", procs[1], "bot")
    users = ["U" + uuid.uuid4().hex for _ in range(args.users)]
    connector = aiohttp.TCPConnector(limit=args.connections)
    async with aiohttp.ClientSession(connector=connector) as http:
        pids = procs[1].pid, procs[0].pid
        await _phase(http, bot, sim, 200, 1, users, *pids)  # warm-up
        ack = await _phase(http, bot, sim, args.ack_rate, args.seconds, users, *pids)
        e2e = await _phase(http, bot, sim, args.e2e_rate, args.seconds, users, *pids)
    return {"ack_phase": ack, "e2e_phase": e2e, "users": args.users, "database": "sqlite",
            "handler": args.handler, "processes": 1 if args.single_process else 2,
            "linesim_nice": args.linesim_nice}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench webhook", description=__doc__.split("\n")[0])
    parser.add_argument("--ack-rate", type=float, default=1000.0, help="events/s in the acknowledgement phase")
    parser.add_argument("--e2e-rate", type=float, default=300.0, help="events/s in the end-to-end phase")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--users", type=int, default=200, help="distinct citizens sending")
    parser.add_argument("--connections", type=int, default=200, help="HTTP connections to the bot")
    parser.add_argument("--profile", metavar="FILE", help="run the bot under cProfile and write its stats here")
    parser.add_argument("--handler", choices=["spine", "full"], default="spine",
                        help="spine: the help responder (the platform alone); full: every dialogue, as served")
    parser.add_argument("--linesim-nice", type=int, default=10, metavar="N",
                        help="run linesim (LINE's stand-in, which in production is not on the town's machine) at "
                             "this niceness, so it takes the CPU the bot leaves (0: same priority as the bot)")
    parser.add_argument("--single-process", action="store_true",
                        help="turns in the web process (serve --single-process) instead of a worker process")
    args = parser.parse_args(argv)
    procs, bot, sim = start_processes(Path(tempfile.mkdtemp(prefix="madoguchi-bench-")), args.profile, args.handler,
                                      args.single_process, args.linesim_nice)
    try:
        result = asyncio.run(run(args, procs, bot, sim))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    a, e = result["ack_phase"], result["e2e_phase"]
    print(f"ack phase: {a['ack_throughput']} events/s acknowledged (target rate {a['rate_target']}), "
          f"ack p50/p95/p99 = {a['ack_ms'][50]}/{a['ack_ms'][95]}/{a['ack_ms'][99]} ms, errors {a['errors']}, "
          f"processed {a['processed_throughput']} events/s, bot CPU {a['bot_cpu_ms_per_event']} ms/event "
          f"{a['bot_cpu_ms_per_event_by_process']}, others {a['others_cpu_ms_per_event']}, "
          f"load average {a['load_average']:.1f}")
    print(f"e2e phase: {e['rate_target']} events/s, end-to-end p50/p95/p99 = "
          f"{e['e2e_ms'][50]}/{e['e2e_ms'][95]}/{e['e2e_ms'][99]} ms, answered {e['answered']}/{e['events']}, "
          f"ack p99 {e['ack_ms'][99]} ms")
    print(json.dumps(result, ensure_ascii=False))
    return 0
