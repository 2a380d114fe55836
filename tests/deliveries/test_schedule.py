"""Recurring rules in Japan time: month ends, leap years, nth and last weekdays, holidays, reminders."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from civic.clock import TOKYO
from civic.deliveries.schedule import Recurrence, Reminder, add_months, next_after, occurrences


def jst(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TOKYO)


def days_of(rule: Recurrence, start: datetime, until: datetime) -> list[date]:
    return [t.astimezone(TOKYO).date() for t in occurrences(rule, start, until)]


def test_monthly_31st_skips_short_months_and_minus_one_is_the_last_day() -> None:
    the_31st = Recurrence(kind="monthly_day", days=[31], time="09:00", start=date(2027, 1, 1))
    assert days_of(the_31st, jst(2027, 1, 1), jst(2027, 8, 1)) == [
        date(2027, 1, 31), date(2027, 3, 31), date(2027, 5, 31), date(2027, 7, 31)]
    last = Recurrence(kind="monthly_day", days=[-1, 29], time="09:00", start=date(2027, 1, 1))
    assert days_of(last, jst(2027, 1, 1), jst(2028, 4, 1))[:3] == [date(2027, 1, 29), date(2027, 1, 31),
                                                                  date(2027, 2, 28)]
    # 2028 is a leap year: 29 February is both "the 29th" and "the last day" — sent once.
    assert [d for d in days_of(last, jst(2028, 2, 1), jst(2028, 3, 2))] == [date(2028, 2, 29)]


def test_nth_and_last_weekdays() -> None:
    rule = Recurrence(kind="monthly_nth", nth=[(2, 1), (-1, 4), (5, 0)], time="18:00", start=date(2026, 12, 1))
    got = days_of(rule, jst(2026, 12, 1), jst(2027, 3, 1))
    assert got == [date(2026, 12, 8), date(2026, 12, 25), date(2027, 1, 12), date(2027, 1, 29),
                   date(2027, 2, 9), date(2027, 2, 26)]  # no 5th Monday in Dec 2026 – Feb 2027
    fifth = Recurrence(kind="monthly_nth", nth=[(5, 0)], time="18:00", start=date(2026, 12, 1))
    assert days_of(fifth, jst(2026, 12, 1), jst(2027, 4, 1)) == [date(2027, 3, 29)]


def test_time_is_japan_time_stored_as_utc_and_holidays_can_be_left_out() -> None:
    rule = Recurrence(kind="weekly", weekdays=[0], time="07:30", start=date(2027, 1, 1), skip_holidays=True)
    first = next_after(rule, jst(2027, 1, 1))
    assert first == jst(2027, 1, 4, 7, 30) and first.astimezone(UTC).hour == 22  # Sunday 22:30 UTC
    # 11 January 2027 is 成人の日 (a Monday holiday): the next one is the 18th.
    assert next_after(rule, first) == jst(2027, 1, 18, 7, 30)
    assert next_after(rule, jst(2027, 1, 4, 7, 30) - timedelta(microseconds=1)) == jst(2027, 1, 4, 7, 30)


def test_end_date_and_bad_rules() -> None:
    rule = Recurrence(kind="daily", time="23:59", start=date(2026, 12, 30), end=date(2026, 12, 31))
    assert days_of(rule, jst(2026, 1, 1), jst(2027, 6, 1)) == [date(2026, 12, 30), date(2026, 12, 31)]
    assert next_after(rule, jst(2026, 12, 31, 23, 59)) is None
    for bad in [dict(kind="weekly", weekdays=[7]), dict(kind="weekly"), dict(kind="monthly_day", days=[0]),
                dict(kind="monthly_nth", nth=[(6, 1)]), dict(kind="daily", time="24:00"),
                dict(kind="daily", end=date(2025, 1, 1))]:
        with pytest.raises(ValidationError):
            Recurrence(**({"time": "09:00", "start": date(2026, 1, 1)} | bad))


def test_reminder_dates_in_days_and_months() -> None:
    after_90 = Reminder(attribute="children_birth_dates", offset=90, time="10:00", start=date(2026, 1, 1))
    assert after_90.dates_for(date(2026, 5, 30)) == [date(2026, 3, 1)]
    before_30 = Reminder(attribute="due_date", offset=-30, time="10:00", start=date(2026, 1, 1))
    assert before_30.dates_for(date(2026, 11, 1)) == [date(2026, 12, 1)]
    month = Reminder(attribute="children_birth_dates", offset=1, unit="months", time="10:00", start=date(2026, 1, 1))
    # Born 28–31 January: their one-month day in a 28-day February is the 28th.
    assert month.dates_for(date(2027, 2, 28)) == [date(2027, 1, 28), date(2027, 1, 29), date(2027, 1, 30),
                                                  date(2027, 1, 31)]
    assert month.dates_for(date(2027, 3, 28)) == [date(2027, 2, 28)]
    assert month.dates_for(date(2027, 3, 30)) == []  # nobody was born on 30 February
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


def _brute(rule: Recurrence, day: date) -> bool:
    """An independent reading of a rule, from calendar.monthcalendar."""
    if day < rule.start or (rule.end and day > rule.end):
        return False
    if rule.kind == "daily":
        return True
    if rule.kind == "weekly":
        return day.weekday() in rule.weekdays
    if rule.kind == "monthly_day":
        last = calendar.monthrange(day.year, day.month)[1]
        return any(d == day.day or (d == -1 and day.day == last) for d in rule.days)
    weeks = [w[day.weekday()] for w in calendar.monthcalendar(day.year, day.month) if w[day.weekday()]]
    return any((n == -1 and weeks[-1] == day.day) or (1 <= n <= len(weeks) and weeks[n - 1] == day.day)
               for n, wd in rule.nth if wd == day.weekday())


rules = st.one_of(
    st.builds(lambda w: {"kind": "weekly", "weekdays": w}, st.lists(st.integers(0, 6), min_size=1, max_size=3)),
    st.builds(lambda d: {"kind": "monthly_day", "days": d},
              st.lists(st.sampled_from([1, 15, 28, 29, 30, 31, -1]), min_size=1, max_size=3)),
    st.builds(lambda n: {"kind": "monthly_nth", "nth": n},
              st.lists(st.tuples(st.sampled_from([1, 2, 4, 5, -1]), st.integers(0, 6)), min_size=1, max_size=3)),
    st.just({"kind": "daily"}),
)


@settings(max_examples=150, deadline=None)
@given(rule=rules, start=st.dates(date(2023, 1, 1), date(2029, 12, 31)),
       hour=st.integers(0, 23), minute=st.sampled_from([0, 30, 59]))
def test_occurrences_are_exactly_the_matching_days(rule: dict, start: date, hour: int, minute: int) -> None:
    r = Recurrence(**rule, time=f"{hour:02d}:{minute:02d}", start=start, end=start + timedelta(days=120))
    got = days_of(r, jst(start.year, start.month, start.day) - timedelta(days=1), jst(2031, 1, 1))
    expected = [start + timedelta(days=i) for i in range(121) if _brute(r, start + timedelta(days=i))]
    assert got == expected
    assert all(next_after(r, r.at(d)) != r.at(d) for d in got)
