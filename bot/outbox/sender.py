"""Sending what a turn produced: reply with the token, or push when the token is spent or expired.

Rows are written in the same transaction as the turn, so a crash never loses an answer. Rows sent
again (after a restart, or a failure) follow these rules, so no answer is delivered twice:

* push carries the row's retry key: LINE delivers a retried push once (409 for a known key);
* a reply token is single-use: if a reply sent again is refused while the token is still fresh,
  the earlier try consumed it, and the row counts as delivered; if the token is stale, the answer
  goes by push.

An answer LINE cannot take *now* (network trouble, timeouts, 5xx, 429, an open circuit) stays
pending: the retry loop (``run_retries``) tries it again after a capped exponential backoff with
jitter (at least LINE's ``Retry-After``), until it is delivered or ``give_up`` has passed since it
was written. Only answers LINE refuses for good (400, 403, …) are failed at once. While LINE is
down the gateway's circuit is open and the loop waits; when a probe finds LINE back, every waiting
answer is due at once.

Each citizen's answers arrive in order: a citizen's messages are sent one after another, oldest
first, and a new answer for a citizen who has one waiting is queued behind it
(``bot.outbox.backlog.waiting_recipients``; ``Outgoing.queued``) rather than sent at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from bot.circuit import Circuit
from bot.gateway import InvalidReplyToken, LineError, LineGateway
from bot.outbox.models import FAILED, PENDING, SENT, OutboundMessage, Outgoing
from civic.clock import Clock, utc
from civic.database import Database
from civic.rows import table_of

log = logging.getLogger(__name__)
OUTBOX = table_of(OutboundMessage)


@dataclass(frozen=True)
class RetrySchedule:
    """When pending answers are tried again (settings: ``OUTBOX_RETRY_*``)."""

    #: The first retry's delay (seconds); it doubles with every failed try, up to ``max_delay``.
    base_delay: float = 1.0
    max_delay: float = 300.0
    #: An answer still undelivered this long after it was written is failed (LINE forgets a retry
    #: key after 24 hours: later tries could deliver it twice).
    give_up: timedelta = timedelta(hours=24)
    #: How often the loop reads the outbox for rows it was not told about (another process's).
    poll: float = 30.0
    #: A row without a retry time belongs to the sender that wrote it for this long (seconds).
    grace: float = 30.0

    def delay(self, attempts: int, retry_after: float | None, rng: Callable[[], float]) -> float:
        """Before the next try, after ``attempts`` failed ones."""
        backoff = min(self.max_delay, self.base_delay * 2 ** max(0, attempts - 1)) * (0.5 + rng() / 2)
        return max(backoff, retry_after or 0.0)


@dataclass(frozen=True)
class Outcome:
    row_id: int
    status: str
    via: str | None
    error: str | None = None
    #: For a row left pending: when it is tried again.
    next_attempt_at: datetime | None = None


class OutboxSender:
    def __init__(self, db: Database, gateway: LineGateway, clock: Clock, *, reply_token_ttl: float = 50,
                 retry: RetrySchedule | None = None, rng: Callable[[], float] = random.random) -> None:
        self._db = db
        self._gateway = gateway
        self._clock = clock
        self._ttl = timedelta(seconds=reply_token_ttl)
        self._retry = retry or RetrySchedule()
        self._rng = rng
        self._done: list[Outcome] = []
        self._flush_task: asyncio.Task[None] | None = None
        self._flush_lock = asyncio.Lock()
        self._in_flight: set[int] = set()
        self._wake = asyncio.Event()
        self._recovered: set[str] = set()
        gateway.on_recovery.append(self._line_is_back)

    def _fresh(self, row: Outgoing) -> bool:
        return row.token_issued_at is not None and self._clock.now() - row.token_issued_at < self._ttl

    def wake(self) -> None:
        """Something is due now (a queued answer, LINE back): the retry loop looks at once."""
        self._wake.set()

    def _line_is_back(self, channel: str) -> None:
        self._recovered.add(channel)
        self.wake()

    async def send(self, row: Outgoing | OutboundMessage, *, recovering: bool = False) -> Outcome | None:
        """Deliver one row. A row queued behind older answers is left to the retry loop. Unexpected
        errors leave it pending for the loop; they never propagate."""
        if isinstance(row, OutboundMessage):
            row = Outgoing.of(row)
        if row.queued:
            self.wake()
            return None
        return await self._send_once(row, recovering)

    async def _send_once(self, row: Outgoing, recovering: bool) -> Outcome | None:
        if row.id in self._in_flight:
            return None
        self._in_flight.add(row.id)
        try:
            return await self._send(row, recovering or row.attempts > 0)
        except Exception:
            log.exception("outbox %s: unexpected error; left pending for the retry loop", row.id)
            return None
        finally:
            self._in_flight.discard(row.id)

    async def _send(self, row: Outgoing, recovering: bool) -> Outcome:
        messages = json.loads(row.messages)
        if row.reply_token and self._fresh(row):
            try:
                await self._gateway.reply(row.channel, row.reply_token, messages)
                return self._record(Outcome(row.id, SENT, "reply"))
            except InvalidReplyToken as exc:
                if recovering and self._fresh(row):
                    log.info("outbox %s: reply token already used by an earlier try", row.id)
                    return self._record(Outcome(row.id, SENT, "reply", "delivered before restart"))
                log.info("outbox %s: %s; pushing instead", row.id, exc.message)
            except LineError as exc:
                return await self._failed(row, "reply", exc)
        try:
            await self._gateway.push(row.channel, row.to, messages, row.retry_key)
            return self._record(Outcome(row.id, SENT, "push"))
        except LineError as exc:
            return await self._failed(row, "push", exc)

    async def _failed(self, row: Outgoing, via: str, exc: LineError) -> Outcome:
        """A final refusal fails the row; anything else leaves it pending, recorded before returning
        (the citizen's next answer must see that this one waits)."""
        now = self._clock.now()
        if not exc.transient:
            log.error("outbox %s: LINE refused the %s: %s", row.id, via, exc)
            return self._record(Outcome(row.id, FAILED, via, str(exc)[:500]))
        if now - utc(row.created_at) >= self._retry.give_up:
            log.error("outbox %s: still undelivered after %s; given up: %s", row.id, self._retry.give_up, exc)
            return self._record(Outcome(row.id, FAILED, via, f"given up: {exc}"[:500]))
        delay = self._retry.delay(row.attempts + 1, exc.retry_after, self._rng)
        log.warning("outbox %s: %s failed (%s); trying again in %.1f s", row.id, via, exc, delay)
        outcome = self._record(Outcome(row.id, PENDING, via, str(exc)[:500], now + timedelta(seconds=delay)))
        await self.flush()
        self.wake()
        return outcome

    def _record(self, outcome: Outcome) -> Outcome:
        """Marking rows sent is batched: a lost mark only means a harmless resend (see above)."""
        self._done.append(outcome)
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.get_running_loop().create_task(self.flush())
        return outcome

    async def flush(self) -> None:
        """Record every finished send; returns after the records are committed."""
        async with self._flush_lock:
            await self._flush_locked()

    async def _flush_locked(self) -> None:
        while self._done:
            batch, self._done = self._done, []
            now = self._clock.now()
            async with self._db.write() as session:
                conn = await session.connection()
                for status in (SENT, FAILED):
                    for via in ("reply", "push"):
                        ids = [o.row_id for o in batch if o.status == status and o.via == via]
                        if ids:
                            await conn.execute(
                                sa.update(OUTBOX).where(OUTBOX.c.id.in_(ids))
                                .values(status=status, via=via, sent_at=now, attempts=OUTBOX.c.attempts + 1)
                            )
                for o in batch:
                    if o.status == PENDING:  # tried again later, unless it was delivered meanwhile
                        await conn.execute(
                            sa.update(OUTBOX).where(OUTBOX.c.id == o.row_id, OUTBOX.c.status == PENDING)
                            .values(next_attempt_at=o.next_attempt_at, error=o.error, attempts=OUTBOX.c.attempts + 1))
                    elif o.error:
                        await conn.execute(sa.update(OUTBOX).where(OUTBOX.c.id == o.row_id).values(error=o.error))

    # ---- the retry loop ---------------------------------------------------------------------
    async def resend_unsent(self) -> int:
        """At start-up: send every pending row now (those a previous run did not finish, and those
        waiting for a retry), each citizen's in order, under the recovery rules. Returns how many."""
        return (await self._pass(everything=True))[0]

    async def run_retries(self) -> None:
        """Forever: send what is due, then sleep until the next row is due, the circuit lets a probe
        go, ``wake()`` is called, or ``RetrySchedule.poll`` has passed."""
        while True:
            self._wake.clear()
            try:
                _, wait = await self._pass(everything=False)
            except Exception:
                log.exception("outbox retry pass failed; trying again in %.0f s", self._retry.poll)
                wait = self._retry.poll
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(wait, 0.01))

    async def _pass(self, *, everything: bool) -> tuple[int, float]:
        """One look at the outbox: returns (rows tried, seconds until the next look is needed)."""
        now = self._clock.now()
        async with self._db.write() as session:
            conn = await session.connection()
            await conn.execute(sa.update(OUTBOX).where(
                OUTBOX.c.status == PENDING, OUTBOX.c.created_at < now - self._retry.give_up,
            ).values(status=FAILED, error="given up: not delivered in time"))
            recovered, self._recovered = self._recovered, set()
            if recovered:  # LINE is back: whatever waited is due now
                await conn.execute(sa.update(OUTBOX).where(
                    OUTBOX.c.status == PENDING, OUTBOX.c.channel.in_(recovered), OUTBOX.c.next_attempt_at > now,
                ).values(next_attempt_at=now))
            pending = (await conn.execute(
                sa.select(OUTBOX.c.id, OUTBOX.c.channel, OUTBOX.c.to, OUTBOX.c.next_attempt_at, OUTBOX.c.created_at)
                .where(OUTBOX.c.status == PENDING).order_by(OUTBOX.c.id)
            )).all()
        queues, wait, probing = self._plan(pending, now, everything)
        tried = await self._send_queues(queues, everything)
        await self.flush()
        return tried, (0.0 if self._recovered or probing else wait)

    def _plan(self, pending: Sequence[Any], now: datetime, everything: bool) -> tuple[list[list[int]], float, bool]:
        """Which rows to send now, per citizen in order; the seconds until a row that waits is due;
        whether a row goes as the probe of a half-open circuit."""
        plans: dict[tuple[str, str], list[int]] = {}
        waiting: set[tuple[str, str]] = set()  # citizens with a message that waits: so do their later ones
        probes: set[str] = set()
        wait = self._retry.poll
        grace = timedelta(seconds=self._retry.grace)
        for row in pending:
            key = (row.channel, row.to)
            if key in waiting:
                continue
            plan = plans.setdefault(key, [])
            circuit = self._gateway.circuit(row.channel)
            # A row without a retry time is its sender's (being sent now); after the grace period,
            # a leftover of a crash. At start-up every row is due.
            due_at = now if everything else utc(row.next_attempt_at or row.created_at + grace)
            if row.id in self._in_flight or (row.next_attempt_at is None and due_at > now):
                wait = min(wait, max(0.0, (due_at - now).total_seconds()))
                waiting.add(key)
            elif circuit is Circuit.OPEN:
                wait = min(wait, self._gateway.blocked_for(row.channel) or self._retry.base_delay)
                waiting.add(key)
            elif circuit is Circuit.HALF_OPEN:  # one message of the account goes first, due or not: the probe
                if not plan and row.channel not in probes:
                    probes.add(row.channel)
                    plan.append(row.id)
                waiting.add(key)
            elif due_at > now:
                wait = min(wait, (due_at - now).total_seconds())
                waiting.add(key)
            else:
                plan.append(row.id)
        return [plan for plan in plans.values() if plan], wait, bool(probes)

    async def _send_queues(self, queues: list[list[int]], everything: bool) -> int:
        """Each citizen's rows one after another (stopping at the first that is not delivered);
        different citizens at once. Rows that may have been tried before (at start-up: all of them;
        later: a crash's leftovers and rows that failed before) go under the recovery rules."""
        ids = [i for queue in queues for i in queue]
        rows: dict[int, Outgoing] = {}
        async with self._db.read() as session:
            for start in range(0, len(ids), 500):
                result = await session.exec(select(OutboundMessage).where(
                    col(OutboundMessage.id).in_(ids[start:start + 500]), OutboundMessage.status == PENDING))
                rows.update({r.id: Outgoing.of(r) for r in result.all() if r.id is not None})
        limit = asyncio.Semaphore(32)

        async def citizen(queue: list[int]) -> int:
            tried = 0
            async with limit:
                for row_id in queue:
                    row = rows.get(row_id)
                    if row is None:
                        continue  # delivered meanwhile
                    if tried and self._gateway.circuit(row.channel) is not Circuit.CLOSED:
                        break
                    tried += 1
                    outcome = await self._send_once(row, everything or not row.queued)
                    if outcome is None or outcome.status == PENDING:
                        break  # a refused one (failed for good) does not hold the next ones back
            return tried

        return sum(await asyncio.gather(*(citizen(q) for q in queues)))

    async def close(self) -> None:
        if self._flush_task is not None:
            await asyncio.gather(self._flush_task, return_exceptions=True)
        await self.flush()
