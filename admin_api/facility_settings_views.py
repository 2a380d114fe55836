"""Staff API, facility settings: frames, fees, equipment, purposes, the calendar and its CSV import.

Part of the facilities feature: ``facility_views.router`` includes this module's ``router``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import jpholiday
from pydantic import BaseModel
from sqlmodel import col, or_, select

from admin_api.booking_common import (
    MANAGE,
    VIEW,
    changes,
    invalid,
    log,
    range_of,
    refused_as_api,
)
from admin_api.booking_schemas import (
    CalendarDayIn,
    CalendarDayOut,
    CalendarImportOut,
    CalendarQuery,
    EquipmentIn,
    EquipmentOut,
    EquipmentPatch,
    FeeRuleIn,
    FeeRuleOut,
    FeeRulePatch,
    FrameIn,
    FrameOut,
    FramePatch,
    HolidayOut,
    HolidayQuery,
    PurposeIn,
    PurposeOut,
    PurposePatch,
    span,
)
from admin_api.errors import ApiError
from admin_api.facility_scope import check, owned, scope, whole_town
from admin_api.routing import ApiRouter, Call
from civic.facilities import services as facilities
from civic.facilities.csvio import import_calendar_csv
from civic.facilities.models import (
    CAL_HOLIDAY,
    CalendarDay,
    Equipment,
    Facility,
    FeeRule,
    Frame,
    Purpose,
    Unit,
)
from civic.facilities.services import S, Setting

ID = r"{id:\d+}"


def frame_out(f: Frame) -> FrameOut:
    return FrameOut(id=f.id or 0, facility_id=f.facility_id, unit_id=f.unit_id, day_types=list(f.day_types),
                    time=span(f.start_minute, f.end_minute), label=f.label)


def fee_out(r: FeeRule) -> FeeRuleOut:
    return FeeRuleOut(id=r.id or 0, unit_id=r.unit_id, resident_type=r.resident_type, day_types=list(r.day_types),
                      time=span(r.start_minute, r.end_minute), per_hour=r.per_hour, flat=r.flat, label=r.label)


def equipment_out(e: Equipment) -> EquipmentOut:
    return EquipmentOut.model_validate(e.model_dump())


def purpose_out(p: Purpose) -> PurposeOut:
    return PurposeOut.model_validate(p.model_dump())


def calendar_out(c: CalendarDay) -> CalendarDayOut:
    timed = c.start_minute is not None and c.end_minute is not None
    return CalendarDayOut(id=c.id or 0, facility_id=c.facility_id, unit_id=c.unit_id, day=c.day, kind=c.kind,
                          time=span(c.start_minute or 0, c.end_minute or 0) if timed else None, reason=c.reason)


def _with_time(data: dict[str, Any]) -> dict[str, Any]:
    if "time" in data:
        text = data.pop("time")
        if text is None:
            data["start_minute"] = data["end_minute"] = None
        else:
            data["start_minute"], data["end_minute"] = range_of(text, "time")
    return data


router = ApiRouter("facilities")


Out = Callable[[Any], BaseModel]


async def _create(call: Call, parent: type[Facility] | type[Unit], make: Callable[[int], S], target: str,
                  out: Out) -> Any:
    """A setting under the facility (or unit) of the path, made by ``make(parent id)``, with its log entry."""
    parent_id = call.path_int("id")
    async with call.ctx.db.write() as s:
        await owned(s, call, parent, parent_id, "施設" if parent is Facility else "室場")
        row = await refused_as_api(facilities.add_setting(s, make(parent_id), call.ctx.clock.now()))
        after = out(row)
        await log(s, call, f"{target}.create", f"{target}:{row.id}", None, after)
    return after


async def _update(call: Call, model: type[Setting], label: str, target: str, out: Out) -> Any:
    ident = call.path_int("id")
    data = _with_time(changes(call.body))
    async with call.ctx.db.write() as s:
        row = await owned(s, call, model, ident, label)
        before = out(row)
        after = out(await refused_as_api(facilities.change_setting(s, row, data, call.ctx.clock.now())))
        await log(s, call, f"{target}.update", f"{target}:{ident}", before, after)
    return after


async def _delete(call: Call, model: type[Setting], label: str, target: str, out: Out) -> None:
    ident = call.path_int("id")
    async with call.ctx.db.write() as s:
        row = await owned(s, call, model, ident, label)
        before = out(row)
        await refused_as_api(facilities.remove_setting(s, row, call.ctx.clock.now()))
        await log(s, call, f"{target}.delete", f"{target}:{ident}", before, None)


# ---- frames --------------------------------------------------------------------------

@router.route("POST", f"/facilities/{ID}/frames", summary="予約枠の登録（unit_id 空欄で施設共通）", permission=MANAGE,
              body=FrameIn, response=FrameOut, status=201)
async def create_frame(call: Call) -> FrameOut:
    return await _create(call, Facility, lambda fid: Frame(facility_id=fid, **_with_time(call.body.model_dump())),
                         "frame", frame_out)


@router.route("PATCH", f"/frames/{ID}", summary="予約枠の変更", permission=MANAGE, body=FramePatch, response=FrameOut)
async def update_frame(call: Call) -> FrameOut:
    return await _update(call, Frame, "予約枠", "frame", frame_out)


@router.route("DELETE", f"/frames/{ID}", summary="予約枠の削除（既存の予約はそのまま残ります）", permission=MANAGE)
async def delete_frame(call: Call) -> None:
    await _delete(call, Frame, "予約枠", "frame", frame_out)


# ---- fees ----------------------------------------------------------------------------

@router.route("POST", f"/units/{ID}/fees", summary="使用料の登録（利用者区分・曜日区分・時間帯ごと）",
              permission=MANAGE, body=FeeRuleIn, response=FeeRuleOut, status=201)
async def create_fee(call: Call) -> FeeRuleOut:
    return await _create(call, Unit, lambda uid: FeeRule(unit_id=uid, **_with_time(call.body.model_dump())),
                         "fee", fee_out)


@router.route("PATCH", f"/fees/{ID}", summary="使用料の変更", permission=MANAGE, body=FeeRulePatch,
              response=FeeRuleOut)
async def update_fee(call: Call) -> FeeRuleOut:
    return await _update(call, FeeRule, "使用料", "fee", fee_out)


@router.route("DELETE", f"/fees/{ID}", summary="使用料の削除", permission=MANAGE)
async def delete_fee(call: Call) -> None:
    await _delete(call, FeeRule, "使用料", "fee", fee_out)


# ---- equipment -----------------------------------------------------------------------

@router.route("POST", f"/facilities/{ID}/equipment", summary="備品・附属設備の登録（数量・単位・料金）",
              permission=MANAGE, body=EquipmentIn, response=EquipmentOut, status=201)
async def create_equipment(call: Call) -> EquipmentOut:
    return await _create(call, Facility, lambda fid: Equipment(facility_id=fid, **call.body.model_dump()),
                         "equipment", equipment_out)


@router.route("PATCH", f"/equipment/{ID}", summary="備品・附属設備の変更（数量を減らすと以後の予約に反映）",
              permission=MANAGE, body=EquipmentPatch, response=EquipmentOut)
async def update_equipment(call: Call) -> EquipmentOut:
    return await _update(call, Equipment, "備品", "equipment", equipment_out)


@router.route("DELETE", f"/equipment/{ID}", summary="備品・附属設備の削除（予約されたことがあれば active=false に）",
              permission=MANAGE)
async def delete_equipment(call: Call) -> None:
    await _delete(call, Equipment, "備品", "equipment", equipment_out)


# ---- purposes ------------------------------------------------------------------------

@router.route("POST", f"/facilities/{ID}/purposes", summary="利用目的の登録（unit_id 空欄で施設共通）",
              permission=MANAGE, body=PurposeIn, response=PurposeOut, status=201)
async def create_purpose(call: Call) -> PurposeOut:
    return await _create(call, Facility, lambda fid: Purpose(facility_id=fid, **call.body.model_dump()),
                         "purpose", purpose_out)


@router.route("PATCH", f"/purposes/{ID}", summary="利用目的の変更", permission=MANAGE, body=PurposePatch,
              response=PurposeOut)
async def update_purpose(call: Call) -> PurposeOut:
    return await _update(call, Purpose, "利用目的", "purpose", purpose_out)


@router.route("DELETE", f"/purposes/{ID}", summary="利用目的の削除", permission=MANAGE)
async def delete_purpose(call: Call) -> None:
    await _delete(call, Purpose, "利用目的", "purpose", purpose_out)


# ---- calendar ------------------------------------------------------------------------

@router.route("GET", "/calendar-days", summary="休館日・利用不可・町の祝日・臨時開館の一覧", permission=VIEW,
              query=CalendarQuery, response=list[CalendarDayOut])
async def list_calendar_days(call: Call) -> list[CalendarDayOut]:
    q = select(CalendarDay).order_by(col(CalendarDay.day), col(CalendarDay.id))
    if call.query.facility_id is not None:
        check(call, call.query.facility_id, "施設", call.query.facility_id, "facility_id")
        q = q.where(or_(col(CalendarDay.facility_id) == call.query.facility_id,
                        col(CalendarDay.facility_id).is_(None)))
    elif (mine := scope(call)) is not None:  # the town's holidays, and the caller's facilities' days
        q = q.where(or_(col(CalendarDay.facility_id).in_(sorted(mine)), col(CalendarDay.facility_id).is_(None)))
    if call.query.date_from:
        q = q.where(CalendarDay.day >= call.query.date_from)
    if call.query.date_to:
        q = q.where(CalendarDay.day <= call.query.date_to)
    async with call.ctx.db.read() as s:
        return [calendar_out(c) for c in (await s.exec(q.limit(2000))).all()]


@router.route("POST", "/calendar-days", summary="休館日・利用不可時間・町の祝日・臨時開館の登録", permission=MANAGE,
              body=CalendarDayIn, response=CalendarDayOut, status=201)
async def create_calendar_day(call: Call) -> CalendarDayOut:
    body = call.body
    if body.facility_id is None and body.kind != CAL_HOLIDAY:
        raise invalid("facility_id", "休館・利用不可・臨時開館には施設を指定してください。")
    if body.unit_id is not None and body.facility_id is None:
        raise invalid("facility_id", "室場を指定するときは施設も指定してください。")
    if body.facility_id is None:
        whole_town(call, "町全体の祝日の登録")
    async with call.ctx.db.write() as s:
        if body.facility_id is not None:
            await owned(s, call, Facility, body.facility_id, "施設")
        c = await refused_as_api(facilities.add_setting(s, CalendarDay(**_with_time(body.model_dump())),
                                                        call.ctx.clock.now()))
        out = calendar_out(c)
        await log(s, call, "calendar.create", f"calendar_day:{c.id}", None, out)
    return out


@router.route("DELETE", f"/calendar-days/{ID}", summary="休館日などの削除", permission=MANAGE)
async def delete_calendar_day(call: Call) -> None:
    await _delete(call, CalendarDay, "カレンダーの登録", "calendar_day", calendar_out)


@router.route("POST", "/calendar-days/import",
              summary="カレンダーCSVの取込（text/csv、列: 日付,施設コード,室場コード,区分,時間帯,理由。1件でも誤りがあれば全件取り込みません）",
              permission=MANAGE, response=CalendarImportOut, status=201,
              consumes=("text/csv", "application/octet-stream", "text/plain"))
async def import_calendar(call: Call) -> CalendarImportOut:
    whole_town(call, "カレンダーCSVの取込（どの施設の行も含められるため）")
    try:
        text = call.body.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("csv", "CSV は UTF-8 で保存してください（Excel では「CSV UTF-8」）。") from None
    async with call.ctx.db.write() as s:
        result = await import_calendar_csv(s, text)
        if result.errors:
            shown = result.errors[:20]
            more = f"\nほか{len(result.errors) - 20}件" if len(result.errors) > 20 else ""
            raise ApiError(422, "invalid_csv", "\n".join(shown) + more, "csv")
        out = CalendarImportOut(created=result.created, skipped=result.skipped)
        await log(s, call, "calendar.import", "calendar_day:*", None, out)
    return out


@router.route("GET", "/holidays", summary="祝日の一覧（国民の祝日と町が登録した休日）", permission=VIEW,
              query=HolidayQuery, response=list[HolidayOut])
async def list_holidays(call: Call) -> list[HolidayOut]:
    year = call.query.year
    async with call.ctx.db.read() as s:
        town = (await s.exec(select(CalendarDay).where(
            col(CalendarDay.facility_id).is_(None), CalendarDay.kind == CAL_HOLIDAY,
            CalendarDay.day >= date(year, 1, 1), CalendarDay.day < date(year + 1, 1, 1)))).all()
    out = [HolidayOut(day=d, name=name, source="national") for d, name in jpholiday.year_holidays(year)]
    out += [HolidayOut(day=c.day, name=c.reason or "町の休日", source="town") for c in town]
    return sorted(out, key=lambda h: h.day)
