"""Staff API: facilities and everything about them (表3 no.3–15, 17–18, 21–22, 25).

``router`` is the feature's ``ApiRouter`` (with ``facility_settings_views``' routes); views take the database
and clock from ``call.ctx`` and leave the changes themselves to ``civic.facilities.services``.
Permissions: ``facilities.read`` (read, CSV export), ``facilities.edit`` (every change). Every
change is written to the operation log in the same transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from aiohttp import web
from sqlmodel import col, select

from admin_api.booking_common import (
    MANAGE,
    VIEW,
    changes,
    csv_response,
    facility_out,
    log,
    range_of,
    refused_as_api,
    unit_out,
)
from admin_api.booking_schemas import (
    AreaIn,
    AreaOut,
    AreaPatch,
    FacilityDetail,
    FacilityIn,
    FacilityKindOut,
    FacilityOut,
    FacilityPatch,
    HoursIn,
    UnitIn,
    UnitOut,
    UnitPatch,
    span,
)
from admin_api.errors import ApiError
from admin_api.facility_scope import limited, owned, scope, whole_town
from admin_api.facility_settings_views import equipment_out, fee_out, frame_out, purpose_out
from admin_api.facility_settings_views import router as settings_router
from admin_api.routing import ApiRouter, Call
from civic.facilities import services as facilities
from civic.facilities.catalogue import load_catalogue
from civic.facilities.csvio import export_facilities_csv, export_units_csv
from civic.facilities.models import DAY_TYPES, Area, Facility, Unit
from civic.staff import services as staff_accounts

ID = r"{id:\d+}"


router = ApiRouter("facilities")


def area_out(a: Area, own_unit_id: int | None = None) -> AreaOut:
    return AreaOut(id=a.id or 0, facility_id=a.facility_id, code=a.code, name=a.name, own_unit_id=own_unit_id)


def own_units(areas: list[Area], units: list[Unit], areas_of: Callable[[int], frozenset[int]]) -> dict[int, int]:
    """Area id → the unit it was made for alone, while no other unit uses it (the console does not list these)."""
    users: dict[int, set[int]] = {}
    for u in units:
        for aid in areas_of(u.id or 0):
            users.setdefault(aid, set()).add(u.id or 0)
    return {a.id or 0: u.id or 0 for a in areas for u in units
            if facilities.is_own_area(a, u) and users.get(a.id or 0, set()) <= {u.id}}


# ---- facilities ----------------------------------------------------------------------

@router.route("GET", "/facilities", summary="施設の一覧", permission=VIEW, response=list[FacilityOut])
async def list_facilities(call: Call) -> list[FacilityOut]:
    async with call.ctx.db.read() as s:
        rows = (await s.exec(limited(select(Facility), Facility.id, scope(call))
                             .order_by(col(Facility.display_order), col(Facility.id)))).all()
    return [facility_out(f) for f in rows]


@router.route("GET", "/facility-kinds", summary="施設の分類（町の定める分類と、使われている分類）", permission=VIEW,
              response=list[FacilityKindOut])
async def list_facility_kinds(call: Call) -> list[FacilityKindOut]:
    """The town's kinds first, in its order, then any other kind a facility has (a town's own word)."""
    async with call.ctx.db.read() as s:
        used = Counter((await s.exec(limited(select(Facility.category), Facility.id, scope(call)))).all())
    kinds = dict(call.ctx.facility_kinds)
    kinds.update({c: c for c in sorted(used) if c not in kinds})
    return [FacilityKindOut(code=c, label=label, facilities=used.get(c, 0)) for c, label in kinds.items()]


@router.route("POST", "/facilities", summary="施設の登録", permission=MANAGE, body=FacilityIn,
              response=FacilityOut, status=201)
async def create_facility(call: Call) -> FacilityOut:
    whole_town(call, "施設の新規登録")
    async with call.ctx.db.write() as s:
        data = call.body.model_dump(exclude=set() if "display_order" in call.body.model_fields_set else {"display_order"})
        f = await refused_as_api(facilities.create(s, data, call.ctx.clock.now()))
        out = facility_out(f)
        await log(s, call, "facility.create", f"facility:{f.id}", None, out)
    return out


@router.route("GET", f"/facilities/{ID}", summary="施設の詳細（室場・枠・料金・備品など）", permission=VIEW,
              response=FacilityDetail)
async def get_facility(call: Call) -> FacilityDetail:
    fid = call.path_int("id")
    async with call.ctx.db.read() as s:
        await owned(s, call, Facility, fid, "施設")
        b = (await load_catalogue(s, [fid])).facilities[fid]
    own = own_units(list(b.areas), list(b.units), b.areas_of)
    return FacilityDetail(
        facility=facility_out(b.facility),
        areas=[area_out(a, own.get(a.id or 0)) for a in b.areas],
        units=[unit_out(u, list(b.areas_of(u.id or 0))) for u in b.units],
        hours=HoursIn(**{d: span(h.open_minute, h.close_minute) for d, h in b.hours.items()}),
        frames=[frame_out(f) for f in b.frames], fees=[fee_out(r) for rs in b.fees.values() for r in rs],
        equipment=[equipment_out(e) for e in b.equipment], purposes=[purpose_out(p) for p in b.purposes])


@router.route("PATCH", f"/facilities/{ID}", summary="施設の変更（予約条件・休館・遵守事項を含む）",
              permission=MANAGE, body=FacilityPatch, response=FacilityOut)
async def update_facility(call: Call) -> FacilityOut:
    fid = call.path_int("id")
    data = changes(call.body)
    async with call.ctx.db.write() as s:
        f = await owned(s, call, Facility, fid, "施設")
        before = facility_out(f)
        after = facility_out(await refused_as_api(facilities.update(s, f, data, call.ctx.clock.now())))
        await log(s, call, "facility.update", f"facility:{fid}", before, after)
    return after


@router.route("DELETE", f"/facilities/{ID}", summary="施設の削除（予約のない施設のみ）", permission=MANAGE)
async def delete_facility(call: Call) -> None:
    fid = call.path_int("id")
    async with call.ctx.db.write() as s:
        f = await owned(s, call, Facility, fid, "施設")
        before = facility_out(f)
        if only := await staff_accounts.managing_only(s, fid):
            raise ApiError(409, "managed_by_staff", f"この施設だけを管理施設にしている職員がいます（{'、'.join(only)}）。"
                           "先に「職員・ロール」でその職員の管理施設を変更してください。")
        await refused_as_api(facilities.remove(s, f))
        await log(s, call, "facility.delete", f"facility:{fid}", before, None)


@router.route("GET", "/facilities.csv", summary="施設情報のCSV出力", permission=VIEW, response=str,
              produces="text/csv")
async def facilities_csv(call: Call) -> web.Response:
    async with call.ctx.db.read() as s:
        text = export_facilities_csv(await load_catalogue(s, scope(call)))
    return csv_response(text, "facilities.csv")


@router.route("GET", "/facility-units.csv", summary="室場一覧のCSV出力", permission=VIEW, response=str,
              produces="text/csv")
async def units_csv(call: Call) -> web.Response:
    async with call.ctx.db.read() as s:
        text = export_units_csv(await load_catalogue(s, scope(call)))
    return csv_response(text, "facility-units.csv")


@router.route("PUT", f"/facilities/{ID}/hours", summary="開館時間の設定（曜日区分ごと、空欄は休館）",
              permission=MANAGE, body=HoursIn, response=HoursIn)
async def set_hours(call: Call) -> HoursIn:
    fid = call.path_int("id")
    async with call.ctx.db.write() as s:
        await owned(s, call, Facility, fid, "施設")
        before = HoursIn(**{d: span(o, c) for d, (o, c) in (await facilities.opening_hours(s, fid)).items()})
        parsed = {d: range_of(getattr(call.body, d), d) for d in DAY_TYPES if getattr(call.body, d)}
        await facilities.set_opening_hours(s, fid, parsed, call.ctx.clock.now())
        after = HoursIn(**{d: span(o, c) for d, (o, c) in parsed.items()})
        await log(s, call, "facility.hours", f"facility:{fid}", before, after)
    return after


# ---- areas & units -------------------------------------------------------------------

@router.route("POST", f"/facilities/{ID}/areas", summary="共有エリアの登録（全面・半面で共有する物理的な場所）",
              permission=MANAGE, body=AreaIn, response=AreaOut, status=201)
async def create_area(call: Call) -> AreaOut:
    fid = call.path_int("id")
    async with call.ctx.db.write() as s:
        await owned(s, call, Facility, fid, "施設")
        out = area_out(await refused_as_api(facilities.create_area(s, fid, call.body.model_dump(),
                                                                    call.ctx.clock.now())))
        await log(s, call, "area.create", f"area:{out.id}", None, out)
    return out


@router.route("PATCH", f"/areas/{ID}", summary="共有エリアの変更", permission=MANAGE, body=AreaPatch,
              response=AreaOut)
async def update_area(call: Call) -> AreaOut:
    aid = call.path_int("id")
    data = changes(call.body)
    async with call.ctx.db.write() as s:
        a = await owned(s, call, Area, aid, "エリア")
        before = area_out(a)
        after = area_out(await refused_as_api(facilities.update_area(s, a, data, call.ctx.clock.now())))
        await log(s, call, "area.update", f"area:{aid}", before, after)
    return after


@router.route("DELETE", f"/areas/{ID}", summary="共有エリアの削除（どの室場も使っていない場合）", permission=MANAGE)
async def delete_area(call: Call) -> None:
    aid = call.path_int("id")
    async with call.ctx.db.write() as s:
        a = await owned(s, call, Area, aid, "エリア")
        before = area_out(a)
        await refused_as_api(facilities.remove_area(s, a, call.ctx.clock.now()))
        await log(s, call, "area.delete", f"area:{aid}", before, None)


@router.route("POST", f"/facilities/{ID}/units", summary="室場（部屋・面）の登録", permission=MANAGE, body=UnitIn,
              response=UnitOut, status=201)
async def create_unit(call: Call) -> UnitOut:
    fid = call.path_int("id")
    async with call.ctx.db.write() as s:
        await owned(s, call, Facility, fid, "施設")
        u, areas = await refused_as_api(facilities.create_unit(s, fid, call.body.model_dump(), call.ctx.clock.now()))
        out = unit_out(u, areas)
        await log(s, call, "unit.create", f"unit:{u.id}", None, out)
    return out


@router.route("PATCH", f"/units/{ID}", summary="室場の変更（公開区分・予約方式・共有エリアなど）", permission=MANAGE,
              body=UnitPatch, response=UnitOut)
async def update_unit(call: Call) -> UnitOut:
    uid = call.path_int("id")
    data = changes(call.body)
    async with call.ctx.db.write() as s:
        u = await owned(s, call, Unit, uid, "室場")
        before = unit_out(u, await facilities.unit_area_ids(s, uid))
        after = unit_out(u, await refused_as_api(facilities.update_unit(s, u, data, call.ctx.clock.now())))
        await log(s, call, "unit.update", f"unit:{uid}", before, after)
    return after


@router.route("DELETE", f"/units/{ID}", summary="室場の削除（予約のない室場のみ）", permission=MANAGE)
async def delete_unit(call: Call) -> None:
    uid = call.path_int("id")
    async with call.ctx.db.write() as s:
        u = await owned(s, call, Unit, uid, "室場")
        before = unit_out(u, await facilities.unit_area_ids(s, uid))
        await refused_as_api(facilities.remove_unit(s, u, call.ctx.clock.now()))
        await log(s, call, "unit.delete", f"unit:{uid}", before, None)


router.include(settings_router)  # frames, fees, equipment, purposes, calendar: the same "facilities" feature
