"""Hand-over chats past their keeping period (``HANDOVER_KEEP_MONTHS``, ``bot.retention``): of every
hand-over closed before the cutoff, what the citizen and staff wrote is deleted and the citizen's id
taken out; the row stays for the figures (when, how long the wait, who handled it, the rating)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select

from civic.database import Database
from civic.handover.models import CLOSED, Handover, HandoverMessage

#: What a purged hand-over's citizen becomes (no one).
PURGED = "-"


async def purge_closed_handovers(db: Database, cutoff: datetime, *, batch: int = 500) -> int:
    """Hand-overs purged (in short transactions of ``batch``)."""
    total = 0
    while True:
        async with db.write() as s:
            ids = list((await s.exec(select(Handover.id).where(Handover.status == CLOSED,
                                                               col(Handover.closed_at) < cutoff,
                                                               Handover.channel_user_id != PURGED)
                                     .limit(batch))).all())
            if not ids:
                return total
            await s.exec(sa.delete(HandoverMessage).where(col(HandoverMessage.handover_id).in_(ids)))
            await s.exec(sa.update(Handover).where(col(Handover.id).in_(ids))
                         .values(channel_user_id=PURGED).execution_options(synchronize_session=False))
        total += len(ids)
