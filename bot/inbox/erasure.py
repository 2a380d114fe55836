"""Erasure of one citizen's events from the inbox store (``webhook_event``; see
``civic.citizens.erasure`` for the main database). The store can be another database, so this runs
in its own transaction, before the main one (deleting is idempotent: a failed erasure is retried
as a whole)."""

from __future__ import annotations

import sqlalchemy as sa

from bot.inbox.models import webhook_event
from civic.database import Database

#: The inbox store's tables and how erasure handles them.
INBOX_REGISTRY = {"webhook_event": "delete (the citizen's own events, and group events they sent)"}


async def erase_inbox_events(inbox: Database, user_id: str, *, apply: bool = True) -> int:
    """Delete the events of ``user_id``: keyed by them, or (group and room events) sent by them."""
    async with inbox.read() as session:
        conn = await session.connection()
        ids = list((await conn.execute(
            sa.select(webhook_event.c.id).where(webhook_event.c.user_key == user_id))).scalars())
        others = (await conn.execute(
            sa.select(webhook_event.c.id, webhook_event.c.payload).where(webhook_event.c.user_key != user_id))).all()
        ids += [row.id for row in others if user_id in row.payload]
    if apply and ids:
        async with inbox.write() as session:
            conn = await session.connection()
            for start in range(0, len(ids), 500):
                await conn.execute(sa.delete(webhook_event).where(webhook_event.c.id.in_(ids[start:start + 500])))
    return len(ids)
