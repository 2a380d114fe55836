"""Derived date conditions as date ranges: "age 3 to 4 months" becomes "born between X and Y".

Turning every derived condition into a plain range on the stored date is what lets the compiler
answer it from an index, with no per-row arithmetic in SQL (the same on SQLite and PostgreSQL).

Definitions (``today`` is a date in Asia/Tokyo):

* age in years: completed years; someone born on 29 February becomes a year older on
  1 March in years without one (their birthday "has not happened" on 28 February);
* age in months: completed months; born on the 31st, a month is complete on the 31st or, in a
  shorter month, not until the next month begins (the day of the month must be reached);
* age in days: ``today - date`` (negative for dates still ahead).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


def years_between(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def months_between(born: date, today: date) -> int:
    return (today.year - born.year) * 12 + today.month - born.month - (today.day < born.day)


def days_between(born: date, today: date) -> int:
    return (today - born).days


def _clamped(year: int, month: int, day: int) -> date | None:
    if year < 1:
        return None
    if year > 9999:
        return date.max
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _latest_born(today: date, unit: str, age: int) -> date | None:
    """The latest date of birth with an age of at least ``age`` today (None: no such date)."""
    if unit == "days":
        try:
            return today - timedelta(days=age)
        except OverflowError:
            return None if age > 0 else date.max
    if unit == "years":
        return _clamped(today.year - age, today.month, today.day)
    total = today.year * 12 + today.month - 1 - age
    return _clamped(total // 12, total % 12 + 1, today.day)


def age_range(today: date, unit: str, low: int | None, high: int | None) -> tuple[date | None, date | None]:
    """Dates ``d`` with ``low <= age(d) <= high`` as an inclusive range; None ends are open.
    An empty range comes back with ``first > last``."""
    last = None if low is None else _latest_born(today, unit, low)
    if low is not None and last is None:
        return date.max, date.min  # nobody is that old
    first = None
    if high is not None:
        older = _latest_born(today, unit, high + 1)
        if older is not None:
            first = older + ONE_DAY if older < date.max else date.max
    return first, last


def month_start(value: date) -> date:
    return value.replace(day=1)


def month_end(value: date) -> date:
    return value.replace(day=calendar.monthrange(value.year, value.month)[1])


def days(first: date, last: date) -> list[date]:
    out, d = [], first
    while d <= last:
        out.append(d)
        d += ONE_DAY
    return out
