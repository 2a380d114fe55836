"""The content versions every process polls (one cheap primary-key read every ~2 s)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.content.models import ContentVersion

#: PostgreSQL's ``NOTIFY`` channel: the processes listening re-index at once instead of at their next poll.
CHANNEL = "madoguchi_content"


async def bump(session: AsyncSession, name: str, now: datetime) -> int:
    """One more version of ``name``: every process re-indexes it within seconds (on PostgreSQL at once:
    a ``NOTIFY``, delivered when the transaction commits)."""
    row = await session.get(ContentVersion, name, with_for_update=True)
    if row is None:
        row = ContentVersion(name=name, version=1, updated_at=now)
    else:
        row.version += 1
        row.updated_at = now
    session.add(row)
    await session.flush()
    if (await session.connection()).dialect.name == "postgresql":
        await session.exec(select(sa.func.pg_notify(CHANNEL, name)))
    return row.version


async def current(session: AsyncSession) -> dict[str, int]:
    rows = (await session.exec(select(ContentVersion))).all()
    return {r.name: r.version for r in rows}
