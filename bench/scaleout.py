"""Scale-out benchmarks (issue #19): ``python -m bench scaleout throughput | takeover``.

Real processes on loopback, on one PostgreSQL (127.0.0.1:5432, a throw-away database):
linesim (``python -m linesim``, niceness 10: LINE's stand-in is not on the town's machine in
production), ``python -m bot serve`` instances in ``INSTANCE_MODE=shared`` with the full dialogues
(``NLU_ENCODER`` as in the environment; ``use`` by default) and this load generator, which signs
LINE webhooks itself (one event per request).

* ``throughput --workers 1 2 4``: one instance with ``WORKERS=N``; ``--events`` messages of
  ``--users`` citizens sent as fast as the instance acknowledges them; the figure is events
  answered per second from the first send until every event has its outcome. CPU per event is
  read from /proc for the web process, each turn worker and PostgreSQL's backends together.
* ``takeover``: two instances behind a round-robin sender (a failed send goes to the other, as a
  load balancer does); ``--users`` citizens each send one message every ``--interval`` seconds;
  one instance is SIGKILLed ``--kills`` times (started again in between). For each citizen whose
  partition the killed worker held, the gap in that citizen's answers across the kill (from the
  last answer before it to the first after) is measured: p50/p95 over those citizens and kills.
* ``claims``: the coordination alone, no bot: ``--events`` queued events of ``--users`` citizens
  finished by 4 claimers, first as the shipped design does (partitions held by advisory locks,
  batches read in id order), then as a ``FOR UPDATE SKIP LOCKED`` per-user queue with the per-user
  lease that keeping a citizen's order needs. Events/s and PostgreSQL CPU per event.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
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
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

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


async def _admin(sql: str) -> None:
    engine = create_async_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(sql))
    finally:
        await engine.dispose()


async def _scalar(url: str, sql: str) -> Any:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(sa.text(sql))).scalar()
    finally:
        await engine.dispose()


class Cluster:
    """linesim and bot instances on one throw-away PostgreSQL database."""

    def __init__(self, tmp: Path, db_url: str) -> None:
        self.tmp, self.db_url = tmp, db_url
        self.sim_port = _free_port()
        self.sim = f"http://127.0.0.1:{self.sim_port}"
        self.env = {**os.environ, "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
                    "LINE_API_BASE_URL": self.sim, "DATABASE_URL": db_url, "DATA_ENCRYPTION_KEY": KEY,
                    "CONTENT_DIR": str(REPO / "content"), "LOG_LEVEL": "WARNING", "INSTANCE_MODE": "shared"}
        self.linesim: subprocess.Popen | None = None
        self.bots: dict[int, subprocess.Popen] = {}

    def start_linesim(self) -> None:
        self.linesim = subprocess.Popen(
            [sys.executable, "-m", "linesim", "--port", str(self.sim_port), "--webhook-url", "http://127.0.0.1:9/x",
             "--channel-secret", SECRET, "--channel-access-token", TOKEN, "--reply-token-ttl", "600"],
            cwd=REPO, env=self.env, stdout=subprocess.DEVNULL, stderr=(self.tmp / "linesim.log").open("ab"),
            preexec_fn=lambda: os.nice(10))

    def migrate(self) -> None:
        subprocess.run([sys.executable, "-m", "bot", "migrate"], cwd=REPO, env=self.env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start_bot(self, port: int, workers: int = 1) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--skip-migrate", "--port", str(port)],
                                cwd=REPO, env={**self.env, "WORKERS": str(workers)}, stdout=subprocess.DEVNULL,
                                stderr=(self.tmp / f"bot-{port}.log").open("ab"), start_new_session=True)
        self.bots[port] = proc
        return proc

    def stop(self) -> None:
        for proc in [*self.bots.values(), *([self.linesim] if self.linesim else [])]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [*self.bots.values(), *([self.linesim] if self.linesim else [])]:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


async def _workers_joined(url: str, count: int) -> bool:
    members = await _scalar(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                                 "AND classid = 19002 AND objsubid = 2")
    partitions = await _scalar(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                                    "AND classid = 19001 AND objsubid = 2")
    return members == count and partitions == 64


async def _wait_up(url: str, proc: subprocess.Popen, what: str, limit: float = 900) -> None:
    """Until ``url`` answers (a bot's start-up trains its NLU: minutes on a busy machine)."""
    async with aiohttp.ClientSession() as http, asyncio.timeout(limit):
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"{what} exited during start-up")
            try:
                async with http.get(url) as r:
                    if r.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)


async def _until(predicate: Any, limit: float = 300) -> None:
    async with asyncio.timeout(limit):
        while True:
            if await predicate():
                return
            await asyncio.sleep(0.2)


def _postgres_cpu() -> float:
    """CPU seconds so far of every PostgreSQL process (the server's backends and helpers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    total += _own_cpu(int(entry.name))
            except OSError:
                continue
    return total


async def _tokens(http: aiohttp.ClientSession, sim: str, count: int) -> list[str]:
    tokens: list[str] = []
    while len(tokens) < count:
        async with http.post(f"{sim}/linesim/api/reply-tokens", json={"count": min(5000, count - len(tokens))}) as r:
            tokens += (await r.json())["replyTokens"]
    return tokens


async def _post(http: aiohttp.ClientSession, url: str, body: bytes, signature: str) -> bool:
    try:
        async with http.post(f"{url}/callback", data=body, headers={
                "X-Line-Signature": signature, "Content-Type": "application/json"}) as r:
            await r.read()
            return r.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


# -- throughput ------------------------------------------------------------------------------------

async def throughput_once(cluster: Cluster, workers: int, events: int, users: int) -> dict[str, Any]:
    port = _free_port()
    proc = cluster.start_bot(port, workers)
    bot = f"http://127.0.0.1:{port}"
    try:
        await _wait_up(f"{bot}/healthz", proc, "bot")
        await _until(lambda: _workers_joined(cluster.db_url, workers))
        done0 = int(await _scalar(cluster.db_url, "SELECT count(*) FROM inbox_outcome"))
        people = ["U" + uuid.uuid4().hex for _ in range(users)]
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as http:
            tokens = await _tokens(http, cluster.sim, events)
            texts = ["ごみの出し方を教えて", "住民票の写しはどこで取れますか", "体育館を予約したい", "こんにちは",
                     "粗大ごみはどうすればいいですか"]
            bodies = []
            for i in range(events):
                event = _event(people[i % users], tokens[i], i)
                event["message"]["text"] = texts[i % len(texts)]
                bodies.append(_signed(event))
            pids = {"web": proc.pid, **{f"worker{i}": pid for i, pid in enumerate(_children(proc.pid))}}
            cpu0 = {name: _own_cpu(pid) for name, pid in pids.items()}
            pg0 = _postgres_cpu()
            start = time.perf_counter()
            queue = iter(bodies)

            async def sender() -> int:
                failed = 0
                for body, signature in queue:
                    while not await _post(http, bot, body, signature):
                        failed += 1
                        await asyncio.sleep(0.1)
                return failed

            failures = sum(await asyncio.gather(*(sender() for _ in range(64))))
            acked = time.perf_counter() - start

            async def all_done() -> bool:
                return int(await _scalar(cluster.db_url, "SELECT count(*) FROM inbox_outcome")) - done0 >= events

            await _until(all_done, 1200)
            elapsed = time.perf_counter() - start
            cpu = {name: round((_own_cpu(pid) - cpu0[name]) * 1000 / events, 2) for name, pid in pids.items()}
            pg = round((_postgres_cpu() - pg0) * 1000 / events, 2)
        return {"workers": workers, "events": events, "users": users, "seconds": round(elapsed, 1),
                "acked_in": round(acked, 1), "events_per_second": round(events / elapsed, 1),
                "cpu_ms_per_event": cpu, "postgres_cpu_ms_per_event": pg,
                "cpu_ms_per_event_total": round(sum(cpu.values()) + pg, 2), "send_retries": failures,
                "load_average": round(os.getloadavg()[0], 1)}
    finally:
        proc.terminate()
        proc.wait(60)


# -- takeover --------------------------------------------------------------------------------------

async def _holders(url: str) -> dict[str, list[int]]:
    """``application_name`` of each lock connection → the partitions it holds."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.text(
                "SELECT a.application_name, l.objid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 19001 AND l.objsubid = 2"))).all()
    finally:
        await engine.dispose()
    held: dict[str, list[int]] = {}
    for name, partition in rows:
        held.setdefault(str(name), []).append(int(partition))
    return held


async def takeover(cluster: Cluster, users: int, interval: float, kills: int, settle: float) -> dict[str, Any]:
    from bot.inbox.models import partition_of
    from bot.inbox.shared import APPLICATION

    ports = [_free_port(), _free_port()]
    for port in ports:
        cluster.start_bot(port)
    for port in ports:
        await _wait_up(f"http://127.0.0.1:{port}/healthz", cluster.bots[port], "bot")
    await _until(lambda: _workers_joined(cluster.db_url, 2))
    people = ["U" + uuid.uuid4().hex for _ in range(users)]
    stop = asyncio.Event()
    turn = itertools.cycle(ports)
    sent = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     timeout=aiohttp.ClientTimeout(total=10)) as http:
        token_user: dict[str, str] = {}
        for user in people:  # LINE friends: pushes (answers whose reply token may be spent) reach them
            async with http.post(f"{cluster.sim}/linesim/api/users", json={"displayName": "市民", "userId": user}) as r:
                assert r.status == 201, await r.text()

        async def citizen(user: str, offset: float) -> None:
            nonlocal sent
            await asyncio.sleep(offset)
            i = 0
            tokens: list[str] = []
            while not stop.is_set():
                if not tokens:
                    async with http.post(f"{cluster.sim}/linesim/api/reply-tokens",
                                         json={"count": 100, "userId": user}) as r:
                        tokens.extend((await r.json())["replyTokens"])
                token = tokens.pop()
                token_user[token] = user
                event = _event(user, token, i)
                event["message"]["text"] = "ごみの出し方を教えて"
                body, signature = _signed(event)
                for _ in range(20):  # a load balancer: the next instance when one does not answer
                    if await _post(http, f"http://127.0.0.1:{next(turn)}", body, signature):
                        break
                    await asyncio.sleep(0.05)
                sent += 1
                i += 1
                await asyncio.sleep(interval)

        load = [asyncio.create_task(citizen(u, interval * k / users)) for k, u in enumerate(people)]
        await asyncio.sleep(settle)
        kill_times: list[tuple[float, set[int]]] = []
        for k in range(kills):
            victim = ports[k % 2]
            proc = cluster.bots[victim]
            worker = _children(proc.pid)[0]
            held = (await _holders(cluster.db_url)).get(f"{APPLICATION}-{worker}", [])
            kill_times.append((time.time(), set(held)))
            os.killpg(proc.pid, signal.SIGKILL)
            await asyncio.to_thread(proc.wait)
            await asyncio.sleep(settle)
            cluster.start_bot(victim)
            await _wait_up(f"http://127.0.0.1:{victim}/healthz", cluster.bots[victim], "bot")
            await _until(lambda: _workers_joined(cluster.db_url, 2))
            await asyncio.sleep(settle)
        stop.set()
        await asyncio.gather(*load)

        async def answered_all() -> bool:
            left = await _scalar(cluster.db_url, "SELECT count(*) FROM webhook_event e WHERE NOT EXISTS "
                                                 "(SELECT 1 FROM inbox_outcome o WHERE o.event_id = e.id)")
            return int(left) == 0

        await _until(answered_all, 600)
        await asyncio.sleep(2)
        calls: list[dict[str, Any]] = []
        async with http.get(f"{cluster.sim}/linesim/api/calls", params={"path": "/v2/bot/message"}) as r:
            calls = (await r.json())["calls"]
    answers: dict[str, list[float]] = {}
    for call in calls:
        body = call.get("body") if isinstance(call.get("body"), dict) else {}
        to = body.get("to") if call["path"].endswith("/push") else token_user.get(str(body.get("replyToken")))
        if to:
            answers.setdefault(str(to), []).append(float(call["timestamp"]))
    gaps: list[float] = []
    for killed_at, partitions in kill_times:
        for user in people:
            if partition_of(user) not in partitions:
                continue
            times = sorted(answers.get(user, []))
            before = [t for t in times if t <= killed_at]
            after = [t for t in times if t > killed_at]
            if before and after:
                gaps.append(after[0] - before[-1])
    return {"users": users, "interval": interval, "kills": kills, "events_sent": sent, "answers": len(calls),
            "affected_citizens": len(gaps),
            "gap_seconds": {p: round(_pct(gaps, p), 2) for p in (50, 95, 100)},
            "load_average": round(os.getloadavg()[0], 1)}


# -- claims: the coordination alone, partitions against a per-user SKIP LOCKED queue ---------------

CLAIM_TABLES = """
CREATE TABLE q_event (id bigserial PRIMARY KEY, user_key text NOT NULL, done boolean NOT NULL DEFAULT false);
CREATE INDEX q_event_open ON q_event (user_key, id) WHERE NOT done;
CREATE TABLE q_lease (user_key text PRIMARY KEY, owner int NOT NULL, until timestamptz NOT NULL);
"""
PARTITION_SQL = "mod(('x' || substr(md5(user_key), 1, 8))::bit(32)::bigint, 64)"


async def _claims_partitions(conn: Any, me: int, claimers: int, batch: int) -> int:
    """One worker of the shipped design: its share of 64 partitions (held by advisory locks, taken
    once), each pass reads up to ``batch`` unfinished events of them in id order and finishes them
    in one transaction (the dispatcher's group commit)."""
    mine = [p for p in range(64) if p % claimers == me]
    for p in mine:
        await conn.fetchval("SELECT pg_try_advisory_lock(19101, $1)", p)
    done = 0
    while True:
        rows = await conn.fetch(f"SELECT id FROM q_event WHERE NOT done AND {PARTITION_SQL} = ANY($1::int[]) "
                                "ORDER BY id LIMIT $2", mine, batch)
        if not rows:
            return done
        async with conn.transaction():
            await conn.execute("UPDATE q_event SET done = true WHERE id = ANY($1::bigint[])", [r["id"] for r in rows])
        done += len(rows)


async def _claims_skip_locked(conn: Any, me: int, batch: int) -> int:
    """The alternative: any worker takes the oldest event of a citizen nobody holds. A row lock
    ends with its transaction (before the answer is sent), so keeping a citizen's order needs a
    lease per citizen written at the claim and deleted at the end: two transactions per batch and
    a row written and deleted per event."""
    done = 0
    while True:
        async with conn.transaction():
            rows = await conn.fetch(
                "WITH heads AS (SELECT DISTINCT ON (user_key) id, user_key FROM q_event WHERE NOT done "
                "  ORDER BY user_key, id), "
                "free AS (SELECT h.id, h.user_key FROM heads h WHERE NOT EXISTS "
                "  (SELECT 1 FROM q_lease l WHERE l.user_key = h.user_key AND l.until > now()) "
                "  ORDER BY h.id LIMIT $1), "
                "locked AS (SELECT e.id, e.user_key FROM q_event e JOIN free f ON f.id = e.id "
                "  FOR UPDATE OF e SKIP LOCKED) "
                "INSERT INTO q_lease (user_key, owner, until) SELECT user_key, $2, now() + interval '30 s' FROM locked "
                "ON CONFLICT (user_key) DO UPDATE SET owner = EXCLUDED.owner, until = EXCLUDED.until "
                "  WHERE q_lease.until <= now() "
                "RETURNING user_key", batch, me)
            users = [r["user_key"] for r in rows]
            if not users:
                left = await conn.fetchval("SELECT count(*) FROM q_event WHERE NOT done")
                if not left:
                    return done
                continue
            ids = [r["id"] for r in await conn.fetch(
                "SELECT DISTINCT ON (user_key) id FROM q_event WHERE NOT done AND user_key = ANY($1::text[]) "
                "ORDER BY user_key, id", users)]
        async with conn.transaction():  # the turn ran; its answer was sent: done, lease given back
            await conn.execute("UPDATE q_event SET done = true WHERE id = ANY($1::bigint[])", ids)
            await conn.execute("DELETE FROM q_lease WHERE user_key = ANY($1::text[]) AND owner = $2", users, me)
        done += len(ids)


async def claims(db_url: str, events: int, users: int, claimers: int, batch: int) -> list[dict[str, Any]]:
    import asyncpg  # type: ignore[import-untyped]

    dsn = db_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    results = []
    for design in ("partitions", "skip-locked-per-user"):
        setup = await asyncpg.connect(dsn)
        await setup.execute("DROP TABLE IF EXISTS q_event, q_lease")
        await setup.execute(CLAIM_TABLES)
        await setup.copy_records_to_table("q_event", records=[(f"U{i % users:032x}",) for i in range(events)],
                                          columns=["user_key"])
        await setup.execute("ANALYZE q_event")
        conns = [await asyncpg.connect(dsn) for _ in range(claimers)]
        pg0, start = _postgres_cpu(), time.perf_counter()
        if design == "partitions":
            done = await asyncio.gather(*(_claims_partitions(c, i, claimers, batch) for i, c in enumerate(conns)))
        else:
            done = await asyncio.gather(*(_claims_skip_locked(c, i, batch) for i, c in enumerate(conns)))
        elapsed = time.perf_counter() - start
        pg = _postgres_cpu() - pg0
        for c in conns:
            await c.close()
        await setup.close()
        results.append({"design": design, "events": sum(done), "claimers": claimers, "batch": batch,
                        "seconds": round(elapsed, 2), "events_per_second": round(sum(done) / elapsed),
                        "postgres_cpu_ms_per_event": round(pg * 1000 / max(1, sum(done)), 3),
                        "load_average": round(os.getloadavg()[0], 1)})
    return results


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    name = f"madoguchi_bench_scaleout_{os.getpid()}"
    await _admin(f'CREATE DATABASE "{name}"')
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="madoguchi-bench-scaleout-")), f"{PG_SERVER}/{name}")
    results: list[dict[str, Any]] = []
    try:
        if args.what == "claims":
            for result in await claims(cluster.db_url, args.events, args.users, 4, args.batch):
                print(json.dumps(result, ensure_ascii=False), flush=True)
                results.append(result)
            return results
        cluster.start_linesim()
        await asyncio.to_thread(cluster.migrate)
        await _wait_http(f"{cluster.sim}/linesim/api/calls", cluster.linesim, "linesim")  # type: ignore[arg-type]
        if args.what == "throughput":
            for workers in args.workers:
                result = await throughput_once(cluster, workers, args.events, args.users)
                print(json.dumps(result, ensure_ascii=False), flush=True)
                results.append(result)
        else:
            result = await takeover(cluster, args.users, args.interval, args.kills, args.settle)
            print(json.dumps(result, ensure_ascii=False), flush=True)
            results.append(result)
    finally:
        await asyncio.to_thread(cluster.stop)
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return results


def main(argv: list[str]) -> int:
    import signal as signals

    signals.signal(signals.SIGTERM, signals.default_int_handler)  # stopped: the processes and the database go too
    parser = argparse.ArgumentParser(prog="python -m bench scaleout", description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["throughput", "takeover", "claims"])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="throughput: WORKERS to try")
    parser.add_argument("--events", type=int, default=3000, help="throughput: messages sent")
    parser.add_argument("--users", type=int, default=300, help="citizens sending")
    parser.add_argument("--interval", type=float, default=1.0, help="takeover: seconds between a citizen's messages")
    parser.add_argument("--kills", type=int, default=4, help="takeover: SIGKILLs of an instance")
    parser.add_argument("--batch", type=int, default=64, help="claims: events per claim (the dispatcher's batch)")
    parser.add_argument("--settle", type=float, default=5.0, help="takeover: seconds of steady load around a kill")
    asyncio.run(run(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
