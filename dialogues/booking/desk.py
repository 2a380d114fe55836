"""What the booking dialogue reads of the catalogue and availability, shaped for a conversation.

Every change (reserve, reschedule, cancel, waitlist, offers, the remembered resident type) is a
session-taking ``BookingService`` method called with ``ctx.session`` (``desk.service.reserve_in(ctx.session, …)``):
the turn owns the transaction, so a reservation and the answer that announces it commit together.
"""

from __future__ import annotations

from datetime import date, timedelta

from civic.booking.services import BookingService
from civic.booking.types import (
    DayMark,
    Slot,
)
from civic.facilities.catalogue import FacilityBundle
from civic.facilities.models import FREE as FREE_MODE
from civic.facilities.models import PUBLIC, Unit


class BookingDesk:
    def __init__(self, service: BookingService) -> None:
        self.service = service

    # ---- catalogue (reads) -----------------------------------------------------------------------
    async def bundle(self, unit_id: int) -> FacilityBundle | None:
        return (await self.service.catalogue()).bundle_of_unit(unit_id)

    async def facility(self, facility_id: int) -> FacilityBundle | None:
        return (await self.service.catalogue()).facilities.get(facility_id)

    async def bookable_units(self, query: str = "") -> list[tuple[FacilityBundle, Unit]]:
        """Units citizens may book online (not availability-only ones), matching ``query``."""
        catalogue = await self.service.catalogue()
        out = []
        for info in await self.service.find_units(query):
            bundle = catalogue.facilities.get(info.facility_id)
            unit = bundle.unit(info.unit_id) if bundle else None
            if bundle is not None and unit is not None and unit.visibility == PUBLIC:
                out.append((bundle, unit))
        return out

    # ---- availability (reads) --------------------------------------------------------------------
    async def free_slots(self, unit: Unit, day: date) -> tuple[list[Slot], list[Slot]]:
        """(bookable choices, every slot of the day). Free-interval units offer the shortest booking
        (``min_minutes``) at each start time where it fits."""
        slots = await self.service.available_frames(unit.id or 0, day)
        if unit.booking_mode != FREE_MODE:
            return [s for s in slots if s.free], slots
        length = max(unit.min_minutes or 0, unit.slot_minutes)
        free = {s.start_minute: s for s in slots if s.free}
        choices = []
        for s in slots:
            if not s.free:
                continue
            end, cursor = s.start_minute + length, s.start_minute
            while cursor < end and cursor in free:
                cursor = free[cursor].end_minute
            if cursor >= end:
                choices.append(Slot(s.unit_id, s.unit_name, day, s.start_minute, end, "", s.status))
        return choices, slots

    async def nearest_days(self, unit_id: int, around: date, today: date, count: int = 4) -> list[date]:
        """Days with a slot bookable online now, nearest to ``around`` (later days first on ties)."""
        marks: list[DayMark] = []
        first = max(today, around - timedelta(days=14))
        month = date(first.year, first.month, 1)
        for _ in range(3):
            marks += await self.service.month(unit_id, month.year, month.month)
            month = (month + timedelta(days=32)).replace(day=1)
        days = [mk.day for mk in marks if mk.bookable_online and mk.state in ("available", "few")
                and mk.day > today and mk.day != around and abs((mk.day - around).days) <= 45]
        return sorted(days, key=lambda d: (abs((d - around).days), d < around))[:count]
