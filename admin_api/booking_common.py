"""Helpers shared by the facility and booking staff views."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from admin_api import downloads
from admin_api.booking_schemas import BookerOut, FacilityOut, ReservationOut, UnitOut, WaitlistOut, hm
from admin_api.errors import ApiError
from admin_api.routing import Call
from civic.booking import bookers
from civic.facilities.content import ContentError, parse_range
from civic.facilities.models import Facility, Unit
from civic.facilities.services import FacilityError
from civic.staff.privacy import Pseudonymizer, mask_value

VIEW, MANAGE = "facilities.read", "facilities.edit"
T = TypeVar("T")
NULLABLE = {"latitude", "longitude", "thumbnail_url", "guide_url", "max_active_per_booker", "max_per_day_per_booker",
            "capacity", "min_minutes", "max_minutes", "unit_id", "resident_type"}


def invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid", message, field)


async def refused_as_api(work: Awaitable[T]) -> T:
    """A ``civic.facilities.services`` refusal as the staff API answers it (422 invalid, 409 otherwise)."""
    try:
        return await work
    except FacilityError as exc:
        raise ApiError(422 if exc.kind == "invalid" else 409, exc.kind, exc.message, exc.field) from None


def range_of(text: str, field: str) -> tuple[int, int]:
    try:
        return parse_range(text, field)
    except ContentError as exc:
        raise invalid(field, str(exc).split(": ", 1)[-1]) from None


def booker_fields(data: dict[str, Any]) -> dict[str, Any]:
    """A blank LINE user id means none (the column is unique: two blanks would collide)."""
    if "channel_user_id" in data and not (data["channel_user_id"] or "").strip():
        data["channel_user_id"] = None
    return data


async def unique_channel_user(s: AsyncSession, channel_user_id: str | None) -> None:
    """A LINE user has one booker profile: a second one is refused, naming the field."""
    if channel_user_id and await bookers.profile_of(s, channel_user_id):
        raise ApiError(409, "duplicate", "このLINEユーザーIDの利用者はすでに登録されています。", "channel_user_id")


def changes(body: BaseModel) -> dict[str, Any]:
    data = body.model_dump(exclude_unset=True)
    for k, v in data.items():
        if v is None and k not in NULLABLE:
            raise invalid(k, "この項目は空にできません。")
    return data


async def get_or_404(s: AsyncSession, model: type[SQLModel], ident: int, label: str) -> Any:
    obj = await s.get(model, ident)
    if obj is None:
        raise ApiError(404, "not_found", f"{label}（ID {ident}）が見つかりません。")
    return obj


def facility_out(f: Facility) -> FacilityOut:
    data = f.model_dump()
    data["booking_opens_at"] = hm(f.booking_opens_minute)
    return FacilityOut.model_validate(data)


def unit_out(u: Unit, area_ids: list[int]) -> UnitOut:
    return UnitOut.model_validate({**u.model_dump(), "area_ids": sorted(area_ids)})


def dump(m: BaseModel | dict[str, Any] | None) -> dict[str, Any] | None:
    return m if m is None or isinstance(m, dict) else m.model_dump(mode="json")


async def log(s: AsyncSession, call: Call, action: str, target: str,
              before: BaseModel | dict[str, Any] | None, after: BaseModel | dict[str, Any] | None) -> None:
    """The route's one operation-log entry, in ``s`` (the change's transaction), through ``Call.audit``
    (the one audit path): the framework then writes none."""
    await call.audit(s, action, target, before=dump(before), after=dump(after))


async def unit_checked(s: AsyncSession, facility_id: int, unit_id: int | None, field: str = "unit_id") -> None:
    if unit_id is None:
        return
    u = await s.get(Unit, unit_id)
    if u is None or u.facility_id != facility_id:
        raise invalid(field, f"室場（ID {unit_id}）はこの施設にありません。")


def csv_response(text: str, filename: str) -> web.Response:
    return downloads.csv_response(filename, text.encode("utf-8"))


class Shown:
    """What the caller may see of bookings' personal data (``personal.view``, else masked)."""

    def __init__(self, call: Call, pseudonym: Pseudonymizer) -> None:
        self.call, self.pseudonym = call, pseudonym

    def reservation(self, out: ReservationOut) -> ReservationOut:
        if self.call.personal:
            return out
        r = self.call.redact
        return out.model_copy(update={
            "channel_user_id": self.pseudonym(out.channel_user_id), "applicant_name": mask_value(out.applicant_name),
            "applicant_phone": mask_value(out.applicant_phone), "purpose": r(out.purpose) or "",
            "activity": r(out.activity), "staff_note": r(out.staff_note), "cancel_reason": r(out.cancel_reason)})

    def waitlist(self, out: WaitlistOut) -> WaitlistOut:
        if self.call.personal:
            return out
        return out.model_copy(update={"channel_user_id": self.pseudonym(out.channel_user_id),
                                      "applicant_name": mask_value(out.applicant_name)})

    def booker(self, out: BookerOut) -> BookerOut:
        if self.call.personal:
            return out
        return out.model_copy(update={
            "channel_user_id": self.pseudonym(out.channel_user_id), "name": mask_value(out.name),
            "phone": mask_value(out.phone), "group_name": self.call.redact(out.group_name),
            "note": self.call.redact(out.note)})
