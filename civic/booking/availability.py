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
from civic.booking.rules import booking_closes_at, booking_opens_at
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
    """Availability of one facility's units over a span, for citizens (default) or staff."""

    def __init__(self, bundle: FacilityBundle, calendar: FacilityCalendar, busy: dict[int, list[Interval]],
                 now: datetime) -> None:
        self.bundle, self.calendar, self.now = bundle, calendar, now
        self._raw = busy
        self._merged: dict[int, tuple[list[float], list[float]]] = {}

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

    def candidates(self, unit: Unit, day: date) -> list[tuple[int, int, str]]:
        plan = self.calendar.plan(day, unit.id)
        if plan.open_range is None:
            return []
        if unit.booking_mode == FRAMES:
            return self.bundle.frames_for(unit, plan.day_type)
        step = max(unit.slot_minutes, 15)
        first, last = plan.open_range
        return [(m, m + step, "") for m in range(first, last - step + 1, step)]

    def status(self, unit: Unit, day: date, start: int, end: int) -> str:
        starts_at, ends_at = local_datetime(day, start), local_datetime(day, end)
        if starts_at <= self.now:
            return PAST
        state = self.calendar.interval_state(day, start, end, unit.id)
        if state == "closed":
            return CLOSED
        if self.is_taken(unit.id or 0, starts_at.timestamp(), ends_at.timestamp()):
            return TAKEN
        if state == "blocked":
            return BLOCKED
        f = self.bundle.facility
        if self.now < booking_opens_at(f, day):
            return NOT_OPEN
        if self.now > booking_closes_at(f, starts_at):
            return CLOSED_ONLINE
        return FREE

    def slots(self, unit: Unit, day: date) -> list[Slot]:
        return [Slot(unit.id or 0, unit.name, day, s, e, label, self.status(unit, day, s, e))
                for s, e, label in self.candidates(unit, day)]

    def mark(self, unit: Unit, day: date) -> DayMark:
        if day < tokyo(self.now).date():
            return DayMark(day, "past", 0, 0, False)
        every = self.slots(unit, day)
        slots = [s for s in every if s.status not in (PAST, CLOSED)]
        if not slots:
            if any(s.status == PAST for s in every):
                return DayMark(day, "past", 0, 0, False)  # today, every frame is over
            reasons = self.calendar.plan(day, unit.id).reasons
            return DayMark(day, "closed", 0, 0, False, "・".join(reasons) or "休館")
        total = len(slots)
        free = sum(1 for s in slots if s.status in (FREE, NOT_OPEN, CLOSED_ONLINE))
        statuses = {s.status for s in slots}
        if statuses == {BLOCKED}:  # 一般利用不可 all day: for citizens the day is closed
            reasons = self.calendar.plan(day, unit.id).reasons
            return DayMark(day, "closed", 0, total, False, "・".join(reasons) or "一般利用不可")
        if free == 0:
            state = "full"
        elif free < total and free <= max(1, total // 3):
            state = "few"
        else:
            state = "available"
        note = ""
        if free and FREE not in statuses:
            note = "受付前" if NOT_OPEN in statuses else "受付終了"
        return DayMark(day, state, free, total, FREE in statuses, note)

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
