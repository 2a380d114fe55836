"""The content versions every process polls (one cheap primary-key read every ~2 s)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.content.models import ContentVersion


async def bump(session: AsyncSession, name: str, now: datetime) -> int:
    """One more version of ``name``: every process re-indexes it within seconds."""
    row = await session.get(ContentVersion, name, with_for_update=True)
    if row is None:
        row = ContentVersion(name=name, version=1, updated_at=now)
    else:
        row.version += 1
        row.updated_at = now
    session.add(row)
    await session.flush()
    return row.version


async def current(session: AsyncSession) -> dict[str, int]:
    rows = (await session.exec(select(ContentVersion))).all()
    return {r.name: r.version for r in rows}
