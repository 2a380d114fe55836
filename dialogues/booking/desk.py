"""The booking service as a dialogue turn uses it.

A turn runs inside one write transaction (``turn.session``; on SQLite it already holds the
database's write lock), so ``BookingService``'s own write transactions would wait for that lock
for ever. Reads go through the service (its own read transactions, its catalogue cache); every
write — reserve, change, cancel, waitlist, offers, the remembered resident type — uses the
``civic.booking`` functions made for a caller's transaction, with ``ctx.session``, so a
reservation and the answer that announces it commit together.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from civic.booking.bookers import profile_of, save_profile
from civic.booking.ledger import equipment_of
from civic.booking.models import SOURCE_CHAT
from civic.booking.reservations import by_number, cancel_in, change_in, reserve_in
from civic.booking.services import BookingService
from civic.booking.types import (
    Booker,
    BookingRequest,
    Cancelled,
    DayMark,
    Refused,
    Reserved,
    Slot,
    SlotTaken,
    Violation,
    WaitlistJoined,
)
from civic.booking.waitlist import accept_offer_in, decline_offer_in, join_in
from civic.facilities.catalogue import FacilityBundle
from civic.facilities.models import FREE as FREE_MODE
from civic.facilities.models import PUBLIC, RESIDENT_TYPES, Unit


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

    # ---- the citizen ------------------------------------------------------------------------------
    async def resident_type(self, session: AsyncSession, user_id: str) -> str | None:
        """The resident type the citizen declared before (None: never asked)."""
        profile = await profile_of(session, user_id)
        return profile.resident_type if profile is not None and profile.resident_type in RESIDENT_TYPES else None

    async def remember_resident(self, session: AsyncSession, user_id: str, resident_type: str,
                                now: datetime) -> None:
        profile = await profile_of(session, user_id)
        await save_profile(session, user_id, now, name=profile.name if profile else None,
                           phone=profile.phone if profile else None, resident_type=resident_type)

    async def booker(self, session: AsyncSession, user_id: str) -> Booker:
        """As ``BookingService.booker``, read in the turn (it sees a resident type saved this turn)."""
        profile = await profile_of(session, user_id)
        rt = profile.resident_type if profile is not None and profile.resident_type in RESIDENT_TYPES else None
        return Booker(user_id, rt or "resident", frozenset(profile.attributes if profile else ()),
                      profile.name if profile else None, profile.phone if profile else None)

    # ---- writes, in the turn's transaction ------------------------------------------------------
    async def reserve(self, session: AsyncSession, request: BookingRequest, booker: Booker,
                      now: datetime) -> Reserved | SlotTaken | Refused:
        result = await reserve_in(session, request, booker, now, source=SOURCE_CHAT)
        return await self._with_alternatives(result, request)

    async def reschedule(self, session: AsyncSession, booker: Booker, number: str, *, unit_id: int, day: date,
                         start_minute: int, end_minute: int, now: datetime) -> Reserved | SlotTaken | Refused:
        """As ``BookingService.reschedule``: another time (or unit), everything else kept."""
        r = await by_number(session, number)
        if r is None or r.channel_user_id != booker.channel_user_id:
            return Refused((Violation("not_found", "ご指定の予約が見つかりません。", "number"),))
        equipment = (await equipment_of(session, [r.id or 0])).get(r.id or 0, {}) if unit_id == r.unit_id else {}
        request = BookingRequest(unit_id, day, start_minute, end_minute, r.people, r.purpose, r.activity,
                                 equipment, True)
        result = await change_in(session, number, request, replace(booker, resident_type=r.resident_type), now,
                                 notifier=self.service.notifier)
        return await self._with_alternatives(result, request)

    async def cancel(self, session: AsyncSession, booker: Booker, number: str, now: datetime) -> Cancelled | Refused:
        return await cancel_in(session, number, booker, now, notifier=self.service.notifier)

    async def join_waitlist(self, session: AsyncSession, request: BookingRequest, booker: Booker,
                            now: datetime) -> WaitlistJoined | Refused:
        return await join_in(session, request, booker, now)

    async def accept_offer(self, session: AsyncSession, user_id: str, number: str, now: datetime) -> Reserved | Refused:
        return await accept_offer_in(session, user_id, number, now)

    async def decline_offer(self, session: AsyncSession, user_id: str, number: str,
                            now: datetime) -> Cancelled | Refused:
        return await decline_offer_in(session, user_id, number, now, self.service.notifier)

    async def _with_alternatives(self, result: Reserved | SlotTaken | Refused,
                                 request: BookingRequest) -> Reserved | SlotTaken | Refused:
        if isinstance(result, SlotTaken):
            # committed state, read apart: the slot's holder is in it, nothing of this turn is
            return SlotTaken(await self.service.alternatives(request), result.message, result.waitlist_available)
        return result
