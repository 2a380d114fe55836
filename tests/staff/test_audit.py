"""The operation log on both backends: secrets masked, encrypted at rest, search, retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from civic.clock import FrozenClock
from civic.database import Database
from civic.staff import audit
from civic.staff.models import OperationLog
from civic.staff.tasks import purge_operation_log

NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
ALICE = audit.SimpleActor(3, "alice")


async def test_entries_keep_who_what_when_where_with_secrets_masked(db: Database) -> None:
    auditor = audit.Auditor(db, FrozenClock(NOW))
    async with db.write() as s:
        await auditor.record(s, ALICE, "facilities.update", "facility:12",
                             before={"name": "体育館", "fee": 500},
                             after={"name": "総合体育館", "fee": 600, "channel_secret": "abc", "nested": {"token": "t"}},
                             remote="203.0.113.5")
    async with db.read() as s:
        entry = (await s.exec(select(OperationLog))).one()
    assert (entry.at, entry.staff_id, entry.staff_login, entry.action) == (NOW, 3, "alice", "facilities.update")
    assert (entry.target_type, entry.target_id, entry.remote) == ("facility", "12", "203.0.113.5")
    assert '"fee": 500' in entry.before and '"name": "総合体育館"' in entry.after
    assert '"channel_secret": "***"' in entry.after and '"token": "***"' in entry.after and "abc" not in entry.after
    async with db.engine.connect() as conn:
        raw = (await conn.execute(sa.text("SELECT after FROM operation_log"))).scalar_one()
    assert "体育館" not in raw


async def test_a_failed_change_leaves_no_entry(db: Database) -> None:
    auditor = audit.Auditor(db, FrozenClock(NOW))
    with pytest.raises(RuntimeError):
        async with db.write() as s:
            await auditor.record(s, ALICE, "x.update", "x:1")
            raise RuntimeError("the change failed")
    async with db.read() as s:
        assert (await s.exec(select(OperationLog))).all() == []


async def test_search_filters_and_pages(db: Database) -> None:
    clock = FrozenClock(NOW)
    auditor = audit.Auditor(db, clock)
    bob = audit.SimpleActor(4, "bob")
    async with db.write() as s:
        for i in range(6):
            clock.advance(timedelta(minutes=1))
            await auditor.record(s, ALICE if i % 2 else bob, f"richmenus.{'publish' if i < 3 else 'update'}",
                                 f"richmenu:{i}")
        await auditor.record(s, ALICE, "richmenusx.other", "x")  # a prefix search must not catch this
    async with db.read() as s:
        total, rows = await audit.search(s, audit.LogQuery(action="richmenus."), limit=2)
        assert total == 6 and [r.target_id for r in rows] == ["5", "4"]  # newest first
        total, rows = await audit.search(s, audit.LogQuery(staff_login="alice", action="richmenus.publish"))
        assert total == 1 and rows[0].target_id == "1"
        total, _ = await audit.search(s, audit.LogQuery(since=NOW + timedelta(minutes=3),
                                                        until=NOW + timedelta(minutes=5)))
        assert total == 2
    everything = [e.target_id async for e in audit.iterate(db, audit.LogQuery(), batch=2)]
    assert everything == ["0", "1", "2", "3", "4", "5", None]


async def test_retention_keeps_at_least_24_months(db: Database) -> None:
    clock = FrozenClock(NOW)
    async with db.write() as s:
        for months in (37, 35, 25, 1):
            await audit.record(s, ALICE, "x.update", f"x:{months}", at=NOW - timedelta(days=31 * months))
    with pytest.raises(ValueError, match="24か月以上"):
        await purge_operation_log(db, clock, keep_months=12)
    assert await purge_operation_log(db, clock, keep_months=36) == 1
    assert await purge_operation_log(db, clock, keep_months=24) == 2
    async with db.read() as s:
        left = (await s.exec(select(OperationLog.target_id))).all()
    assert left == ["1"]
