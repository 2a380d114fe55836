"""Facility management in the caller's transaction (``service.method(session, …)``): the staff API's view
opens ``db.write()``, calls these, writes its operation-log entry and commits.

Refusals are ``FacilityError`` (``kind``: ``invalid`` / ``duplicate`` / ``in_use``), with the field at
fault and a Japanese message for staff; the view turns them into its HTTP answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.booking.models import HOLDING, Reservation, ReservedEquipment
from civic.booking.occupancy import lock_facility
from civic.facilities.catalogue import touch
from civic.facilities.content import ContentError, parse_minute
from civic.facilities.models import (
    GRID_MINUTES,
    Area,
    CalendarDay,
    Equipment,
    Facility,
    FeeRule,
    Frame,
    OpeningHours,
    Purpose,
    Unit,
    UnitArea,
)


@dataclass
class FacilityError(Exception):
    kind: str  # "invalid", "duplicate", "in_use"
    message: str
    field: str | None = None


async def code_free(s: AsyncSession, model: type[Any], code: str, facility_id: int | None = None,
                    exclude: int | None = None) -> None:
    """``code`` is not used by another row of ``model`` (a table with ``id`` and ``code`` columns): a facility's
    across the town, an area's, unit's or equipment's within ``facility_id``."""
    q = select(model).where(model.code == code)
    if facility_id is not None:
        q = q.where(model.facility_id == facility_id)
    for other in (await s.exec(q)).all():
        if other.id != exclude:
            raise FacilityError("duplicate", f"コード {code} はすでに使われています。", "code")


async def has_reservations(s: AsyncSession, *where: Any) -> bool:
    """Whether any reservation (of any status, past ones too) matches ``where``."""
    return (await s.exec(select(func.count()).select_from(Reservation).where(*where))).one() > 0


def apply(f: Facility, data: dict[str, Any], now: datetime) -> None:
    """Set the given fields (``booking_opens_at`` as ``H:MM``) and bump the facility's revision."""
    if "booking_opens_at" in data:
        try:
            f.booking_opens_minute = parse_minute(data.pop("booking_opens_at"), "booking_opens_at")
        except ContentError as exc:
            raise FacilityError("invalid", str(exc).split(": ", 1)[-1], "booking_opens_at") from None
    if any(d not in range(7) for d in data.get("weekly_closed_days", [])):
        raise FacilityError("invalid", "曜日は 0（月）〜6（日）で指定してください。", "weekly_closed_days")
    for k, v in data.items():
        setattr(f, k, v)
    touch(f, now)


async def create(s: AsyncSession, data: dict[str, Any], now: datetime) -> Facility:
    """A new facility; without a ``display_order`` it is listed after the others (not first, above them)."""
    await code_free(s, Facility, data["code"])
    if "display_order" not in data:
        last = (await s.exec(select(func.max(Facility.display_order)))).one()
        data = {**data, "display_order": (last or 0) + 1}
    f = Facility(code="", name="", category="", created_at=now, updated_at=now)
    apply(f, data, now)
    s.add(f)
    await s.flush()
    return f


async def update(s: AsyncSession, f: Facility, data: dict[str, Any], now: datetime) -> Facility:
    if "code" in data:
        await code_free(s, Facility, data["code"], exclude=f.id)
    apply(f, data, now)
    s.add(f)
    return f


async def remove(s: AsyncSession, f: Facility) -> None:
    """Delete a facility with everything under it; one with any reservation on record is refused."""
    fid = f.id
    if await has_reservations(s, Reservation.facility_id == fid):
        raise FacilityError("in_use", "予約の記録がある施設は削除できません。非公開（visibility=private）にしてください。")
    units = [u.id for u in (await s.exec(select(Unit).where(Unit.facility_id == fid))).all() if u.id is not None]
    if units:
        await s.exec(delete(UnitArea).where(col(UnitArea.unit_id).in_(units)))
        await s.exec(delete(FeeRule).where(col(FeeRule.unit_id).in_(units)))
    for model, facility_column in ((Frame, Frame.facility_id), (Equipment, Equipment.facility_id),
                                   (Purpose, Purpose.facility_id), (CalendarDay, CalendarDay.facility_id),
                                   (OpeningHours, OpeningHours.facility_id), (Unit, Unit.facility_id),
                                   (Area, Area.facility_id)):
        await s.exec(delete(model).where(col(facility_column) == fid))
    await s.delete(f)


# ---- units and their shared areas ------------------------------------------------------------


def check_unit(u: Unit) -> None:
    """Durations on the booking grid; the shortest no longer than the longest."""
    for name in ("slot_minutes", "min_minutes", "max_minutes"):
        v = getattr(u, name)
        if v is not None and v % GRID_MINUTES:
            raise FacilityError("invalid", f"{GRID_MINUTES}分の倍数で指定してください。", name)
    if u.min_minutes and u.max_minutes and u.min_minutes > u.max_minutes:
        raise FacilityError("invalid", "最短時間より短くできません。", "max_minutes")


async def unit_area_ids(s: AsyncSession, unit_id: int) -> list[int]:
    return sorted((await s.exec(select(UnitArea.area_id).where(UnitArea.unit_id == unit_id))).all())


def own_area_code(unit_id: int) -> str:
    """The code of the area made for a unit that shares none (``unit-46``)."""
    return f"unit-{unit_id}"


def is_own_area(area: Area, unit: Unit) -> bool:
    """Made for ``unit`` alone: here ``unit-<id>``, by the content loader the unit's own code."""
    return area.facility_id == unit.facility_id and area.code in (own_area_code(unit.id or 0), unit.code)


async def own_area(s: AsyncSession, unit: Unit) -> Area | None:
    """The area made for ``unit`` alone, while no other unit uses it."""
    others = select(UnitArea.area_id).where(UnitArea.unit_id != unit.id)
    return (await s.exec(select(Area).where(Area.facility_id == unit.facility_id,
                                            col(Area.code).in_([own_area_code(unit.id or 0), unit.code]),
                                            col(Area.id).not_in(others))
                         .order_by(col(Area.id)))).first()


async def set_unit_areas(s: AsyncSession, unit: Unit, area_ids: list[int]) -> list[int]:
    """The physical areas ``unit`` occupies (whole and half courts share them: 国富町 spec §8 表3 no.6);
    none given: an area of its own (the one it had before, if any)."""
    if not area_ids:
        own = await own_area(s, unit)
        if own is None:
            own = Area(facility_id=unit.facility_id, code=own_area_code(unit.id or 0), name=unit.name)
            s.add(own)
            await s.flush()
        area_ids = [own.id or 0]
    found = (await s.exec(select(Area).where(col(Area.id).in_(area_ids)))).all()
    if len(found) != len(set(area_ids)) or any(a.facility_id != unit.facility_id for a in found):
        raise FacilityError("invalid", "この施設にないエリアが指定されています。", "area_ids")
    await s.exec(delete(UnitArea).where(col(UnitArea.unit_id) == unit.id))
    for aid in sorted(set(area_ids)):
        s.add(UnitArea(unit_id=unit.id or 0, area_id=aid))
    return sorted(set(area_ids))


async def create_unit(s: AsyncSession, facility_id: int, data: dict[str, Any], now: datetime) -> tuple[Unit, list[int]]:
    """A unit of the facility with its areas; returns it and its area ids."""
    area_ids = data.pop("area_ids")
    await code_free(s, Unit, data["code"], facility_id)
    u = Unit(facility_id=facility_id, **data)
    check_unit(u)
    s.add(u)
    await s.flush()
    areas = await set_unit_areas(s, u, area_ids)
    await touch_facility(s, facility_id, now)
    return u, areas


async def update_unit(s: AsyncSession, u: Unit, data: dict[str, Any], now: datetime) -> list[int]:
    """Set the given fields; new areas only while no upcoming booking holds the unit. Returns its area ids."""
    uid = u.id or 0
    areas = await unit_area_ids(s, uid)
    if "code" in data:
        await code_free(s, Unit, data["code"], u.facility_id, exclude=uid)
    area_ids = data.pop("area_ids", None)
    own = await own_area(s, u)  # found before the code may change
    for k, v in data.items():
        setattr(u, k, v)
    check_unit(u)
    s.add(u)
    if own is not None and (own.id in areas or area_ids == []):
        own.code, own.name = own_area_code(uid), u.name  # still its own after a change of code or name
        s.add(own)
        if area_ids == []:
            area_ids = [own.id or 0]  # none, as before: its own area, unchanged
    if area_ids is not None and sorted(set(area_ids)) != areas:
        await lock_facility(s, u.facility_id)  # no booking of this facility slips in meanwhile
        if await has_reservations(s, Reservation.unit_id == uid, col(Reservation.status).in_(HOLDING),
                                  Reservation.ends_at > now):
            raise FacilityError("in_use", "今後の予約がある室場の共有エリアは変更できません。", "area_ids")
        areas = await set_unit_areas(s, u, area_ids)
    await touch_facility(s, u.facility_id, now)
    return areas


async def remove_unit(s: AsyncSession, u: Unit, now: datetime) -> None:
    """Delete a unit with its fees, frames, equipment, purposes and calendar; one ever booked is refused."""
    uid = u.id
    if await has_reservations(s, Reservation.unit_id == uid):
        raise FacilityError("in_use", "予約の記録がある室場は削除できません。非公開（visibility=private）にしてください。")
    await touch_facility(s, u.facility_id, now)
    for model, unit_column in ((UnitArea, UnitArea.unit_id), (FeeRule, FeeRule.unit_id),
                               (Frame, Frame.unit_id), (Equipment, Equipment.unit_id),
                               (Purpose, Purpose.unit_id), (CalendarDay, CalendarDay.unit_id)):
        await s.exec(delete(model).where(col(unit_column) == uid))
    own = await own_area(s, u)
    if own is not None and not (await s.exec(select(UnitArea).where(UnitArea.area_id == own.id))).first():
        await s.delete(own)  # the area made for this unit alone goes with it
    await s.delete(u)


# ---- areas ---------------------------------------------------------------------------------


async def create_area(s: AsyncSession, facility_id: int, data: dict[str, Any], now: datetime) -> Area:
    await code_free(s, Area, data["code"], facility_id)
    a = Area(facility_id=facility_id, **data)
    s.add(a)
    await s.flush()
    await touch_facility(s, facility_id, now)
    return a


async def update_area(s: AsyncSession, a: Area, data: dict[str, Any], now: datetime) -> Area:
    if "code" in data:
        await code_free(s, Area, data["code"], a.facility_id, exclude=a.id)
    for k, v in data.items():
        setattr(a, k, v)
    s.add(a)
    await touch_facility(s, a.facility_id, now)
    return a


async def remove_area(s: AsyncSession, a: Area, now: datetime) -> None:
    """Delete an area no unit uses."""
    if (await s.exec(select(UnitArea).where(UnitArea.area_id == a.id))).first():
        raise FacilityError("in_use", "このエリアを使っている室場があるため削除できません。")
    await touch_facility(s, a.facility_id, now)
    await s.delete(a)


# ---- opening hours --------------------------------------------------------------------------


async def opening_hours(s: AsyncSession, facility_id: int) -> dict[str, tuple[int, int]]:
    rows = (await s.exec(select(OpeningHours).where(OpeningHours.facility_id == facility_id))).all()
    return {h.day_type: (h.open_minute, h.close_minute) for h in rows}


async def set_opening_hours(s: AsyncSession, facility_id: int, hours: dict[str, tuple[int, int]],
                            now: datetime) -> None:
    """Replace the facility's opening hours (day type → open, close minute; a day type left out is closed)."""
    for h in (await s.exec(select(OpeningHours).where(OpeningHours.facility_id == facility_id))).all():
        await s.delete(h)
    await s.flush()
    for d, (o, c) in hours.items():
        s.add(OpeningHours(facility_id=facility_id, day_type=d, open_minute=o, close_minute=c))
    await touch_facility(s, facility_id, now)


async def touch_facility(s: AsyncSession, facility_id: int | None, now: datetime) -> None:
    """Every change under a facility bumps its revision (cached catalogues then reload)."""
    f = await s.get(Facility, facility_id) if facility_id is not None else None
    if f is not None:
        touch(f, now)
        s.add(f)


# ---- settings under a facility: frames, fees, equipment, purposes, calendar days ------------------------------

#: A setting row: ``Frame``, ``FeeRule`` (under a unit), ``Equipment``, ``Purpose`` or ``CalendarDay``.
Setting = Frame | FeeRule | Equipment | Purpose | CalendarDay
S = TypeVar("S", Frame, FeeRule, Equipment, Purpose, CalendarDay)


async def facility_of(s: AsyncSession, row: Setting) -> int | None:
    """The facility a setting belongs to (a fee through its unit; a town holiday: none)."""
    if isinstance(row, FeeRule):
        u = await s.get(Unit, row.unit_id)
        return u.facility_id if u else None
    return row.facility_id


async def unit_in_facility(s: AsyncSession, facility_id: int | None, unit_id: int | None) -> None:
    """A setting's ``unit_id`` names a unit of its own facility (or none: the whole facility)."""
    if unit_id is None:
        return
    u = await s.get(Unit, unit_id)
    if u is None or u.facility_id != facility_id:
        raise FacilityError("invalid", f"室場（ID {unit_id}）はこの施設にありません。", "unit_id")


async def _revised(s: AsyncSession, row: Setting, facility_id: int | None, now: datetime) -> None:
    if not isinstance(row, CalendarDay):  # calendar days are read fresh, not from the cached catalogue
        await touch_facility(s, facility_id, now)


async def add_setting(s: AsyncSession, row: S, now: datetime) -> S:
    """Add ``row`` (its unit within its facility, its code unused there) and bump the facility's revision."""
    facility_id = await facility_of(s, row)
    if not isinstance(row, FeeRule):
        await unit_in_facility(s, facility_id, row.unit_id)
    if isinstance(row, Equipment):
        await code_free(s, Equipment, row.code, facility_id)
    s.add(row)
    await s.flush()
    await _revised(s, row, facility_id, now)
    return row


async def change_setting(s: AsyncSession, row: S, data: dict[str, Any], now: datetime) -> S:
    """Set the given fields of ``row``, checked as ``add_setting`` checks a new one."""
    facility_id = await facility_of(s, row)
    if "unit_id" in data and not isinstance(row, FeeRule):
        await unit_in_facility(s, facility_id, data["unit_id"])
    if "code" in data:
        await code_free(s, type(row), data["code"], facility_id, exclude=row.id)
    for k, v in data.items():
        setattr(row, k, v)
    s.add(row)
    await _revised(s, row, facility_id, now)
    return row


async def remove_setting(s: AsyncSession, row: Setting, now: datetime) -> None:
    """Delete ``row``; equipment ever booked is refused (it is stopped with ``active=false`` instead)."""
    if isinstance(row, Equipment) and (await s.exec(select(func.count()).select_from(ReservedEquipment).where(
            ReservedEquipment.equipment_id == row.id))).one():
        raise FacilityError("in_use", "予約で使われたことのある備品は削除できません。active=false で貸出を止めてください。")
    await _revised(s, row, await facility_of(s, row), now)
    await s.delete(row)
