"""What the outbox holds back: citizens whose answers wait for a retry, and the backlog's size and age.

``waiting_recipients`` keeps each citizen's answers in order: a new answer for a citizen who still
has one waiting (``next_attempt_at`` set) is queued behind it instead of being sent at once.
``outbox_backlog`` is what operations watch (``/healthz`` today, ``/metrics`` later).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bot.outbox.models import PENDING, OutboundMessage
from civic.clock import Clock, utc
from civic.database import Database
from civic.rows import table_of

OUTBOX = table_of(OutboundMessage)


async def waiting_recipients(conn: Any, recipients: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which ``(channel, to)`` have a message waiting for a retry, read through ``conn`` (an async
    connection, inside the transaction that adds the new messages)."""
    if not recipients:
        return set()
    found = await conn.execute(
        sa.select(OUTBOX.c.channel, OUTBOX.c.to).distinct()
        .where(OUTBOX.c.status == PENDING, OUTBOX.c.next_attempt_at.is_not(None),
               OUTBOX.c.to.in_({to for _, to in recipients}))
    )
    return {(channel, to) for channel, to in found if (channel, to) in recipients}


@dataclass(frozen=True)
class Backlog:
    #: Messages not delivered yet (being sent, or waiting for a retry).
    pending: int
    #: Age of the oldest of them, seconds (None when there are none).
    oldest_pending_seconds: float | None

    def as_json(self) -> dict[str, Any]:
        return {"pending": self.pending, "oldest_pending_seconds": self.oldest_pending_seconds}


async def outbox_backlog(db: Database, clock: Clock) -> Backlog:
    async with db.read() as session:
        count, oldest = (await (await session.connection()).execute(
            sa.select(sa.func.count(), sa.func.min(OUTBOX.c.created_at)).where(OUTBOX.c.status == PENDING)
        )).one()
    age = None if oldest is None else round((clock.now() - utc(oldest)).total_seconds(), 3)
    return Backlog(int(count), age)
