"""Availability: the frames of a day and the marks of a month (○ 空き / △ 残りわずか / × 満 / — 休館).

Built from three loads (catalogue, calendar rows, holding reservations of the span) and then
computed in memory, so a month for every facility costs a handful of queries.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.booking.models import HOLDING, Reservation
from civic.booking.rules import booking_opens_at
from civic.booking.types import (
    BLOCKED,
    CLOSED,
    CLOSED_ONLINE,
    FREE,
    NOT_OPEN,
    PAST,
    TAKEN,
    DayMark,
    Slot,
    local_datetime,
)
from civic.clock import tokyo
from civic.facilities.calendar import FacilityCalendar, load_calendar_days
from civic.facilities.catalogue import FacilityBundle
from civic.facilities.models import FRAMES, Unit

Interval = tuple[float, float]  # epoch seconds


async def load_busy(session: AsyncSession, unit_ids: Iterable[int], start: datetime,
                    end: datetime) -> dict[int, list[Interval]]:
    """Holding reservations per unit overlapping [start, end)."""
    ids = sorted(set(unit_ids))
    busy: dict[int, list[Interval]] = defaultdict(list)
    if not ids:
        return busy
    q = select(Reservation.unit_id, Reservation.starts_at, Reservation.ends_at).where(
        col(Reservation.unit_id).in_(ids), col(Reservation.status).in_(HOLDING),
        Reservation.starts_at < end, Reservation.ends_at > start)
    for unit_id, s, e in (await session.exec(q)).all():
        busy[unit_id].append((s.timestamp(), e.timestamp()))
    return busy


def _merge(intervals: list[Interval]) -> tuple[list[float], list[float]]:
    starts: list[float] = []
    ends: list[float] = []
    for s, e in sorted(intervals):
        if ends and s <= ends[-1]:
            ends[-1] = max(ends[-1], e)
        else:
            starts.append(s)
            ends.append(e)
    return starts, ends


class Availability:
    """Availability of one facility's units over a span (what citizens may book, and why not).

    Hot path of the month calendar: times are epoch seconds and everything per day or per unit
    is computed once (ORM attribute access and datetime arithmetic are the costly parts).
    """

    def __init__(self, bundle: FacilityBundle, calendar: FacilityCalendar, busy: dict[int, list[Interval]],
                 now: datetime) -> None:
        self.bundle, self.calendar, self.now = bundle, calendar, now
        f = bundle.facility
        self._f = f
        self._now = now.timestamp()
        self._today = tokyo(now).date()
        self._closes = f.booking_closes_hours * 3600
        self._raw = busy
        self._merged: dict[int, tuple[list[float], list[float]]] = {}
        self._midnights: dict[date, float] = {}
        self._opens: dict[date, float] = {}
        self._frames: dict[tuple[int, str], list[tuple[int, int, str]]] = {}
        self._states: dict[tuple[date, int, int, int], str | None] = {}

    def _busy(self, unit_id: int) -> tuple[list[float], list[float]]:
        if unit_id not in self._merged:
            joined: list[Interval] = []
            for other in self.bundle.sharing_units(unit_id):
                joined.extend(self._raw.get(other, ()))
            self._merged[unit_id] = _merge(joined)
        return self._merged[unit_id]

    def is_taken(self, unit_id: int, s: float, e: float) -> bool:
        starts, ends = self._busy(unit_id)
        i = bisect.bisect_left(starts, e) - 1
        return i >= 0 and ends[i] > s

    def _midnight(self, day: date) -> float:
        ts = self._midnights.get(day)
        if ts is None:
            ts = self._midnights[day] = local_datetime(day, 0).timestamp()
        return ts

    def _opens_at(self, day: date) -> float:
        ts = self._opens.get(day)
        if ts is None:
            ts = self._opens[day] = booking_opens_at(self._f, day).timestamp()
        return ts

    def candidates(self, unit: Unit, day: date) -> list[tuple[int, int, str]]:
        unit_id = unit.id or 0
        plan = self.calendar.plan(day, unit_id)
        if plan.open_range is None:
            return []
        if unit.booking_mode == FRAMES:
            key = (unit_id, plan.day_type)
            frames = self._frames.get(key)
            if frames is None:
                frames = self._frames[key] = self.bundle.frames_for(unit, plan.day_type)
            return frames
        step = max(unit.slot_minutes, 15)
        first, last = plan.open_range
        return [(m, m + step, "") for m in range(first, last - step + 1, step)]

    def _status(self, unit_id: int, day: date, start: int, end: int) -> str:
        midnight = self._midnight(day)
        s, e = midnight + start * 60, midnight + end * 60
        if s <= self._now:
            return PAST
        key = (day, start, end, unit_id)
        if key in self._states:
            state = self._states[key]
        else:
            state = self._states[key] = self.calendar.interval_state(day, start, end, unit_id)
        if state == "closed":
            return CLOSED
        if self.is_taken(unit_id, s, e):
            return TAKEN
        if state == "blocked":
            return BLOCKED
        if self._now < self._opens_at(day):
            return NOT_OPEN
        if self._now > s - self._closes:
            return CLOSED_ONLINE
        return FREE

    def status(self, unit: Unit, day: date, start: int, end: int) -> str:
        return self._status(unit.id or 0, day, start, end)

    def slots(self, unit: Unit, day: date) -> list[Slot]:
        unit_id, name = unit.id or 0, unit.name
        return [Slot(unit_id, name, day, s, e, label, self._status(unit_id, day, s, e))
                for s, e, label in self.candidates(unit, day)]

    def mark(self, unit: Unit, day: date) -> DayMark:
        if day < self._today:
            return DayMark(day, "past", 0, 0, False)
        unit_id = unit.id or 0
        every = [self._status(unit_id, day, s, e) for s, e, _ in self.candidates(unit, day)]
        statuses = [st for st in every if st != PAST and st != CLOSED]
        if not statuses:
            if PAST in every:
                return DayMark(day, "past", 0, 0, False)  # today, every frame is over
            reasons = self.calendar.plan(day, unit_id).reasons
            return DayMark(day, "closed", 0, 0, False, "・".join(reasons) or "休館")
        total = len(statuses)
        kinds = set(statuses)
        if kinds == {BLOCKED}:  # 一般利用不可 all day: for citizens the day is closed
            reasons = self.calendar.plan(day, unit_id).reasons
            return DayMark(day, "closed", 0, total, False, "・".join(reasons) or "一般利用不可")
        free = sum(1 for st in statuses if st == FREE or st == NOT_OPEN or st == CLOSED_ONLINE)
        if free == 0:
            state = "full"
        elif free < total and free <= max(1, total // 3):
            state = "few"
        else:
            state = "available"
        note = ""
        if free and FREE not in kinds:
            note = "受付前" if NOT_OPEN in kinds else "受付終了"
        return DayMark(day, state, free, total, FREE in kinds, note)

    def month(self, unit: Unit, year: int, month: int) -> list[DayMark]:
        d = date(year, month, 1)
        out = []
        while d.month == month:
            out.append(self.mark(unit, d))
            d += timedelta(days=1)
        return out


async def load_availability(session: AsyncSession, bundles: Iterable[FacilityBundle], start: date, end: date,
                            now: datetime) -> dict[int, Availability]:
    """Availability of several facilities from ``start`` to ``end`` (inclusive): two queries in all."""
    chosen = list(bundles)
    if not chosen:
        return {}
    rows = await load_calendar_days(session, [b.id for b in chosen], start, end)
    unit_ids = [u.id for b in chosen for u in b.units if u.id is not None]
    busy = await load_busy(session, unit_ids, local_datetime(start, 0), local_datetime(end, 48 * 60))
    return {b.id: Availability(b, FacilityCalendar(b, rows), busy, now) for b in chosen}
