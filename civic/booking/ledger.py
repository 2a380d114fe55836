"""Low-level reservation bookkeeping shared by reservations, the waitlist and staff operations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.booking import messages as msg
from civic.booking.fees import equipment_fee, fee_lines
from civic.booking.models import CONFIRMED, PENDING, Reservation, ReservedEquipment
from civic.booking.notify import CitizenNotifier, Notice, NoticeAction
from civic.booking.occupancy import occupy, release
from civic.booking.rules import RuleContext
from civic.booking.types import Booker, BookingRequest, FeeLine, Violation
from civic.clock import tokyo
from civic.facilities.calendar import FacilityCalendar, load_calendar_days
from civic.facilities.catalogue import CatalogueCache, FacilityBundle, load_catalogue
from civic.facilities.models import Unit
from civic.rows import pk


@dataclass
class Loaded:
    bundle: FacilityBundle
    unit: Unit
    calendar: FacilityCalendar

    def context(self, session: AsyncSession, request: BookingRequest, booker: Booker, now: datetime,
                existing: Reservation | None = None) -> RuleContext:
        return RuleContext(session, self.bundle, self.unit, self.calendar, request, booker, now, existing)

    def fee_lines(self, request: BookingRequest, resident_type: str) -> list[FeeLine]:
        day_type = self.calendar.day_type(request.day)
        return fee_lines(self.bundle, self.unit, day_type, request.start_minute, request.end_minute,
                         resident_type, request.equipment)


async def load_for_unit(session: AsyncSession, unit_id: int, day: date, *, days: int = 2,
                        cache: CatalogueCache | None = None) -> Loaded | None:
    """The unit's facility (from ``cache`` when given: revalidated in this transaction) and its calendar."""
    if cache is not None:
        bundle = (await cache.get(session)).bundle_of_unit(unit_id)
        if bundle is None:
            return None
    else:
        unit = await session.get(Unit, unit_id)
        if unit is None:
            return None
        bundle = (await load_catalogue(session, [unit.facility_id])).facilities[unit.facility_id]
    rows = await load_calendar_days(session, [bundle.id], day, day + timedelta(days=days))
    unit_row = bundle.unit(unit_id)
    assert unit_row is not None
    return Loaded(bundle, unit_row, FacilityCalendar(bundle, rows))


async def facility_of_unit(session: AsyncSession, unit_id: int, cache: CatalogueCache | None = None) -> int | None:
    if cache is not None:
        bundle = (await cache.get(session)).bundle_of_unit(unit_id)
        return bundle.id if bundle else None
    unit = await session.get(Unit, unit_id)
    return unit.facility_id if unit else None


def unknown_unit() -> Violation:
    return Violation("unknown_unit", "ご指定の施設が見つかりません。", "unit_id")


def make_number(reservation: Reservation) -> str:
    return f"{tokyo(reservation.created_at):%y%m}-{reservation.id:05d}"


def apply_request(r: Reservation, loaded: Loaded, request: BookingRequest, lines: list[FeeLine]) -> None:
    r.facility_id, r.unit_id = loaded.bundle.id, loaded.unit.id or 0
    r.day, r.start_minute, r.end_minute = request.day, request.start_minute, request.end_minute
    r.starts_at, r.ends_at = request.starts_at, request.ends_at
    r.people, r.purpose, r.activity = request.people, request.purpose, request.activity
    r.fee = sum(line.amount for line in lines)
    r.fee_breakdown = [{"label": line.label, "amount": line.amount} for line in lines]


async def write_holding(session: AsyncSession, r: Reservation, loaded: Loaded,
                        equipment: Mapping[int, int]) -> None:
    """Insert or update ``r`` with its equipment and occupancy. Raises SlotConflict (IntegrityError).

    Run it inside ``session.begin_nested()`` so a conflict leaves the caller's transaction usable.
    """
    if r.id is None:
        session.add(r)
        await session.flush()
        r.number = make_number(r)
    else:
        await release(session, r.id)
        await session.exec(delete(ReservedEquipment).where(
            col(ReservedEquipment.reservation_id) == r.id))
    items = {e.id: e for e in loaded.bundle.equipment_for(loaded.unit.id or 0)}
    minutes = r.end_minute - r.start_minute
    for eid, qty in sorted(equipment.items()):
        session.add(ReservedEquipment(reservation_id=pk(r), equipment_id=eid, quantity=qty,
                                      fee=equipment_fee(items[eid], qty, minutes)))
    session.add(r)
    await session.flush()
    await occupy(session, r, loaded.bundle.areas_of(loaded.unit.id or 0))


async def equipment_of(session: AsyncSession, reservation_ids: list[int]) -> dict[int, dict[int, int]]:
    if not reservation_ids:
        return {}
    rows = (await session.exec(select(ReservedEquipment).where(
        col(ReservedEquipment.reservation_id).in_(reservation_ids)))).all()
    out: dict[int, dict[int, int]] = {}
    for row in rows:
        out.setdefault(row.reservation_id, {})[row.equipment_id] = row.quantity
    return out


def summary_text(r: Reservation, bundle: FacilityBundle) -> str:
    unit = bundle.unit(r.unit_id)
    return msg.summary(r.number or "", bundle.facility.name, unit.name if unit else "", r.day, r.start_minute,
                       r.end_minute)


async def tell(notifier: CitizenNotifier | None, session: AsyncSession, r: Reservation, kind: str, text: str,
               actions: tuple[NoticeAction, ...] = ()) -> None:
    if notifier is not None and r.channel_user_id:
        await notifier.notify(session, Notice(r.channel_user_id, kind, text, r.number, actions))


def holding_status(unit: Unit, booker: Booker) -> str:
    return PENDING if unit.approval_required and not booker.is_staff else CONFIRMED


def snapshot(r: Reservation, equipment: Mapping[int, int] | None = None) -> dict[str, Any]:
    """A JSON-able view of a reservation for the operation log (no personal data)."""
    out: dict[str, Any] = {
        "number": r.number, "unit_id": r.unit_id, "day": r.day.isoformat(), "start_minute": r.start_minute,
        "end_minute": r.end_minute, "status": r.status, "people": r.people, "purpose": r.purpose, "fee": r.fee,
    }
    if equipment is not None:
        out["equipment"] = {str(k): v for k, v in sorted(equipment.items())}
    return out
