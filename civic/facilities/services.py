"""Facility management in the caller's transaction (``service.method(session, …)``): the staff API's view
opens ``db.write()``, calls these, writes its operation-log entry and commits.

Refusals are ``FacilityError`` (``kind``: ``invalid`` / ``duplicate`` / ``in_use``), with the field at
fault and a Japanese message for staff; the view turns them into its HTTP answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.booking.models import Reservation
from civic.facilities.catalogue import touch
from civic.facilities.content import ContentError, parse_minute
from civic.facilities.models import (
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


async def code_free(s: AsyncSession, code: str, exclude: int | None = None) -> None:
    """A facility code is unique across the town."""
    for other in (await s.exec(select(Facility).where(Facility.code == code))).all():
        if other.id != exclude:
            raise FacilityError("duplicate", f"コード {code} はすでに使われています。", "code")


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
    await code_free(s, data["code"])
    f = Facility(code="", name="", category="", created_at=now, updated_at=now)
    apply(f, data, now)
    s.add(f)
    await s.flush()
    return f


async def update(s: AsyncSession, f: Facility, data: dict[str, Any], now: datetime) -> Facility:
    if "code" in data:
        await code_free(s, data["code"], exclude=f.id)
    apply(f, data, now)
    s.add(f)
    return f


async def remove(s: AsyncSession, f: Facility) -> None:
    """Delete a facility with everything under it; one with any reservation on record is refused."""
    fid = f.id
    booked = (await s.exec(select(func.count()).select_from(Reservation).where(Reservation.facility_id == fid))).one()
    if booked:
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
