"""Frames of a day and the month's marks (○ 空き / △ 残りわずか / × 満 / — 休館)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from civic.booking.services import BookingService
from civic.booking.types import Reserved
from civic.clock import TOKYO
from civic.database import Database
from tests.booking.town import SATURDAY, build_town, citizen


@pytest.fixture
async def town(db: Database):
    return await build_town(db)


@pytest.fixture
def svc(town) -> BookingService:
    return BookingService(town.db, town.clock)


async def test_day_frames_follow_shared_areas(svc, town) -> None:
    assert isinstance(await svc.reserve(town.request("gym.half-a"), citizen()), Reserved)
    whole = await svc.available_frames(town.unit("gym.whole"), SATURDAY)
    assert [(s.label, s.status) for s in whole] == [("午前", "taken"), ("午後", "free"), ("夜間", "free")]
    other_half = await svc.available_frames(town.unit("gym.half-b"), SATURDAY)
    assert [s.status for s in other_half] == ["free", "free", "free"]


async def test_free_mode_day_is_a_grid_of_cells(svc, town) -> None:
    await svc.reserve(town.request("tennis.c1", time="10:00-12:00", people=4), citizen())
    cells = await svc.available_frames(town.unit("tennis.c1"), SATURDAY)
    assert len(cells) == 13 and cells[0].start_minute == 8 * 60
    assert [c.status for c in cells[:5]] == ["free", "free", "taken", "taken", "free"]


async def test_month_marks(svc, town) -> None:
    unit = town.unit("gym.half-a")
    await svc.reserve(town.request("gym.half-a"), citizen("U1"))
    await svc.reserve(town.request("gym.half-a", time="13:00-17:00"), citizen("U1"))
    marks = {m.day: m for m in await svc.month(unit, 2026, 12)}
    assert marks[SATURDAY].mark == "△" and marks[SATURDAY].free == 1 and marks[SATURDAY].total == 3
    assert marks[date(2026, 12, 12)].mark == "○"
    assert marks[date(2026, 12, 7)].mark == "—" and marks[date(2026, 12, 7)].note == "定休日"
    assert marks[date(2026, 12, 6)].mark == "—" and "町民大会" in marks[date(2026, 12, 6)].note
    assert marks[date(2026, 12, 31)].mark == "—"
    await svc.reserve(town.request("gym.whole", time="18:00-21:00"), citizen("U2"))
    marks = {m.day: m for m in await svc.month(unit, 2026, 12)}
    assert marks[SATURDAY].mark == "×" and marks[SATURDAY].state == "full"
    november = {m.day: m for m in await svc.month(unit, 2026, 11)}
    assert november[date(2026, 11, 19)].state == "past" and november[date(2026, 11, 19)].mark == ""


async def test_marks_say_when_online_booking_is_not_open_yet(svc, town) -> None:
    marks = {m.day: m for m in await svc.month(town.unit("gym.half-a"), 2027, 1)}
    assert marks[date(2027, 1, 16)].bookable_online
    late = marks[date(2027, 1, 23)]
    assert late.mark == "○" and not late.bookable_online and late.note == "受付前"


async def test_today_with_every_frame_over_is_past(svc, town) -> None:
    town.clock.set(datetime(2026, 12, 5, 21, 30, tzinfo=TOKYO))
    marks = {m.day: m for m in await svc.month(town.unit("gym.half-a"), 2026, 12)}
    assert marks[SATURDAY].state == "past"


async def test_find_units_by_words(svc) -> None:
    assert [u.unit_name for u in await svc.find_units("たいいくかん 半面")] == ["半面A", "半面B"]
    assert [u.unit_name for u in await svc.find_units("ﾃﾆｽ")] == ["1番コート", "2番コート"]
    assert [u.unit_name for u in await svc.find_units("会議")] == ["会議室"]  # the private room stays hidden
    assert await svc.find_units("プール") == []
