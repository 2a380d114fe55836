"""The demo town's reports: seeded once, in several states, with what the console shows of a real inbox."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from civic.clock import FrozenClock
from civic.database import Database
from civic.reports.demo import REPORTS, seed_demo_reports
from civic.reports.models import DONE, DUPLICATE, RECEIVED, Report, ReportPhoto, ReportStatusChange
from civic.reports.services import possible_duplicates

NOW = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)


async def test_the_demo_inbox_is_seeded_once_with_history_photos_and_a_duplicate(db: Database) -> None:
    clock = FrozenClock(NOW)
    assert await seed_demo_reports(db, clock) == len(REPORTS)
    assert await seed_demo_reports(db, clock) == 0  # a restarted demo adds nothing
    async with db.read() as s:
        reports = list((await s.exec(select(Report).order_by(Report.id))).all())
        history = list((await s.exec(select(ReportStatusChange))).all())
        photos = list((await s.exec(select(ReportPhoto))).all())
        near_first = await possible_duplicates(s, reports[-1])
    statuses = [r.status for r in reports]
    assert {RECEIVED, DONE, DUPLICATE} <= set(statuses) and len(reports) == len(REPORTS)
    assert all(r.receipt_no and r.created_at <= NOW and r.reporter is None for r in reports)
    duplicate = next(r for r in reports if r.status == DUPLICATE)
    assert duplicate.duplicate_of == reports[0].id
    assert {p.report_id for p in photos} == {r.id for r in reports if r.has_photo} and len(photos) == 2
    assert all(c.at <= NOW for c in history) and any(c.staff_name == "建設課 田中" for c in history)
    assert near_first == []  # the last one (役場前) has no open neighbour
