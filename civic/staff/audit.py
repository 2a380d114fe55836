"""The operation log: every change staff make, written in the same transaction as the change.

Other features record through ``Auditor.record`` (or ``Call.audit`` in the admin API)::

    async with db.write() as s:
        before = facility_view(row)
        ...change row...
        await auditor.record(s, principal, "facilities.update", f"facility:{row.id}",
                             before=before, after=facility_view(row), remote=call.remote)

Secrets (passwords, tokens, channel secrets) never reach the log: keys that look like one are masked.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.clock import Clock
from civic.database import Database
from civic.rows import pk
from civic.staff.models import OperationLog

#: Kept at least this long (国富町 表3 項番26: 最低でも 24 か月間).
MIN_RETENTION_MONTHS = 24
_SECRET_WORDS = ("password", "secret", "token", "hash", "credential")


class Actor(Protocol):
    """Anything with a staff id and login: ``admin_api.auth.Principal`` is one."""

    @property
    def staff_id(self) -> int | None: ...

    @property
    def login(self) -> str: ...


@dataclass(frozen=True)
class SimpleActor:
    staff_id: int | None
    login: str


SYSTEM_CLI = SimpleActor(None, "(cli)")
SYSTEM = SimpleActor(None, "(system)")


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("***" if any(w in str(k).lower() for w in _SECRET_WORDS) else _redact(v))
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    return value


def snapshot(value: Any) -> str | None:
    """A JSON text of a dict / pydantic model / SQLModel row, secrets masked."""
    if value is None:
        return None
    if isinstance(value, BaseModel):  # SQLModel rows are pydantic models too
        value = value.model_dump(mode="json") if not isinstance(value, SQLModel) else value.model_dump()
    return json.dumps(_redact(value), ensure_ascii=False, sort_keys=True, default=str)


def split_target(target: str) -> tuple[str, str | None]:
    kind, sep, ident = target.partition(":")
    return kind[:40], (ident[:80] if sep else None)


async def record(session: AsyncSession, actor: Actor | None, action: str, target: str,
                 before: Any = None, after: Any = None, remote: str | None = None, *,
                 at: datetime) -> OperationLog:
    """Add one entry to ``session`` (committed with the change). ``target`` is ``"kind:id"`` or ``"kind"``."""
    target_type, target_id = split_target(target)
    entry = OperationLog(
        at=at, staff_id=getattr(actor, "staff_id", None), staff_login=(actor.login if actor else "(anonymous)"),
        action=action[:80], target_type=target_type, target_id=target_id,
        before=snapshot(before), after=snapshot(after), remote=(remote or None) and remote[:64],
    )
    session.add(entry)
    await session.flush()
    return entry


class Auditor:
    """``record`` with the time taken from the service's clock."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock

    async def record(self, session: AsyncSession, actor: Actor | None, action: str, target: str,
                     before: Any = None, after: Any = None, remote: str | None = None) -> OperationLog:
        return await record(session, actor, action, target, before, after, remote, at=self.clock.now())

    async def record_alone(self, actor: Actor | None, action: str, target: str, before: Any = None,
                           after: Any = None, remote: str | None = None) -> None:
        """In a transaction of its own (a failed login, where there is no change to join)."""
        async with self.db.write() as session:
            await self.record(session, actor, action, target, before, after, remote)


@dataclass
class LogQuery:
    since: datetime | None = None
    until: datetime | None = None
    staff_login: str | None = None
    action: str | None = None  # prefix: "richmenus." finds every rich-menu action
    target_type: str | None = None
    target_id: str | None = None


def _where(query: LogQuery) -> list[Any]:
    clauses: list[Any] = []
    if query.since:
        clauses.append(OperationLog.at >= query.since)
    if query.until:
        clauses.append(OperationLog.at < query.until)
    if query.staff_login:
        clauses.append(OperationLog.staff_login == query.staff_login)
    if query.action:
        clauses.append(col(OperationLog.action).startswith(query.action, autoescape=True))
    if query.target_type:
        clauses.append(OperationLog.target_type == query.target_type)
    if query.target_id:
        clauses.append(OperationLog.target_id == query.target_id)
    return clauses


async def search(session: AsyncSession, query: LogQuery, *, limit: int = 50,
                 offset: int = 0) -> tuple[int, Sequence[OperationLog]]:
    where = _where(query)
    total = (await session.exec(select(sa.func.count()).select_from(OperationLog).where(*where))).one()
    rows = (await session.exec(
        select(OperationLog).where(*where).order_by(col(OperationLog.at).desc(), col(OperationLog.id).desc())
        .limit(limit).offset(offset)
    )).all()
    return total, rows


async def iterate(db: Database, query: LogQuery, *, batch: int = 500) -> AsyncIterator[OperationLog]:
    """Every matching entry, oldest first, in batches (exports of any size in bounded memory)."""
    last_id = 0
    while True:
        async with db.read() as session:
            rows = (await session.exec(
                select(OperationLog).where(*_where(query), col(OperationLog.id) > last_id)
                .order_by(col(OperationLog.id)).limit(batch)
            )).all()
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        last_id = pk(rows[-1])
