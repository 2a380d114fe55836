"""Counting rich-menu taps from the bot's postback events (国富町 §9(2)(ウ)⑦ リッチメニュー操作数).

The turn loop calls ``record_tap`` for every postback; a tap counts when its data is the data of
an area of a published menu (production first, then test). Tab switches count too, and
``is_switch_data`` lets the turn loop stay quiet for them instead of answering.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.stats.days import day_range
from civic.stats.services import tokyo_day
from richmenus.models import ACCOUNTS, RichMenuRelease, RichMenuTap
from richmenus.render import SWITCH_DATA_PREFIX


def is_switch_data(data: str) -> bool:
    return data.startswith(SWITCH_DATA_PREFIX)


@dataclass(frozen=True)
class AreaRef:
    menu_id: int
    area_index: int
    label: str | None


@functools.lru_cache(maxsize=8)
def _index(snapshot: str) -> dict[str, AreaRef]:
    snap = json.loads(snapshot)
    out: dict[str, AreaRef] = {}
    ordered = sorted(snap["menus"].items(), key=lambda kv: (int(kv[0]) != snap.get("default"), int(kv[0])))
    for menu_id, entry in ordered:
        for i, area in enumerate(entry["spec"]["areas"]):
            data = area["action"].get("data")
            if data and data not in out:
                out[data] = AreaRef(int(menu_id), i, area.get("label"))
    return out


async def record_tap(session: AsyncSession, channel_user_id: str, data: str, at: datetime) -> RichMenuTap | None:
    """Add the tap to ``session`` when ``data`` belongs to a published area; None otherwise."""
    for account in ACCOUNTS:
        snapshot = (await session.exec(
            select(RichMenuRelease.snapshot).where(RichMenuRelease.account == account,
                                                   RichMenuRelease.status == "applied")
            .order_by(col(RichMenuRelease.number).desc()).limit(1))).first()
        ref = _index(snapshot).get(data) if snapshot else None
        if ref is not None:
            tap = RichMenuTap(at=at, channel_user_id=channel_user_id[:64], data=data[:300], menu_id=ref.menu_id,
                              area_index=ref.area_index, label=(ref.label or "")[:40] or None)
            session.add(tap)
            return tap
    return None


@dataclass(frozen=True)
class TapCount:
    menu_id: int | None
    area_index: int | None
    label: str | None
    data: str
    taps: int
    users: int


async def tap_counts(session: AsyncSession, since: datetime | None, until: datetime | None) -> list[TapCount]:
    where = []
    if since:
        where.append(RichMenuTap.at >= since)
    if until:
        where.append(RichMenuTap.at < until)
    rows = (await session.exec(
        select(col(RichMenuTap.menu_id), col(RichMenuTap.area_index), col(RichMenuTap.label), col(RichMenuTap.data),  # type: ignore[call-overload]  # SQLModel's select() is typed for at most four columns
               sa.func.count(), sa.func.count(sa.distinct(col(RichMenuTap.channel_user_id))))
        .where(*where)
        .group_by(RichMenuTap.menu_id, RichMenuTap.area_index, RichMenuTap.label, RichMenuTap.data)
        .order_by(sa.func.count().desc(), RichMenuTap.data)
    )).all()
    return [TapCount(*row) for row in rows]


async def taps_per_day(session: AsyncSession, since: date, until: date) -> dict[date, int]:
    start, end = day_range(since, until)
    dialect = (await session.connection()).dialect.name
    bucket = tokyo_day(RichMenuTap.at, dialect).label("day")
    rows = (await session.exec(select(bucket, sa.func.count()).where(col(RichMenuTap.at) >= start, col(RichMenuTap.at) < end)
                               .group_by(bucket))).all()
    return {date.fromisoformat(str(d)): n for d, n in rows}
