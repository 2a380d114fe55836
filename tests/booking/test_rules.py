"""The rule chain: every citizen-facing rule refuses with a polite reason; staff bypass the citizen-only ones."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from civic.booking.reservations import reserve_in
from civic.booking.rules import booking_opens_at
from civic.booking.services import BookingService
from civic.booking.types import Refused, Reserved
from civic.clock import TOKYO
from civic.database import Database
from civic.facilities.models import Facility
from tests.booking.town import SATURDAY, build_town, citizen, staff_booker


@pytest.fixture
async def town(db: Database):
    return await build_town(db)


@pytest.fixture
def svc(town) -> BookingService:
    return BookingService(town.db, town.clock)


def codes(result) -> list[str]:
    assert isinstance(result, Refused), result
    return [v.code for v in result.violations]


def test_booking_window_opening() -> None:
    f = Facility(code="x", name="x", category="x", booking_opens_months=2, booking_opens_minute=540,
                 created_at=datetime.now(TOKYO), updated_at=datetime.now(TOKYO))
    assert booking_opens_at(f, date(2027, 1, 31)) == datetime(2026, 11, 30, 9, 0, tzinfo=TOKYO)  # clamped
    assert booking_opens_at(f, date(2027, 2, 14)) == datetime(2026, 12, 14, 9, 0, tzinfo=TOKYO)
    f.booking_opens_on_first = True
    assert booking_opens_at(f, date(2027, 2, 14)) == datetime(2026, 12, 1, 9, 0, tzinfo=TOKYO)


async def test_window_not_yet_open_and_closed(svc, town) -> None:
    far = await svc.reserve(town.request("gym.half-a", day=date(2027, 1, 23)), citizen())
    assert codes(far) == ["not_open_yet"] and "11月23日(月) 9:00から受け付けます" in far.message
    town.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=TOKYO))  # two months before 1/23, 9:00
    assert isinstance(await svc.reserve(town.request("gym.half-a", day=date(2027, 1, 23)), citizen()), Reserved)
    town.clock.set(datetime(2026, 12, 4, 10, 0, tzinfo=TOKYO))  # 23 hours before 12/5 9:00
    late = await svc.reserve(town.request("gym.half-b"), citizen())
    assert codes(late) == ["closed_online"]
    async with town.db.write() as s:  # the counter can still take it
        assert isinstance(await reserve_in(s, town.request("gym.half-b"), staff_booker(), town.clock.now(),
                                           source="counter"), Reserved)


async def test_past_and_unknown_frames(svc, town) -> None:
    assert codes(await svc.reserve(town.request("gym.half-a", day=date(2026, 11, 19)), citizen())) == ["past"]
    assert codes(await svc.reserve(town.request("gym.half-a", time="10:00-12:00"), citizen())) == ["no_such_frame"]
    # Holidays have no night frame.
    holiday = date(2027, 1, 11)  # 成人の日: a Monday, yet open (the closure moves to Tuesday)
    assert codes(await svc.reserve(town.request("gym.half-a", day=holiday, time="18:00-21:00"), citizen())) == [
        "no_such_frame"]


async def test_closed_days_blocked_periods_and_partial_closures(svc, town) -> None:
    monday = date(2026, 12, 7)
    assert codes(await svc.reserve(town.request("gym.half-a", day=monday), citizen())) == ["closed"]
    # 11/23 is a holiday Monday: open; the closure moves to Tuesday 11/24.
    town.clock.set(datetime(2026, 11, 1, 10, 0, tzinfo=TOKYO))
    assert isinstance(await svc.reserve(town.request("gym.half-a", day=date(2026, 11, 23)), citizen()), Reserved)
    assert codes(await svc.reserve(town.request("gym.half-a", day=date(2026, 11, 24)), citizen("U2"))) == ["closed"]
    town.clock.set(datetime(2026, 11, 20, 10, 0, tzinfo=TOKYO))
    blocked = await svc.reserve(town.request("gym.half-a", day=date(2026, 12, 6)), citizen())
    assert codes(blocked) == ["blocked"] and "一般のご利用ができません" in blocked.message
    morning = await svc.reserve(town.request("gym.half-a", day=date(2026, 12, 9)), citizen())
    assert codes(morning) == ["closed"]
    assert isinstance(await svc.reserve(town.request("gym.half-a", day=date(2026, 12, 9), time="13:00-17:00"),
                                        citizen()), Reserved)
    assert codes(await svc.reserve(town.request("gym.half-a", day=date(2026, 12, 30)), citizen())) == ["closed"]


async def test_free_intervals_step_hours_and_length(svc, town) -> None:
    ok = await svc.reserve(town.request("tennis.c1", time="18:00-20:00", people=4), citizen())
    assert isinstance(ok, Reserved) and ok.fee == 2 * 600
    assert codes(await svc.reserve(town.request("tennis.c2", time="9:30-10:30", people=4), citizen("U2"))) == [
        "bad_time"]
    assert codes(await svc.reserve(town.request("tennis.c2", time="7:00-8:00", people=4), citizen("U2"))) == [
        "outside_hours"]
    assert codes(await svc.reserve(town.request("tennis.c2", time="9:00-12:00", people=4), citizen("U2"))) == [
        "too_long"]


async def test_people_purpose_activity_terms_and_resident_type(svc, town) -> None:
    assert codes(await svc.reserve(town.request("gym.half-a", people=51), citizen())) == ["too_many_people"]
    assert codes(await svc.reserve(town.request("gym.half-a", people=0), citizen())) == ["too_few_people"]
    assert codes(await svc.reserve(town.request("gym.half-a", purpose="宴会"), citizen())) == ["purpose"]
    assert codes(await svc.reserve(town.request("gym.half-a", terms_accepted=False), citizen())) == ["terms"]
    assert codes(await svc.reserve(town.request("gym.half-a"), citizen(resident_type="alien"))) == ["resident_type"]
    member = citizen(attributes=frozenset({"registered_group"}))
    assert codes(await svc.reserve(town.request("gym.event", purpose="大会・行事"), member)) == ["activity"]
    all_wrong = await svc.reserve(town.request("gym.half-a", people=99, purpose="宴会", terms_accepted=False), citizen())
    assert codes(all_wrong) == ["too_many_people", "purpose", "terms"]  # every problem at once


async def test_who_may_book_and_visibility(svc, town) -> None:
    request = town.request("gym.event", purpose="大会・行事", activity="大会")
    assert codes(await svc.reserve(request, citizen())) == ["not_eligible"]
    assert isinstance(await svc.reserve(request, citizen(attributes=frozenset({"registered_group"}))), Reserved)
    assert codes(await svc.reserve(town.request("hall.room", purpose=""), citizen())) == ["counter_only"]
    assert codes(await svc.reserve(town.request("hall.staff", purpose=""), citizen())) == ["not_bookable"]
    async with town.db.write() as s:
        staffed = await reserve_in(s, town.request("hall.room", purpose=""), staff_booker(), town.clock.now(),
                                   source="counter")
    assert isinstance(staffed, Reserved)


async def test_quotas_per_day_and_active(svc, town) -> None:
    me = citizen("U9")
    assert isinstance(await svc.reserve(town.request("gym.half-a"), me), Reserved)
    assert isinstance(await svc.reserve(town.request("gym.half-a", time="13:00-17:00"), me), Reserved)
    assert codes(await svc.reserve(town.request("gym.half-a", time="18:00-21:00"), me)) == ["quota_day"]
    for offset in (1, 2):
        day = SATURDAY + timedelta(days=offset * 7)
        assert isinstance(await svc.reserve(town.request("gym.half-a", day=day), me), Reserved)
    assert codes(await svc.reserve(town.request("gym.half-a", day=SATURDAY + timedelta(days=21)), me)) == ["quota"]


async def test_quote_shows_the_fee_and_the_problems_before_booking(svc, town) -> None:
    quote = await svc.quote(town.request("gym.whole", time="18:00-21:00",
                                         equipment={town.equipment["gym.light"]: 1}), citizen())
    assert quote.ok and quote.fee == 3 * 800 + 3 * 500 and len(quote.lines) == 2
    assert "全面" in quote.lines[0].label and "町内在住" in quote.lines[0].label
    await svc.reserve(town.request("gym.whole", time="18:00-21:00"), citizen("U2"))
    taken = await svc.quote(town.request("gym.half-a", time="18:00-21:00"), citizen())
    assert [v.code for v in taken.violations] == ["taken"]
