"""Reading and setting the maintenance notice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.clock import TOKYO
from civic.maintenance.models import MaintenanceNotice

ROW = 1


@dataclass(frozen=True)
class Notice:
    starts_at: datetime
    ends_at: datetime
    message: str

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def announced(self, now: datetime) -> bool:
        """Shown to citizens: from when it is scheduled until the window ends."""
        return now < self.ends_at

    def text(self) -> str:
        """What the bot answers during the window."""
        ends = self.ends_at.astimezone(TOKYO)
        return (f"ただいまシステムのメンテナンス中です（{ends.month}月{ends.day}日 {ends:%H:%M} まで）。\n"
                f"{self.message}\nご不便をおかけしますが、終了後にもう一度お送りください。")


async def current(session: AsyncSession) -> Notice | None:
    row = await session.get(MaintenanceNotice, ROW)
    if row is None:
        return None
    return Notice(row.starts_at, row.ends_at, row.message)


async def schedule(session: AsyncSession, notice: Notice, *, by: str, now: datetime) -> None:
    row = await session.get(MaintenanceNotice, ROW)
    if row is None:
        row = MaintenanceNotice(id=ROW, starts_at=notice.starts_at, ends_at=notice.ends_at, message=notice.message,
                                updated_at=now, updated_by=by)
    row.starts_at, row.ends_at, row.message, row.updated_at, row.updated_by = (
        notice.starts_at, notice.ends_at, notice.message, now, by)
    session.add(row)
    await session.flush()


async def cancel(session: AsyncSession) -> bool:
    found = (await session.exec(select(MaintenanceNotice.id))).first() is not None
    await session.exec(delete(MaintenanceNotice))
    return found
