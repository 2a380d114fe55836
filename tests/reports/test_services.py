"""Reports in the database (SQLite and PostgreSQL): submit, duplicates, status changes, notifications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from civic.notify import Notice
from civic.reports.models import DONE, DUPLICATE, IN_PROGRESS, RECEIVED, REJECTED, Report, ReportPhoto
from civic.reports.photos import sanitize
from civic.reports.services import (
    ReportError,
    Staff,
    change_status,
    distance_m,
    history,
    possible_duplicates,
    purge_draft_photos,
    store_draft_photo,
    submit_report,
)
from tests.dialogues.conftest import photo

NOW = datetime(2025, 6, 9, 1, 0, tzinfo=UTC)
BASE = (35.6790, 139.7630)
STAFF = Staff(7, "建設課 佐藤")


class Notes:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    async def notify(self, session, notice: Notice) -> None:
        self.sent.append((notice.channel, notice.channel_user_id, notice.text))


def _offset(metres_north: float, metres_east: float = 0.0) -> tuple[float, float]:
    import math

    return (BASE[0] + metres_north / 111_320.0,
            BASE[1] + metres_east / (111_320.0 * math.cos(math.radians(BASE[0]))))


async def _submit(db, category: str = "road_surface", at: tuple[float, float] = BASE, **kw) -> Report:
    async with db.write() as s:
        return await submit_report(s, category=category, description=kw.pop("description", "穴"), latitude=at[0],
                                   longitude=at[1], reporter=kw.pop("reporter", "U1"), now=kw.pop("now", NOW), **kw)


async def test_receipt_numbers_and_photo_link(db) -> None:
    async with db.write() as s:
        draft = await store_draft_photo(s, "U1", sanitize(photo()), NOW)
    first = await _submit(db, photo_id=draft.id)
    second = await _submit(db)
    assert (first.receipt_no, second.receipt_no) == ("2025-00001", "2025-00002")
    async with db.read() as s:
        stored = await s.get(ReportPhoto, draft.id)
        assert stored.report_id == first.id
        assert (await s.get(Report, first.id)).has_photo and not (await s.get(Report, second.id)).has_photo


async def test_someone_elses_draft_photo_is_not_attached(db) -> None:
    async with db.write() as s:
        draft = await store_draft_photo(s, "U-other", sanitize(photo()), NOW)
    report = await _submit(db, photo_id=draft.id, reporter="U1")
    assert not report.has_photo


async def test_possible_duplicates_are_open_reports_of_the_category_within_30_m(db) -> None:
    near = await _submit(db, at=_offset(20))             # 20 m north
    edge = await _submit(db, at=_offset(0, 29))          # 29 m east
    await _submit(db, at=_offset(45))                    # too far
    await _submit(db, category="street_light", at=_offset(5))  # another category
    closed = await _submit(db, at=_offset(10))
    async with db.write() as s:
        await change_status(s, closed.id, DONE, staff=STAFF, now=NOW)
    new = await _submit(db, at=BASE)
    async with db.read() as s:
        found = await possible_duplicates(s, await s.get(Report, new.id))
    assert [r.id for r in found] == [near.id, edge.id]
    assert distance_m(BASE, _offset(0, 29)) == pytest.approx(29, abs=0.2)


async def test_status_changes_follow_the_workflow_and_tell_the_reporter(db) -> None:
    report = await _submit(db, channel="test", reporter="U-reporter")
    notes = Notes()
    async with db.write() as s:
        await change_status(s, report.id, IN_PROGRESS, note="現地を確認します", staff=STAFF, now=NOW,
                            notifier=notes, town="みどり町")
    channel, to, text = notes.sent[0]
    assert (channel, to) == ("test", "U-reporter")
    assert "受付番号 2025-00001" in text and "「対応中」" in text and "現地を確認します" in text
    assert text.startswith("【みどり町】")
    async with db.write() as s:
        with pytest.raises(ReportError) as bad:
            await change_status(s, report.id, RECEIVED, staff=STAFF, now=NOW)
    assert bad.value.field == "status" and "「対応中」から「受付」" in bad.value.message
    async with db.write() as s:
        await change_status(s, report.id, DONE, note="補修しました", staff=STAFF, now=NOW + timedelta(days=2),
                            notifier=notes)
    async with db.read() as s:
        steps = await history(s, report.id)
        assert [(h.from_status, h.to_status, h.notified) for h in steps] == [
            (None, RECEIVED, False), (RECEIVED, IN_PROGRESS, True), (IN_PROGRESS, DONE, True)]
        assert steps[1].staff_name == "建設課 佐藤" and steps[2].note == "補修しました"
        assert (await s.get(Report, report.id)).status == DONE


async def test_duplicate_needs_the_original_and_rejected_can_be_reopened(db) -> None:
    original = await _submit(db)
    copy = await _submit(db)
    async with db.write() as s:
        with pytest.raises(ReportError) as missing:
            await change_status(s, copy.id, DUPLICATE, staff=STAFF, now=NOW)
    assert missing.value.field == "duplicate_of"
    async with db.write() as s:
        await change_status(s, copy.id, DUPLICATE, staff=STAFF, now=NOW, duplicate_of=original.id)
        await change_status(s, original.id, REJECTED, note="町の管理外の道路です", staff=STAFF, now=NOW)
    async with db.write() as s:
        await change_status(s, original.id, IN_PROGRESS, staff=STAFF, now=NOW)
    async with db.read() as s:
        assert (await s.get(Report, copy.id)).duplicate_of == original.id
        assert (await s.get(Report, original.id)).status == IN_PROGRESS
    async with db.write() as s:
        with pytest.raises(ReportError) as unknown:
            await change_status(s, 9999, DONE, staff=STAFF, now=NOW)
    assert unknown.value.code == "not_found"


async def test_abandoned_drafts_are_purged(db) -> None:
    async with db.write() as s:
        old = await store_draft_photo(s, "U1", sanitize(photo()), NOW - timedelta(days=2))
        fresh = await store_draft_photo(s, "U1", sanitize(photo()), NOW)
        used = await store_draft_photo(s, "U1", sanitize(photo()), NOW - timedelta(days=3))
    await _submit(db, photo_id=used.id)
    async with db.write() as s:
        assert await purge_draft_photos(s, NOW - timedelta(days=1)) == 1
    async with db.read() as s:
        left = {p.id for p in (await s.exec(select(ReportPhoto))).all()}
    assert left == {fresh.id, used.id} and old.id not in left
