"""Which days a facility is open, and how: day types, holidays, closed days, blocked periods.

National holidays come from ``jpholiday``; the town adds its own holidays and each facility its
closed days, blocked periods (一般利用不可) and extra openings as ``CalendarDay`` rows (表3 no.3,
5, 10, 22). Recurring rules live on the facility: weekly closed days (moved to the next
non-holiday when they fall on a holiday), closed on holidays, the year-end break.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import jpholiday
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.facilities.catalogue import FacilityBundle
from civic.facilities.models import (
    CAL_BLOCKED,
    CAL_CLOSED,
    CAL_HOLIDAY,
    CAL_OPEN,
    HOLIDAY,
    SATURDAY,
    SUNDAY,
    WEEKDAY,
    CalendarDay,
)

DAY = 24 * 60
Range = tuple[int, int]


def is_year_end(d: date) -> bool:
    """年末年始 (12/29–1/3), the usual closure of Japanese public facilities."""
    return (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3)


def national_holiday_name(d: date) -> str | None:
    return jpholiday.is_holiday_name(d)


@functools.lru_cache(maxsize=64)
def national_holidays(year: int) -> frozenset[date]:
    """祝日・振替休日・国民の休日 of a year (jpholiday's own lookup is slow in a loop)."""
    return frozenset(d for d, _ in jpholiday.year_holidays(year))


@dataclass
class DayPlan:
    """One facility (or unit) on one date. Minute ranges are within that date (0–1440)."""

    day: date
    day_type: str
    open_range: Range | None  # None: closed all day
    closed: list[Range] = field(default_factory=list)
    blocked: list[Range] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def closed_all_day(self) -> bool:
        return self.open_range is None or any(s <= 0 and e >= DAY for s, e in self.closed)


def _overlaps(ranges: Iterable[Range], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in ranges)


class FacilityCalendar:
    """The calendar of one facility over a span of dates (rows loaded by ``load_calendar_days``)."""

    def __init__(self, bundle: FacilityBundle, rows: Iterable[CalendarDay]) -> None:
        self.bundle = bundle
        fid = bundle.id
        self._town_holidays: set[date] = set()
        self._rows: dict[date, list[CalendarDay]] = defaultdict(list)
        self._holidays: dict[date, bool] = {}
        self._plans: dict[tuple[date, int | None], DayPlan] = {}
        for r in rows:
            if r.facility_id is None and r.kind == CAL_HOLIDAY:
                self._town_holidays.add(r.day)
            elif r.facility_id in (None, fid):
                self._rows[r.day].append(r)
        self._unit_days = {day for day, rows in self._rows.items() if any(r.unit_id is not None for r in rows)}

    def is_holiday(self, d: date) -> bool:
        known = self._holidays.get(d)
        if known is None:
            known = self._holidays[d] = (
                d in self._town_holidays or d in national_holidays(d.year)
                or any(r.kind == CAL_HOLIDAY and r.unit_id is None for r in self._rows.get(d, ()))
            )
        return known

    def day_type(self, d: date) -> str:
        if self.is_holiday(d):
            return HOLIDAY
        return {5: SATURDAY, 6: SUNDAY}.get(d.weekday(), WEEKDAY)

    def _weekly_closed(self, d: date) -> bool:
        f = self.bundle.facility
        weekly = set(f.weekly_closed_days or ())
        if not weekly:
            return False
        holiday = self.is_holiday(d)
        if d.weekday() in weekly and not (holiday and f.closed_day_moves_after_holiday):
            return True
        if f.closed_day_moves_after_holiday and not holiday:
            p = d - timedelta(days=1)
            while self.is_holiday(p):
                if p.weekday() in weekly:
                    return True
                p -= timedelta(days=1)
        return False

    def plan(self, d: date, unit_id: int | None = None) -> DayPlan:
        if unit_id is not None and d not in self._unit_days:
            unit_id = None  # nothing unit-specific that day: share the facility's plan
        key = (d, unit_id)
        if key not in self._plans:
            self._plans[key] = self._plan(d, unit_id)
        return self._plans[key]

    def _plan(self, d: date, unit_id: int | None) -> DayPlan:
        f = self.bundle.facility
        day_type = self.day_type(d)
        rows = [r for r in self._rows.get(d, ()) if r.unit_id is None or r.unit_id == unit_id]
        extra_open = any(r.kind == CAL_OPEN for r in rows)
        hours = self.bundle.hours.get(day_type)
        plan = DayPlan(d, day_type, (hours.open_minute, hours.close_minute) if hours else None)
        if not extra_open:
            if f.closed_year_end and is_year_end(d):
                plan.open_range, plan.reasons = None, ["年末年始休館"]
            elif self._weekly_closed(d):
                plan.open_range, plan.reasons = None, ["定休日"]
            elif f.closed_on_holidays and day_type == HOLIDAY:
                plan.open_range, plan.reasons = None, ["祝日休館"]
        elif plan.open_range is None:
            wd = self.bundle.hours.get(WEEKDAY)
            plan.open_range = (wd.open_minute, wd.close_minute) if wd else (0, DAY)
        for r in rows:
            rng = (r.start_minute or 0, r.end_minute if r.end_minute is not None else DAY)
            if r.kind == CAL_CLOSED:
                plan.closed.append(rng)
            elif r.kind == CAL_BLOCKED:
                plan.blocked.append(rng)
            else:
                continue
            if r.reason:
                plan.reasons.append(r.reason)
        return plan

    def interval_state(self, d: date, start: int, end: int, unit_id: int | None) -> str | None:
        """Why [start, end) on ``d`` (end may pass midnight) cannot be booked by citizens.

        Returns ``"closed"``, ``"blocked"`` or None (open). Staff may book blocked periods.
        """
        if end <= DAY:  # the common case: one day
            plan = self.plan(d, unit_id)
            if plan.open_range is None or (plan.closed and _overlaps(plan.closed, start, end)):
                return "closed"
            return "blocked" if plan.blocked and _overlaps(plan.blocked, start, end) else None
        worst: str | None = None
        for offset in range(0, max(1, -(-end // DAY))):
            day = d + timedelta(days=offset)
            s, e = max(start - offset * DAY, 0), min(end - offset * DAY, DAY)
            if s >= e:
                continue
            plan = self.plan(day, unit_id)
            if offset == 0 and plan.open_range is None:
                return "closed"
            # After midnight only dated closures count: a closed *day* closes bookings that
            # start on it, not the tail of the night before (a campsite night before a 休館日).
            if _overlaps(plan.closed, s, e):
                return "closed"
            if _overlaps(plan.blocked, s, e):
                worst = "blocked"
        return worst


async def load_calendar_days(
    session: AsyncSession, facility_ids: Iterable[int], start: date, end: date
) -> list[CalendarDay]:
    """Rows for the facilities (and town-wide rows) from a week before ``start`` to ``end`` inclusive.

    The week before is needed to move weekly closed days that fell on holidays.
    """
    ids = list(facility_ids)
    q = select(CalendarDay).where(
        CalendarDay.day >= start - timedelta(days=7),
        CalendarDay.day <= end + timedelta(days=1),
        or_(col(CalendarDay.facility_id).is_(None), col(CalendarDay.facility_id).in_(ids)),
    )
    return list((await session.exec(q)).all())
