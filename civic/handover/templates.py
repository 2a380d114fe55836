"""Reply templates for hand-overs (定型文): staff pick one instead of typing the same answer again.
Nothing here commits (the view's transaction does)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.handover.models import HandoverTemplate
from civic.handover.services import HandoverError


async def listing(session: AsyncSession) -> list[HandoverTemplate]:
    return list((await session.exec(select(HandoverTemplate).order_by(col(HandoverTemplate.title),
                                                                      col(HandoverTemplate.id)))).all())


async def get(session: AsyncSession, template_id: int) -> HandoverTemplate:
    row = await session.get(HandoverTemplate, template_id)
    if row is None:
        raise HandoverError(404, "not_found", f"定型文 {template_id} はありません。")
    return row


async def save(session: AsyncSession, template_id: int | None, *, title: str, text: str,
               now: datetime) -> HandoverTemplate:
    """A new template (``template_id`` None) or an edit of one."""
    row = HandoverTemplate(title=title, text=text, updated_at=now) if template_id is None \
        else await get(session, template_id)
    row.title, row.text, row.updated_at = title, text, now
    session.add(row)
    await session.flush()
    return row


async def delete(session: AsyncSession, template_id: int) -> HandoverTemplate:
    row = await get(session, template_id)
    await session.delete(row)
    await session.flush()
    return row
