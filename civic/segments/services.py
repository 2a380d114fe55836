"""Saving segments, counting and sampling them, and listing their members.

``SegmentMembers`` implements the rich-menu ``SegmentResolver`` (per-segment menus): a segment id
is the ``segment`` row id as text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.attributes import services as attributes
from civic.attributes.blind import blind_index_of
from civic.citizens.models import Citizen
from civic.clock import TOKYO, Clock
from civic.database import Database
from civic.segments import compiler, filters
from civic.segments.compiler import CITIZEN, PRODUCTION, Context
from civic.segments.errors import SegmentProblem
from civic.segments.filters import Filter
from civic.segments.models import Segment


def today_in_tokyo(now: datetime) -> date:
    return now.astimezone(TOKYO).date()


def parse_filter(data: Any) -> Filter:
    try:
        return filters.parse(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        ctx = first.get("ctx") or {}
        message = str(ctx["error"]) if "error" in ctx else first.get("msg", "")
        raise SegmentProblem("invalid", "invalid_filter", f"条件の形が正しくありません（{where}: {message}）。",
                             f"filter.{where}" if where else "filter") from None


async def context(s: AsyncSession, today: date) -> Context:
    return Context(await attributes.definitions_by_key(s), blind_index_of(s), today)


async def checked(s: AsyncSession, data: Any) -> Filter:
    node = data if not isinstance(data, dict) else parse_filter(data)
    filters.check(node, await attributes.definitions_by_key(s))
    return node


async def _run(s: AsyncSession, query: sa.Select) -> sa.Result[Any]:
    """A Core select built by the compiler (SQLModel's exec() is typed for its own select() only)."""
    return await s.exec(query)  # type: ignore[call-overload]


async def count(s: AsyncSession, node: Filter, today: date, *, audience: str = PRODUCTION) -> int:
    ctx = await context(s, today)
    return int((await _run(s, compiler.count_query(node, ctx, audience))).one()[0])


async def member_ids(s: AsyncSession, node: Filter, today: date, *, audience: str = PRODUCTION,
                     limit: int | None = None) -> list[int]:
    ctx = await context(s, today)
    query = compiler.member_query(node, ctx, audience).order_by(CITIZEN.c.id)
    if limit is not None:
        query = query.limit(limit)
    return [int(r[0]) for r in (await _run(s, query)).all()]


async def member_user_ids(s: AsyncSession, node: Filter, today: date, *,
                          audience: str = PRODUCTION) -> list[str]:
    """LINE userIds of the members, in citizen order (stable, so batches can be cut the same way)."""
    ctx = await context(s, today)
    query = (sa.select(CITIZEN.c.channel_user_id).where(compiler.population(audience),
                                                        compiler.condition(node, ctx)).order_by(CITIZEN.c.id))
    return [r[0] for r in (await _run(s, query)).all()]


async def is_member(s: AsyncSession, node: Filter, today: date, citizen_id: int, *,
                    audience: str | None = None) -> bool:
    """Whether one citizen matches (any audience unless given: forms for some citizens only)."""
    ctx = await context(s, today)
    query = sa.select(CITIZEN.c.id).where(CITIZEN.c.id == citizen_id, compiler.condition(node, ctx))
    if audience is not None:
        query = query.where(compiler.population(audience))
    return (await _run(s, query)).first() is not None


async def sample(s: AsyncSession, node: Filter, today: date, *, limit: int = 10,
                 audience: str = PRODUCTION) -> list[Citizen]:
    return await _sample(s, node, await context(s, today), limit, audience)


async def _sample(s: AsyncSession, node: Filter, ctx: Context, limit: int, audience: str) -> list[Citizen]:
    if limit <= 0:
        return []
    members = compiler.member_query(node, ctx, audience).order_by(CITIZEN.c.id).limit(limit).subquery()
    query = select(Citizen).where(col(Citizen.id).in_(sa.select(members.c.id))).order_by(col(Citizen.id))
    return list((await s.exec(query)).all())


@dataclass(frozen=True)
class Preview:
    """What the console shows before saving: friends, test accounts and a few examples."""

    count: int
    test_accounts: int
    sample: list[Citizen]


async def preview(s: AsyncSession, node: Filter, today: date, *, limit: int = 10) -> Preview:
    """Both audiences counted in one grouped pass (one filter evaluation), then the sample."""
    ctx = await context(s, today)
    grouped = (sa.select(CITIZEN.c.is_test_account, sa.func.count())
               .where(CITIZEN.c.is_friend == sa.true(), compiler.condition(node, ctx))
               .group_by(CITIZEN.c.is_test_account))
    rows: list[Any] = list((await _run(s, grouped)).all())
    counts = {bool(test): int(n) for test, n in rows}
    return Preview(counts.get(False, 0), counts.get(True, 0), await _sample(s, node, ctx, limit, PRODUCTION))


# ---- saved segments ------------------------------------------------------------------------

async def list_segments(s: AsyncSession) -> list[Segment]:
    return list((await s.exec(select(Segment).order_by(col(Segment.id)))).all())


async def get_segment(s: AsyncSession, segment_id: int) -> Segment:
    row = await s.get(Segment, segment_id)
    if row is None:
        raise SegmentProblem("not_found", "not_found", f"セグメント（ID {segment_id}）は見つかりません。",
                             "segment_id")
    return row


async def segment_filter(s: AsyncSession, segment_id: int) -> Filter:
    return filters.parse(json.loads((await get_segment(s, segment_id)).filter))


async def _name_free(s: AsyncSession, name: str, except_id: int | None = None) -> None:
    query = select(Segment.id).where(Segment.name == name)
    if except_id is not None:
        query = query.where(Segment.id != except_id)
    if (await _run(s, query)).first() is not None:
        raise SegmentProblem("conflict", "duplicate_name", f"「{name}」という名前のセグメントはすでにあります。", "name")


async def create_segment(s: AsyncSession, now: datetime, *, name: str, filter_data: Any, description: str = "",
                         by: str = "") -> Segment:
    node = await checked(s, filter_data)
    await _name_free(s, name)
    row = Segment(name=name, description=description, filter=json.dumps(filters.dump(node), ensure_ascii=False),
                  created_by=by[:64], created_at=now, updated_at=now)
    s.add(row)
    await s.flush()
    return row


async def update_segment(s: AsyncSession, now: datetime, segment_id: int, *, name: str | None = None,
                         description: str | None = None, filter_data: Any = None) -> Segment:
    row = await get_segment(s, segment_id)
    if name is not None and name != row.name:
        await _name_free(s, name, segment_id)
        row.name = name
    if description is not None:
        row.description = description
    if filter_data is not None:
        row.filter = json.dumps(filters.dump(await checked(s, filter_data)), ensure_ascii=False)
    row.updated_at = now
    s.add(row)
    await s.flush()
    return row


async def delete_segment(s: AsyncSession, segment_id: int) -> None:
    await s.delete(await get_segment(s, segment_id))
    await s.flush()


class SegmentMembers:
    """The rich-menu ``SegmentResolver``: friends in a saved segment now (``audience`` per account)."""

    def __init__(self, db: Database, clock: Clock, *, audience: str = PRODUCTION) -> None:
        self.db, self.clock, self.audience = db, clock, audience

    async def members(self, segment_id: str) -> list[str]:
        try:
            ident = int(segment_id)
        except ValueError:
            return []
        async with self.db.read() as s:
            row = await s.get(Segment, ident)
            if row is None:
                return []
            node = filters.parse(json.loads(row.filter))
            return await member_user_ids(s, node, today_in_tokyo(self.clock.now()), audience=self.audience)
