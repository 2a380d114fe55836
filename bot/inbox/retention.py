"""How long the inbox keeps accepted webhook events (a scheduled job of the web process).

The inbox holds what citizens wrote (encrypted), so it is not kept longer than it is useful: once
an event is finished and ``keep_days`` old it is deleted; the talk log keeps the conversation for
staff. An event that is old but still unfinished is kept (the next worker start resumes it) and
reported. An outcome is deleted only when no inbox event older than it remains, so an event is
never left without its outcome (which would make a worker process it again).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from bot.inbox.models import InboxOutcome, finished_among, webhook_event
from civic.clock import Clock
from civic.database import Database
from civic.rows import table_of

log = logging.getLogger(__name__)

#: Deleted per statement, so the inbox's write lock is never held long (acknowledgements wait for it).
CHUNK = 500


@dataclass(frozen=True)
class Purged:
    events: int
    outcomes: int
    unfinished_kept: int


async def purge_inbox(db: Database, inbox: Database, clock: Clock, *, keep_days: int = 30) -> Purged:
    if keep_days < 1:
        raise ValueError("keep_days must be at least 1")
    cutoff = clock.now() - timedelta(days=keep_days)
    outcomes = table_of(InboxOutcome)
    async with inbox.read() as session:
        old = list((await (await session.connection()).execute(
            sa.select(webhook_event.c.id).where(webhook_event.c.received_at < cutoff).order_by(webhook_event.c.id)
        )).scalars())
    async with db.read() as session:
        finished = await finished_among(await session.connection(), old, chunk=CHUNK)
    doomed = [i for i in old if i in finished]
    for start in range(0, len(doomed), CHUNK):
        async with inbox.write() as session:
            await (await session.connection()).execute(
                sa.delete(webhook_event).where(webhook_event.c.id.in_(doomed[start:start + CHUNK])))
    unfinished = len(old) - len(doomed)
    if unfinished:
        log.warning("%d inbox events older than %d days are still unfinished; kept for the turn worker",
                    unfinished, keep_days)
    async with inbox.read() as session:
        oldest_left = (await (await session.connection()).execute(sa.select(sa.func.min(webhook_event.c.id)))).scalar()
    condition = outcomes.c.done_at < cutoff
    if oldest_left is not None:
        condition = sa.and_(condition, outcomes.c.event_id < oldest_left)
    async with db.write() as session:
        result = await (await session.connection()).execute(sa.delete(outcomes).where(condition))
    return Purged(len(doomed), result.rowcount or 0, unfinished)
