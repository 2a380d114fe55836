"""Staff limited to some facilities (国富町 表3 no.2 管理施設), enforced by the admin API itself.

A staff account may be given the facilities it manages (``staff_facility``; none: every facility); the
caller's ``Principal.facilities`` carries them. For a limited member:

* lists (facilities, bookings, closed days, waitlist, CSV lists and counts) hold only their facilities;
* any other facility — and its units, shared areas, frames, fees, equipment, purposes, hours, closed days,
  bookings and waitlist entries — answers **404**, word for word as an id that does not exist, so a limited
  member cannot learn which other facilities or bookings there are;
* what belongs to the whole town rather than to one facility (registering a new facility, the town's
  holidays, the calendar CSV import that may name any facility) answers **403** with a Japanese message.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from admin_api.errors import ApiError
from admin_api.routing import Call
from civic.facilities import services as facilities
from civic.facilities.models import Facility, Unit


def scope(call: Call) -> frozenset[int] | None:
    """The caller's facilities; ``None``: every facility."""
    return call.principal.facilities if call.principal is not None else None


def not_found(label: str, ident: int, field: str | None = None) -> ApiError:
    return ApiError(404, "not_found", f"{label}（ID {ident}）が見つかりません。", field)


def check(call: Call, facility_id: int | None, label: str, ident: int, field: str | None = None) -> None:
    """404, as for an unknown id, when the row's facility is not one the caller manages."""
    if call.principal is not None and not call.principal.manages(facility_id):
        raise not_found(label, ident, field)


def whole_town(call: Call, what: str) -> None:
    """403 for a member limited to some facilities: ``what`` concerns the whole town."""
    if scope(call) is not None:
        raise ApiError(403, "facility_scope",
                       f"{what}は、管理施設が限定された職員アカウントではできません（全施設を管理する職員に依頼してください）。")


async def facility_of(s: AsyncSession, row: Any) -> int | None:
    """The facility a facility-related row belongs to (``None``: the whole town's, such as a holiday)."""
    return row.id if isinstance(row, Facility) else await facilities.facility_of(s, row)


async def owned(s: AsyncSession, call: Call, model: type[SQLModel], ident: int, label: str) -> Any:
    """The row, or 404 when there is none or it belongs to a facility the caller does not manage."""
    row = await s.get(model, ident)
    if row is None:
        raise not_found(label, ident)
    facility_id = await facility_of(s, row)
    if facility_id is None:  # the whole town's (a holiday): seen by everyone, changed by those with every facility
        whole_town(call, f"町全体の{label}の変更")
    check(call, facility_id, label, ident)
    return row


async def unit_owned(s: AsyncSession, call: Call, unit_id: int, field: str = "unit_id") -> Unit:
    """A unit named in a request (a booking, an availability query), in the caller's facilities."""
    unit = await s.get(Unit, unit_id)
    if unit is None:
        raise not_found("室場", unit_id, field)
    check(call, unit.facility_id, "室場", unit_id, field)
    return unit


def wanted(call: Call, facility_id: int | None) -> frozenset[int] | None:
    """The facilities a list may show: the one asked for (404 if not the caller's), else the caller's."""
    if facility_id is not None:
        check(call, facility_id, "施設", facility_id, "facility_id")
        return frozenset({facility_id})
    return scope(call)


async def all_facility_ids(s: AsyncSession) -> set[int]:
    return {fid for fid in (await s.exec(select(Facility.id))).all() if fid is not None}


def limited(query: Any, column: Any, facilities: frozenset[int] | None) -> Any:
    """``query`` restricted to rows whose ``column`` is one of ``facilities`` (``None``: unchanged)."""
    return query if facilities is None else query.where(col(column).in_(sorted(facilities)))
