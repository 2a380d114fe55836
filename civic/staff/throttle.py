"""Sign-in throttling: per login id (account or not) and per client address.

An account counts its own failures (``StaffAccount.failed_logins`` / ``locked_until``, which staff
can see and unlock); a login id without an active account counts them on a ``LoginThrottle`` row
with the same rule, so an attacker gets the same answers whether the id exists or not. A client
address that fails too often in a window is refused for a while, whatever id it tries.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.rows import table_of
from civic.staff.models import LoginThrottle


class Counted(Protocol):
    failed_logins: int
    locked_until: datetime | None


def login_key(login: str) -> str:
    return "login:" + hashlib.sha256(login.encode("utf-8")).hexdigest()[:64]


def address_key(remote: str) -> str:
    return "address:" + remote[:64]


async def row_for(session: AsyncSession, key: str, now: datetime) -> LoginThrottle:
    """The throttle row of ``key``, created if missing and locked for this transaction (concurrent
    sign-ins on PostgreSQL count one after the other)."""
    is_sqlite = (await session.connection()).dialect.name == "sqlite"
    insert = sqlite.insert if is_sqlite else postgresql.insert
    await session.exec(insert(table_of(LoginThrottle)).values(
        key=key, failed_logins=0, window_started_at=now, updated_at=now).on_conflict_do_nothing())
    row = (await session.exec(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update())).one()
    return row


def locked(record: Counted, now: datetime) -> bool:
    return record.locked_until is not None and record.locked_until > now


def count_failure(record: Counted, now: datetime, *, limit: int, lockout: timedelta) -> int:
    """One more consecutive failure; at ``limit`` the record locks for ``lockout`` and the count restarts.
    Returns how many failures are left before the lock (0 when it just locked)."""
    record.failed_logins += 1
    if record.failed_logins >= limit:
        record.locked_until = now + lockout
        record.failed_logins = 0
        return 0
    return limit - record.failed_logins


def count_in_window(row: LoginThrottle, now: datetime, *, limit: int, window: timedelta, lockout: timedelta) -> bool:
    """One more failure from an address in its window; True when the address is now refused."""
    if row.window_started_at + window <= now:
        row.window_started_at, row.failed_logins = now, 0
    row.failed_logins += 1
    row.updated_at = now
    if row.failed_logins >= limit:
        row.locked_until = now + lockout
        row.failed_logins, row.window_started_at = 0, now
        return True
    return False


async def purge(session: AsyncSession, older_than: datetime) -> int:
    """Rows untouched since ``older_than`` and not locked any more."""
    result = await session.exec(sa.delete(LoginThrottle).where(
        col(LoginThrottle.updated_at) < older_than,
        sa.or_(col(LoginThrottle.locked_until).is_(None), col(LoginThrottle.locked_until) < older_than)))
    return result.rowcount or 0
