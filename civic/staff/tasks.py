"""Housekeeping: drop ended sessions and stale sign-in counters; drop operation-log entries past the retention period."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col

from civic.clock import TOKYO, Clock
from civic.database import Database
from civic.staff import throttle
from civic.staff.audit import MIN_RETENTION_MONTHS
from civic.staff.models import OperationLog, StaffSession


def months_before(at: datetime, months: int) -> datetime:
    local = at.astimezone(TOKYO)
    year, month = divmod(local.year * 12 + local.month - 1 - months, 12)
    return local.replace(year=year, month=month + 1, day=1, hour=0, minute=0, second=0, microsecond=0)


async def purge_sessions(db: Database, clock: Clock, *, keep: timedelta = timedelta(days=30)) -> int:
    """Sessions that ended more than ``keep`` ago (the operation log keeps the logins themselves)."""
    cutoff = clock.now() - keep
    async with db.write() as s:
        result = await s.exec(sa.delete(StaffSession).where(col(StaffSession.expires_at) < cutoff))
    return result.rowcount or 0


async def purge_login_throttle(db: Database, clock: Clock, *, keep: timedelta = timedelta(days=1)) -> int:
    """Sign-in counters untouched for ``keep`` (failures counted by id and address; the log keeps each one)."""
    async with db.write() as s:
        return await throttle.purge(s, clock.now() - keep)


async def purge_operation_log(db: Database, clock: Clock, *, keep_months: int = 36) -> int:
    """Entries older than ``keep_months`` whole months; refuses anything under 24 months."""
    if keep_months < MIN_RETENTION_MONTHS:
        raise ValueError(f"操作ログは{MIN_RETENTION_MONTHS}か月以上保存する必要があります（指定: {keep_months}か月）。")
    cutoff = months_before(clock.now(), keep_months)
    async with db.write() as s:
        result = await s.exec(sa.delete(OperationLog).where(col(OperationLog.at) < cutoff))
    return result.rowcount or 0
