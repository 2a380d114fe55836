"""Sending what a turn produced: reply with the token, or push when the token is spent or expired.

Rows are written in the same transaction as the turn, so a crash never loses an answer. After a
restart, unsent rows are sent again under these rules, so no answer is delivered twice:

* push carries the row's retry key: LINE delivers a retried push once (409 for a known key);
* a reply token is single-use: if a resent reply is refused while the token is still fresh, the
  reply before the crash consumed it, and the row counts as delivered; if the token is stale, the
  answer goes by push.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import col, select

from bot.gateway import InvalidReplyToken, LineError, LineGateway
from bot.outbox.models import FAILED, PENDING, SENT, OutboundMessage, Outgoing
from civic.clock import Clock
from civic.database import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    row_id: int
    status: str
    via: str | None
    error: str | None = None


class OutboxSender:
    def __init__(self, db: Database, gateway: LineGateway, clock: Clock, *, reply_token_ttl: float = 50) -> None:
        self._db = db
        self._gateway = gateway
        self._clock = clock
        self._ttl = timedelta(seconds=reply_token_ttl)
        self._done: list[Outcome] = []
        self._flush_task: asyncio.Task[None] | None = None
        self._flush_lock = asyncio.Lock()
        self._in_flight: set[int] = set()

    def _fresh(self, row: Outgoing) -> bool:
        return row.token_issued_at is not None and self._clock.now() - row.token_issued_at < self._ttl

    async def send(self, row: Outgoing | OutboundMessage, *, recovering: bool = False) -> Outcome | None:
        """Deliver one row. Unexpected errors leave it pending for the sweeper; they never propagate."""
        if isinstance(row, OutboundMessage):
            row = Outgoing.of(row)
        if row.id in self._in_flight:
            return None
        self._in_flight.add(row.id)
        try:
            return await self._send(row, recovering)
        except Exception:
            log.exception("outbox %s: unexpected error; left pending for the next sweep", row.id)
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
                    log.info("outbox %s: reply token already used before the restart", row.id)
                    return self._record(Outcome(row.id, SENT, "reply", "delivered before restart"))
                log.info("outbox %s: %s; pushing instead", row.id, exc.message)
            except LineError as exc:
                log.warning("outbox %s: reply failed (%s); pushing instead", row.id, exc)
        try:
            await self._gateway.push(row.channel, row.to, messages, row.retry_key)
            return self._record(Outcome(row.id, SENT, "push"))
        except LineError as exc:
            log.error("outbox %s: push failed: %s", row.id, exc)
            return self._record(Outcome(row.id, FAILED, "push", str(exc)[:500]))

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
            table = OutboundMessage.__table__  # type: ignore[attr-defined]
            async with self._db.write() as session:
                conn = await session.connection()
                for status in (SENT, FAILED):
                    for via in ("reply", "push"):
                        ids = [o.row_id for o in batch if o.status == status and o.via == via]
                        if ids:
                            await conn.execute(
                                sa.update(table).where(table.c.id.in_(ids))
                                .values(status=status, via=via, sent_at=now, attempts=table.c.attempts + 1)
                            )
                for o in batch:
                    if o.error:
                        await conn.execute(sa.update(table).where(table.c.id == o.row_id).values(error=o.error))

    async def resend_unsent(self, *, older_than: timedelta = timedelta(0)) -> int:
        """Send rows committed by turns whose sending did not finish (after a restart, or an
        unexpected error). Rows are resent under the recovery rules in the module docstring."""
        cutoff = self._clock.now() - older_than
        async with self._db.read() as session:
            rows = (await session.exec(
                select(OutboundMessage)
                .where(OutboundMessage.status == PENDING, OutboundMessage.created_at <= cutoff)
                .order_by(col(OutboundMessage.id))
            )).all()
        for row in rows:
            await self.send(row, recovering=True)
        await self.flush()
        return len(rows)

    async def sweep_forever(self, interval: float = 30.0) -> None:
        """Every ``interval`` seconds, resend rows left pending for longer than that."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.resend_unsent(older_than=timedelta(seconds=interval))
            except Exception:
                log.exception("outbox sweep failed; trying again in %.0f s", interval)

    async def close(self) -> None:
        if self._flush_task is not None:
            await asyncio.gather(self._flush_task, return_exceptions=True)
        await self.flush()
