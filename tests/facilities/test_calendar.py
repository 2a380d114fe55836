"""Day types and closures: national holidays (jpholiday), town holidays, weekly closures moved after a
holiday, the year-end break, dated closures, blocked periods and extra openings (pure, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from civic.facilities.calendar import FacilityCalendar
from civic.facilities.catalogue import FacilityBundle
from civic.facilities.models import CalendarDay, Facility, OpeningHours

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def calendar(rows: list[CalendarDay] = (), **facility) -> FacilityCalendar:
    facility.setdefault("weekly_closed_days", [0])
    f = Facility(id=1, code="g", name="g", category="gymnasium", created_at=NOW, updated_at=NOW, **facility)
    b = FacilityBundle(f)
    for d in ("weekday", "saturday", "sunday"):
        b.hours[d] = OpeningHours(facility_id=1, day_type=d, open_minute=540, close_minute=1260)
    b.hours["holiday"] = OpeningHours(facility_id=1, day_type="holiday", open_minute=540, close_minute=1020)
    return FacilityCalendar(b, rows)


def test_day_types_come_from_the_japanese_calendar() -> None:
    cal = calendar()
    assert cal.day_type(date(2026, 11, 20)) == "weekday"
    assert cal.day_type(date(2026, 11, 21)) == "saturday"
    assert cal.day_type(date(2026, 11, 22)) == "sunday"
    assert cal.day_type(date(2026, 11, 23)) == "holiday"  # 勤労感謝の日
    assert cal.day_type(date(2027, 5, 5)) == "holiday"   # こどもの日
    town = calendar([CalendarDay(day=date(2026, 8, 14), kind="holiday", reason="町の休日")])
    assert town.day_type(date(2026, 8, 14)) == "holiday"


def test_weekly_closure_moves_to_the_next_day_after_a_holiday() -> None:
    cal = calendar()
    assert cal.plan(date(2026, 11, 16)).open_range is None           # an ordinary Monday
    assert cal.plan(date(2026, 11, 23)).open_range == (540, 1020)    # holiday Monday: open, holiday hours
    assert cal.plan(date(2026, 11, 24)).open_range is None           # so Tuesday closes instead
    assert cal.plan(date(2026, 11, 25)).open_range == (540, 1260)
    no_move = calendar(closed_day_moves_after_holiday=False)
    assert no_move.plan(date(2026, 11, 23)).open_range is None
    assert no_move.plan(date(2026, 11, 24)).open_range == (540, 1260)


def test_year_end_holidays_and_extra_openings() -> None:
    cal = calendar([CalendarDay(facility_id=1, day=date(2026, 12, 29), kind="open", reason="臨時開館")],
                   weekly_closed_days=[], closed_on_holidays=True)
    assert cal.plan(date(2026, 12, 30)).open_range is None and cal.plan(date(2026, 12, 30)).reasons == ["年末年始休館"]
    assert cal.plan(date(2027, 1, 3)).open_range is None
    assert cal.plan(date(2026, 12, 29)).open_range == (540, 1260)
    assert cal.plan(date(2026, 11, 23)).open_range is None  # closed on holidays


def test_dated_closures_and_blocked_periods() -> None:
    rows = [CalendarDay(facility_id=1, day=date(2026, 12, 9), kind="closed", start_minute=540, end_minute=720,
                        reason="点検"),
            CalendarDay(facility_id=1, day=date(2026, 12, 10), kind="blocked", reason="町民大会"),
            CalendarDay(facility_id=1, unit_id=5, day=date(2026, 12, 11), kind="closed", reason="床の補修"),
            CalendarDay(facility_id=2, day=date(2026, 12, 12), kind="closed", reason="他の施設")]
    cal = calendar(rows, weekly_closed_days=[])
    assert cal.interval_state(date(2026, 12, 9), 540, 720, None) == "closed"
    assert cal.interval_state(date(2026, 12, 9), 780, 1020, None) is None
    assert cal.interval_state(date(2026, 12, 10), 540, 720, None) == "blocked"
    assert cal.interval_state(date(2026, 12, 11), 540, 720, 5) == "closed"
    assert cal.interval_state(date(2026, 12, 11), 540, 720, 6) is None
    assert cal.interval_state(date(2026, 12, 12), 540, 720, None) is None


def test_a_night_frame_sees_the_next_days_closures() -> None:
    rows = [CalendarDay(facility_id=1, day=date(2026, 12, 10), kind="closed", start_minute=0, end_minute=360,
                        reason="停電工事")]
    cal = calendar(rows, weekly_closed_days=[])
    assert cal.interval_state(date(2026, 12, 9), 840, 1440 + 600, None) == "closed"
    assert cal.interval_state(date(2026, 12, 8), 840, 1440 + 600, None) is None
