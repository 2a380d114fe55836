"""Layout definitions staff added or imported (§(4) b イ), kept in ``counter_layout``; they take the
place of a shipped definition with the same key."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.counter.models import CounterLayout
from civic.counter.ocr.layouts import Layout, parse_layout


async def stored_layouts(session: AsyncSession) -> dict[str, Layout]:
    rows = (await session.exec(select(CounterLayout))).all()
    return {row.key: parse_layout(json.loads(row.definition)) for row in rows}


async def save_layout(session: AsyncSession, layout: Layout, *, now: datetime) -> dict[str, Any] | None:
    """Adds or replaces; returns the previous definition's summary (None when new)."""
    row = await session.get(CounterLayout, layout.key)
    before = None
    if row is None:
        row = CounterLayout(key=layout.key, definition="", updated_at=now)
    else:
        old = parse_layout(json.loads(row.definition))
        before = {"name": old.name, "kind": old.kind, "fields": len(old.fields)}
    row.definition, row.updated_at = json.dumps(layout.as_json(), ensure_ascii=False), now
    session.add(row)
    await session.flush()
    return before


async def delete_layout(session: AsyncSession, key: str) -> dict[str, Any] | None:
    """Removes a stored definition; returns its summary (None when no such row). A shipped file with the
    same key is used again afterwards (the row only took its place)."""
    row = await session.get(CounterLayout, key)
    if row is None:
        return None
    old = parse_layout(json.loads(row.definition))
    await session.delete(row)
    await session.flush()
    return {"name": old.name, "kind": old.kind, "fields": len(old.fields)}
