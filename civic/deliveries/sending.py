"""Sending due runs exactly once, in multicast batches of ≤ 500, at LINE's pace.

1. **Claim.** A due run is taken with one conditional UPDATE (status, owner, lease). Only one
   service instance can win it, on SQLite and on PostgreSQL; a run whose owner vanished (its lease
   ran out) is taken over the same way.
2. **Prepare** (once per run, one transaction): fix the recipients, cut them into batches, give
   each batch a retry key derived from the run's seed and the batch number, fix the messages
   (links rewritten for this run). A crash before the commit leaves nothing; after it, the plan is
   fixed.
3. **Send** in waves of a few batches: mark the wave's first attempt and renew the lease (one
   write), multicast each batch with its retry key (rate-limited), record the outcomes (one
   write). A batch sent but not recorded (a crash in between) is sent again with the *same* retry
   key after the restart; LINE answers 409 and delivers nothing twice. LINE remembers a key for
   24 hours, so a batch first tried longer ago than that is not retried blindly but marked failed.
4. **Finish:** the run's figures are counted from its batches.

Transient LINE trouble (network, 5xx, 429, LINE's circuit open) after the gateway's own retries
leaves the batch pending; the run is released and tried again later — after ``retry_after``,
doubling with jitter up to ``retry_max``, never before LINE's ``Retry-After`` — however long LINE is
down, until ``give_up`` has passed since the run started (LINE keeps a retry key 24 hours: later
tries could deliver twice). Only LINE's final refusals (400, 403, …) fail a batch at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlmodel import col, select

from civic.citizens.models import Citizen
from civic.clock import Clock, utc
from civic.database import Database
from civic.deliveries import links, recipients
from civic.deliveries.models import (
    AT,
    B_CANCELLED,
    B_FAILED,
    B_PENDING,
    B_SENT,
    BROADCAST,
    D_CANCELLED,
    D_FINISHED,
    D_SCHEDULED,
    EVERYONE,
    NOW,
    R_CANCELLED,
    R_DONE,
    R_DUE,
    R_FAILED,
    R_SENDING,
    ROUTINE,
    Delivery,
    DeliveryBatch,
    DeliveryRun,
)
from civic.deliveries.services import DeliveryDesk
from civic.mypage import deliveries as mypage_deliveries
from civic.rows import pk, table_of
from civic.segments.services import today_in_tokyo

log = logging.getLogger(__name__)
RUN = table_of(DeliveryRun)
BATCH = table_of(DeliveryBatch)
DELIVERY = table_of(Delivery)
CITIZEN = table_of(Citizen)
MULTICAST_MAX = 500
RETRY_KEY_LIFETIME = timedelta(hours=23)  # LINE keeps a retry key 24 hours; leave a margin


class Multicaster(Protocol):
    """What sending needs of LINE (``bot.gateway.LineGateway`` fits). Errors carry ``status``
    (None for network trouble) and ``message``; an already-accepted retry key is not an error."""

    async def multicast(self, channel: str, to: list[str], messages: list[dict[str, Any]], retry_key: str, *,
                        aggregation_unit: str | None = None) -> None: ...


class Broadcaster(Protocol):
    """LINE's broadcast (every friend of the channel, one call): urgent deliveries to everyone use it
    when the sender has it (``bot.gateway.LineGateway`` does)."""

    async def broadcast(self, channel: str, messages: list[dict[str, Any]], retry_key: str) -> None: ...


def is_transient(exc: BaseException) -> bool:
    """Whether trying again later may succeed: the error says so (``bot.gateway.LineError.transient``),
    or, for errors that do not, network trouble (no status), 429 or 5xx."""
    transient = getattr(exc, "transient", None)
    if isinstance(transient, bool):
        return transient
    status = getattr(exc, "status", None)
    return status is None or status == 429 or status >= 500


def batch_key(seed: str, number: int) -> str:
    return str(uuid.uuid5(uuid.UUID(seed), f"batch-{number}"))


class RateLimiter:
    """A token bucket: at most ``rate`` calls per second on average, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int = 10, *, monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.rate, self.burst = rate, burst
        self._tokens = float(burst)
        self._last = monotonic()
        self._monotonic, self._sleep = monotonic, sleep
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await self._sleep((1 - self._tokens) / self.rate)


@dataclass(frozen=True)
class SendingConfig:
    batch_size: int = MULTICAST_MAX
    #: LINE allows 200 multicast requests per second per channel; stay well below.
    rate_per_second: float = 100.0
    concurrency: int = 8
    lease: timedelta = timedelta(minutes=2)
    #: After transient trouble the run is tried again after ``retry_after``, doubling (with jitter)
    #: up to ``retry_max``, until ``give_up`` has passed since it started.
    retry_after: timedelta = timedelta(minutes=1)
    retry_max: timedelta = timedelta(minutes=15)
    give_up: timedelta = RETRY_KEY_LIFETIME
    #: Urgent deliveries to everyone go out by LINE's broadcast (one call) rather than multicast batches.
    broadcast_urgent: bool = True
    #: Public base URL for tracked links (``{base}/r/{token}``); empty: links are left as they are.
    link_base_url: str = ""
    #: The town's name, in the subject of the e-mails a run sends (``civic.mypage.deliveries``).
    town: str = ""


class _LostClaim(Exception):
    """Another instance owns the run now (our lease ran out), or it was cancelled."""


class DeliveryDispatcher:
    def __init__(self, db: Database, clock: Clock, line: Multicaster, *, instance: str,
                 desk: DeliveryDesk | None = None, config: SendingConfig | None = None) -> None:
        self.db, self.clock, self.line = db, clock, line
        self.instance = instance[:64]
        self.desk = desk or DeliveryDesk()
        self.config = config or SendingConfig()
        if not 1 <= self.config.batch_size <= MULTICAST_MAX:
            raise ValueError(f"batch_size must be 1..{MULTICAST_MAX}")
        self.limiter = RateLimiter(self.config.rate_per_second, burst=max(1, self.config.concurrency))
        self._lock = asyncio.Lock()
        #: LINE's Retry-After (seconds) seen while sending a run, for its next try.
        self._retry_hint: dict[int, float] = {}
        self._rng = random.random

    async def tick(self) -> int:
        """Turn due occurrences into runs, then send every due run this instance can claim."""
        async with self._lock:  # one tick at a time per instance; other instances race in the database
            await self.desk.materialize(self.db, self.clock.now())
            done = 0
            while (run_id := await self.claim()) is not None:
                await self.process(run_id)
                done += 1
            return done

    # ---- claiming -------------------------------------------------------------------------
    def _claimable(self, now: datetime) -> Any:
        return sa.or_(sa.and_(RUN.c.status == R_DUE, RUN.c.due_at <= now),
                      sa.and_(RUN.c.status == R_SENDING, RUN.c.lease_until < now))

    async def claim(self, *, urgent_only: bool = False) -> int | None:
        """The next run this instance wins: urgent ones first (also one left behind by a crash), then by due time."""
        now = self.clock.now()
        where = self._claimable(now)
        if urgent_only:
            where = sa.and_(where, RUN.c.priority > ROUTINE)
        async with self.db.read() as s:
            candidates = (await s.exec(select(RUN.c.id).where(where)
                                       .order_by(RUN.c.priority.desc(), RUN.c.due_at, RUN.c.id).limit(20))).all()
        for run_id in candidates:
            async with self.db.write() as s:
                won = await s.exec(sa.update(RUN).where(RUN.c.id == run_id, self._claimable(now)).values(
                    status=R_SENDING, claimed_by=self.instance, lease_until=now + self.config.lease,
                    started_at=sa.func.coalesce(RUN.c.started_at, now), attempts=RUN.c.attempts + 1))
                if won.rowcount == 1:
                    return int(run_id)
        return None

    async def _renew(self, s: Any, run_id: int, now: datetime) -> None:
        renewed = await s.exec(sa.update(RUN).where(RUN.c.id == run_id, RUN.c.claimed_by == self.instance,
                                                    RUN.c.status == R_SENDING)
                               .values(lease_until=now + self.config.lease))
        if renewed.rowcount != 1:
            raise _LostClaim

    async def _urgent_first(self, run: DeliveryRun) -> None:
        """Between two waves of a routine run: send every urgent run that has become due (緊急配信 goes
        before everything else); the routine run goes on afterwards, its lease renewed by the next wave."""
        if run.priority > ROUTINE:
            return
        while (urgent := await self.claim(urgent_only=True)) is not None:
            log.info("run %s: paused for urgent run %s", run.id, urgent)
            await self.process(urgent)

    # ---- one run --------------------------------------------------------------------------
    async def process(self, run_id: int) -> None:
        try:
            if await self._prepare(run_id):
                await self._send(run_id)
        except _LostClaim:
            log.warning("run %s: claim lost to another instance; leaving it", run_id)

    async def _prepare(self, run_id: int) -> bool:
        """Fix recipients, batches and messages once (one transaction); False when the run needs
        nothing more. On PostgreSQL the recipients never leave the database: they are cut into
        batches by ``INSERT … SELECT`` (``_cut_in_database``); a city's two million rows turned into
        Python held the process's interpreter for seconds (issue #19). SQLite (one town, one
        machine) fixes them in Python (``_cut_here``): the same batches, numbers and retry keys."""
        now = self.clock.now()
        async with self.db.write() as s:
            if not self.db.is_sqlite:  # one snapshot for the count and the batches (_cut_in_database)
                await s.exec(sa.text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))  # type: ignore[call-overload]
            run = await s.get(DeliveryRun, run_id)
            delivery = await s.get(Delivery, run.delivery_id) if run else None
            if run is None or delivery is None:
                return False
            if run.targeted is not None:
                return True
            await self._renew(s, run_id, now)
            if delivery.status == D_CANCELLED and not run.is_test:
                await s.exec(sa.update(RUN).where(RUN.c.id == run_id).values(
                    status=R_CANCELLED, finished_at=now, targeted=0))
                return False
            day = today_in_tokyo(run.due_at)
            cut = self._cut_here if self.db.is_sqlite else self._cut_in_database
            run.targeted = await cut(s, now, delivery, run, day)
            messages = await links.track(s, now, run_id, json.loads(delivery.messages), self.config.link_base_url)
            run.messages = json.dumps(messages, ensure_ascii=False)
            run.aggregation_unit = f"d{delivery.id}r{run_id}"[:30]
            # a city's plan takes PostgreSQL tens of seconds: the lease starts again from its end, so
            # another instance waiting on the run's row lock finds it held, not run out
            run.lease_until = self.clock.now() + self.config.lease
            s.add(run)
        return True

    async def _cut_here(self, s: Any, now: datetime, delivery: Delivery, run: DeliveryRun, day: date) -> int:
        users = await recipients.resolve(s, delivery, run, day)
        # e-mail subscribers and LINE/e-mail choices; notices for the my-page (same transaction)
        users = await mypage_deliveries.plan(s, now, delivery, run, day, users, town=self.config.town,
                                             public_base_url=self.config.link_base_url)
        if users and self._broadcast_to(s, delivery, run, len(users)):
            return len(users)
        size = self.config.batch_size
        s.add_all([DeliveryBatch(run_id=pk(run), number=i // size, recipients=json.dumps(users[i:i + size]),
                                 size=len(users[i:i + size]), retry_key=batch_key(run.key_seed, i // size),
                                 status=B_PENDING) for i in range(0, len(users), size)])
        return len(users)

    async def _cut_in_database(self, s: Any, now: datetime, delivery: Delivery, run: DeliveryRun, day: date) -> int:
        """The batches written by PostgreSQL itself: recipients numbered in citizen order
        (``row_number()``), grouped by ``(n - 1) / size`` into JSON arrays; the retry keys (the same
        ``batch_key`` as ``_cut_here``) come in as one array. The count and the batches are read in
        one snapshot (``REPEATABLE READ``, set first thing in ``_prepare``'s transaction), so a friend
        added meanwhile cannot make a batch without a key."""
        members = await recipients.where(s, delivery, run, day)
        if members is None:
            return 0
        line = await mypage_deliveries.plan_in_database(s, now, delivery, run, day, members, town=self.config.town,
                                                        public_base_url=self.config.link_base_url)
        targeted = int((await s.exec(sa.select(sa.func.count()).select_from(CITIZEN).where(line))).one()[0])
        if not targeted or self._broadcast_to(s, delivery, run, targeted):
            return targeted
        size = self.config.batch_size
        keys = [batch_key(run.key_seed, n) for n in range(-(-targeted // size))]
        numbered = sa.select(CITIZEN.c.channel_user_id.label("u"),
                             (sa.func.row_number().over(order_by=CITIZEN.c.id) - 1).label("n")).where(line).subquery()
        number = (numbered.c.n // size).label("number")
        grouped = sa.select(number, sa.func.json_agg(aggregate_order_by(numbered.c.u, numbered.c.n)).label("users"),
                            sa.func.count().label("size")).group_by(number).subquery()
        key = sa.func.unnest(sa.bindparam("keys", keys, type_=ARRAY(sa.String))).table_valued(
            "k", with_ordinality="i").render_derived()
        # an outer join: a batch without its key would fail the NOT NULL (and the run), never go keyless
        await s.exec(sa.insert(BATCH).from_select(
            ["run_id", "number", "recipients", "size", "retry_key", "status", "attempts"],
            sa.select(sa.literal(pk(run)), grouped.c.number, sa.cast(grouped.c.users, sa.Text), grouped.c.size,
                      key.c.k, sa.literal(B_PENDING), sa.literal(0))
            .select_from(grouped.outerjoin(key, key.c.i == grouped.c.number + 1))))
        return targeted

    def _broadcast_to(self, s: Any, delivery: Delivery, run: DeliveryRun, count: int) -> bool:
        """An urgent run to everyone goes by LINE's broadcast, every friend in one call: the fastest
        LINE offers (issue #22); its one batch counts who we know of."""
        if not self._broadcasts(delivery, run):
            return False
        run.method = BROADCAST
        s.add(DeliveryBatch(run_id=pk(run), number=0, recipients="[]", size=count,
                            retry_key=batch_key(run.key_seed, 0), status=B_PENDING))
        return True

    def _broadcasts(self, delivery: Delivery, run: DeliveryRun) -> bool:
        return (delivery.urgent and delivery.target == EVERYONE and not run.is_test
                and self.config.broadcast_urgent and hasattr(self.line, "broadcast"))

    async def _send(self, run_id: int) -> None:
        async with self.db.read() as s:
            run = await s.get(DeliveryRun, run_id)
            assert run is not None and run.messages is not None
            pending = (await s.exec(select(DeliveryBatch.id).where(DeliveryBatch.run_id == run_id,
                                                                   DeliveryBatch.status == B_PENDING)
                                    .order_by(col(DeliveryBatch.number)))).all()
        messages = json.loads(run.messages)
        wave = max(1, self.config.concurrency)
        transient: str | None = None
        for start in range(0, len(pending), wave):
            await self._urgent_first(run)
            ids = [i for i in pending[start:start + wave] if i is not None]  # primary keys, never NULL
            batches = await self._begin_wave(run, ids)
            if batches is None:
                return  # cancelled: the run was closed
            outcomes = await asyncio.gather(*(self._send_batch(run, b, messages) for b in batches))
            await self._record(run_id, outcomes)
            transient = next((error for _, status, error in outcomes if status == B_PENDING), None)
            if transient is not None:
                break
        await self._finish(run_id, transient)

    async def _begin_wave(self, run: DeliveryRun, ids: list[int]) -> list[DeliveryBatch] | None:
        now = self.clock.now()
        async with self.db.write() as s:
            await self._renew(s, pk(run), now)
            status = (await s.exec(select(DELIVERY.c.status).where(DELIVERY.c.id == run.delivery_id))).one()
            if status == D_CANCELLED and not run.is_test:
                await s.exec(sa.update(BATCH).where(BATCH.c.run_id == run.id, BATCH.c.status == B_PENDING)
                             .values(status=B_CANCELLED, error="配信の取り消しにより送信しませんでした"))
                await self._count(s, pk(run), R_CANCELLED, now)
                return None
            await s.exec(sa.update(BATCH).where(BATCH.c.id.in_(ids), BATCH.c.first_attempt_at.is_(None))
                         .values(first_attempt_at=now))
            return list((await s.exec(select(DeliveryBatch).where(col(DeliveryBatch.id).in_(ids))
                                      .order_by(col(DeliveryBatch.number)))).all())

    async def _send_batch(self, run: DeliveryRun, batch: DeliveryBatch,
                          messages: list[dict[str, Any]]) -> tuple[int, str, str | None]:
        if batch.status != B_PENDING:
            return pk(batch), batch.status, batch.error
        now = self.clock.now()
        if batch.first_attempt_at is not None and batch.attempts > 0 and \
                now - batch.first_attempt_at > RETRY_KEY_LIFETIME:
            return pk(batch), B_FAILED, ("前回の送信から24時間以上たち、二重送信を防げないため再送しませんでした"
                                        "（LINE側で届いている可能性があります）")
        await self.limiter.acquire()
        try:
            if run.method == BROADCAST:
                line: Broadcaster = self.line  # type: ignore[assignment]  # checked by _broadcasts
                await line.broadcast(run.channel, messages, batch.retry_key)
            else:
                await self.line.multicast(run.channel, json.loads(batch.recipients), messages, batch.retry_key,
                                          aggregation_unit=run.aggregation_unit)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # LINE's answer (or the network's), recorded for staff
            reason = f"{getattr(exc, 'status', None) or 'network'}: {getattr(exc, 'message', None) or exc}"[:300]
            if is_transient(exc):
                log.warning("run %s batch %s: transient LINE error %s", run.id, batch.number, reason)
                hint = getattr(exc, "retry_after", None)
                if isinstance(hint, int | float):
                    self._retry_hint[pk(run)] = max(self._retry_hint.get(pk(run), 0.0), float(hint))
                return pk(batch), B_PENDING, reason
            return pk(batch), B_FAILED, reason
        return pk(batch), B_SENT, None

    async def _record(self, run_id: int, outcomes: list[tuple[int, str, str | None]]) -> None:
        now = self.clock.now()
        async with self.db.write() as s:
            sent = [i for i, status, _ in outcomes if status == B_SENT]
            if sent:
                await s.exec(sa.update(BATCH).where(BATCH.c.id.in_(sent), BATCH.c.status == B_PENDING)
                             .values(status=B_SENT, sent_at=now, attempts=BATCH.c.attempts + 1, error=None))
            for batch_id, status, error in outcomes:
                if status in (B_FAILED, B_PENDING):
                    await s.exec(sa.update(BATCH).where(BATCH.c.id == batch_id, BATCH.c.status == B_PENDING)
                                 .values(status=status, error=error, attempts=BATCH.c.attempts + 1))

    def _next_try(self, attempts: int, hint: float) -> timedelta:
        backoff = min(self.config.retry_max, self.config.retry_after * 2 ** max(0, attempts - 1))
        return max(backoff * (0.5 + self._rng() / 2), timedelta(seconds=hint))

    async def _finish(self, run_id: int, transient: str | None) -> None:
        now = self.clock.now()
        hint = self._retry_hint.pop(run_id, 0.0)
        async with self.db.write() as s:
            run = await s.get(DeliveryRun, run_id)
            if run is None or run.claimed_by != self.instance or run.status != R_SENDING:
                return
            if transient is not None:
                started = utc(run.started_at) if run.started_at is not None else now
                if now - started < self.config.give_up:
                    run.lease_until = now + self._next_try(run.attempts, hint)
                    run.error = f"再試行待ち: {transient}"
                    s.add(run)
                    return
                await s.exec(sa.update(BATCH).where(BATCH.c.run_id == run_id, BATCH.c.status == B_PENDING)
                             .values(status=B_FAILED, error=transient))
            await self._count(s, run_id, None, now)

    async def _count(self, s: Any, run_id: int, status: str | None, now: datetime) -> None:
        rows = (await s.exec(select(BATCH.c.status, sa.func.sum(BATCH.c.size))
                             .where(BATCH.c.run_id == run_id).group_by(BATCH.c.status))).all()
        sizes = {st: int(n or 0) for st, n in rows}
        succeeded, failed = sizes.get(B_SENT, 0), sizes.get(B_FAILED, 0)
        if status is None:
            status = R_FAILED if failed and not succeeded else R_DONE
        await s.exec(sa.update(RUN).where(RUN.c.id == run_id).values(
            status=status, succeeded=succeeded, failed=failed, finished_at=now, lease_until=None,
            error=None if status == R_DONE else RUN.c.error))
        run = await s.get(DeliveryRun, run_id)
        if run is not None and not run.is_test:
            await s.exec(sa.update(DELIVERY).where(
                DELIVERY.c.id == run.delivery_id, DELIVERY.c.status == D_SCHEDULED,
                DELIVERY.c.timing.in_([NOW, AT])).values(status=D_FINISHED, updated_at=now))
