"""Staff API: facilities and everything about them (表3 no.3–15, 17–18, 21–22, 25).

``facility_router(db, clock, audit)`` returns the router to pass to ``create_admin_app``.
Permissions: ``facilities.read`` (read, CSV export), ``facilities.edit`` (every change). Every
change is written to the operation log in the same transaction.
"""

from __future__ import annotations

from aiohttp import web
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from admin_api.booking_common import (
    MANAGE,
    VIEW,
    changes,
    code_free,
    csv_response,
    facility_out,
    get_or_404,
    has_reservations,
    invalid,
    log,
    range_of,
    refused_as_api,
    touch_facility,
    unit_out,
)
from admin_api.booking_schemas import (
    AreaIn,
    AreaOut,
    AreaPatch,
    FacilityDetail,
    FacilityIn,
    FacilityOut,
    FacilityPatch,
    HoursIn,
    UnitIn,
    UnitOut,
    UnitPatch,
    span,
)
from admin_api.errors import ApiError
from admin_api.facility_settings_views import (
    add_setting_routes,
    equipment_out,
    fee_out,
    frame_out,
    purpose_out,
)
from admin_api.routing import ApiRouter, Call
from civic.booking.audit import AuditLog
from civic.booking.models import HOLDING, Reservation
from civic.booking.occupancy import lock_facility
from civic.clock import Clock
from civic.database import Database
from civic.facilities import services as facilities
from civic.facilities.catalogue import load_catalogue
from civic.facilities.csvio import export_facilities_csv, export_units_csv
from civic.facilities.models import (
    DAY_TYPES,
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

ID = r"{id:\d+}"


def facility_router(db: Database, clock: Clock, audit: AuditLog) -> ApiRouter:
    """Facilities, opening hours, shared areas, units; then frames, fees, equipment, purposes, calendar."""
    router = ApiRouter("facilities")

    # ---- facilities ----------------------------------------------------------------------

    @router.route("GET", "/facilities", summary="施設の一覧", permission=VIEW, response=list[FacilityOut])
    async def list_facilities(call: Call) -> list[FacilityOut]:
        async with db.read() as s:
            rows = (await s.exec(select(Facility).order_by(col(Facility.display_order), col(Facility.id)))).all()
        return [facility_out(f) for f in rows]

    @router.route("POST", "/facilities", summary="施設の登録", permission=MANAGE, body=FacilityIn,
                  response=FacilityOut, status=201)
    async def create_facility(call: Call) -> FacilityOut:
        async with db.write() as s:
            f = await refused_as_api(facilities.create(s, call.body.model_dump(), clock.now()))
            out = facility_out(f)
            await log(audit, s, call, "facility.create", f"facility:{f.id}", None, out)
        return out

    @router.route("GET", f"/facilities/{ID}", summary="施設の詳細（室場・枠・料金・備品など）", permission=VIEW,
                  response=FacilityDetail)
    async def get_facility(call: Call) -> FacilityDetail:
        fid = call.path_int("id")
        async with db.read() as s:
            await get_or_404(s, Facility, fid, "施設")
            b = (await load_catalogue(s, [fid])).facilities[fid]
        return FacilityDetail(
            facility=facility_out(b.facility),
            areas=[AreaOut(id=a.id or 0, facility_id=fid, code=a.code, name=a.name) for a in b.areas],
            units=[unit_out(u, list(b.areas_of(u.id or 0))) for u in b.units],
            hours=HoursIn(**{d: span(h.open_minute, h.close_minute) for d, h in b.hours.items()}),
            frames=[frame_out(f) for f in b.frames], fees=[fee_out(r) for rs in b.fees.values() for r in rs],
            equipment=[equipment_out(e) for e in b.equipment], purposes=[purpose_out(p) for p in b.purposes])

    @router.route("PATCH", f"/facilities/{ID}", summary="施設の変更（予約条件・休館・遵守事項を含む）",
                  permission=MANAGE, body=FacilityPatch, response=FacilityOut)
    async def update_facility(call: Call) -> FacilityOut:
        fid = call.path_int("id")
        data = changes(call.body)
        async with db.write() as s:
            f = await get_or_404(s, Facility, fid, "施設")
            before = facility_out(f)
            after = facility_out(await refused_as_api(facilities.update(s, f, data, clock.now())))
            await log(audit, s, call, "facility.update", f"facility:{fid}", before, after)
        return after

    @router.route("DELETE", f"/facilities/{ID}", summary="施設の削除（予約のない施設のみ）", permission=MANAGE)
    async def delete_facility(call: Call) -> None:
        fid = call.path_int("id")
        async with db.write() as s:
            f = await get_or_404(s, Facility, fid, "施設")
            before = facility_out(f)
            await refused_as_api(facilities.remove(s, f))
            await log(audit, s, call, "facility.delete", f"facility:{fid}", before, None)

    @router.route("GET", "/facilities.csv", summary="施設情報のCSV出力", permission=VIEW, response=str,
                  produces="text/csv")
    async def facilities_csv(call: Call) -> web.Response:
        async with db.read() as s:
            text = export_facilities_csv(await load_catalogue(s))
        return csv_response(text, "facilities.csv")

    @router.route("GET", "/facility-units.csv", summary="室場一覧のCSV出力", permission=VIEW, response=str,
                  produces="text/csv")
    async def units_csv(call: Call) -> web.Response:
        async with db.read() as s:
            text = export_units_csv(await load_catalogue(s))
        return csv_response(text, "facility-units.csv")

    @router.route("PUT", f"/facilities/{ID}/hours", summary="開館時間の設定（曜日区分ごと、空欄は休館）",
                  permission=MANAGE, body=HoursIn, response=HoursIn)
    async def set_hours(call: Call) -> HoursIn:
        fid = call.path_int("id")
        async with db.write() as s:
            await get_or_404(s, Facility, fid, "施設")
            rows = (await s.exec(select(OpeningHours).where(OpeningHours.facility_id == fid))).all()
            before = HoursIn(**{h.day_type: span(h.open_minute, h.close_minute) for h in rows})
            parsed = {d: range_of(getattr(call.body, d), d) for d in DAY_TYPES if getattr(call.body, d)}
            for h in rows:
                await s.delete(h)
            await s.flush()
            for d, (o, c) in parsed.items():
                s.add(OpeningHours(facility_id=fid, day_type=d, open_minute=o, close_minute=c))
            after = HoursIn(**{d: span(o, c) for d, (o, c) in parsed.items()})
            await touch_facility(s, fid, clock.now())
            await log(audit, s, call, "facility.hours", f"facility:{fid}", before, after)
        return after

    # ---- areas & units -------------------------------------------------------------------

    @router.route("POST", f"/facilities/{ID}/areas", summary="共有エリアの登録（全面・半面で共有する物理的な場所）",
                  permission=MANAGE, body=AreaIn, response=AreaOut, status=201)
    async def create_area(call: Call) -> AreaOut:
        fid = call.path_int("id")
        async with db.write() as s:
            await get_or_404(s, Facility, fid, "施設")
            await code_free(s, Area, call.body.code, fid)
            a = Area(facility_id=fid, **call.body.model_dump())
            s.add(a)
            await s.flush()
            out = AreaOut(id=a.id or 0, facility_id=fid, code=a.code, name=a.name)
            await touch_facility(s, fid, clock.now())
            await log(audit, s, call, "area.create", f"area:{a.id}", None, out)
        return out

    @router.route("PATCH", f"/areas/{ID}", summary="共有エリアの変更", permission=MANAGE, body=AreaPatch,
                  response=AreaOut)
    async def update_area(call: Call) -> AreaOut:
        aid = call.path_int("id")
        data = changes(call.body)
        async with db.write() as s:
            a = await get_or_404(s, Area, aid, "エリア")
            before = AreaOut(id=aid, facility_id=a.facility_id, code=a.code, name=a.name)
            if "code" in data:
                await code_free(s, Area, data["code"], a.facility_id, exclude=aid)
            for k, v in data.items():
                setattr(a, k, v)
            s.add(a)
            after = AreaOut(id=aid, facility_id=a.facility_id, code=a.code, name=a.name)
            await touch_facility(s, a.facility_id, clock.now())
            await log(audit, s, call, "area.update", f"area:{aid}", before, after)
        return after

    @router.route("DELETE", f"/areas/{ID}", summary="共有エリアの削除（どの室場も使っていない場合）", permission=MANAGE)
    async def delete_area(call: Call) -> None:
        aid = call.path_int("id")
        async with db.write() as s:
            a = await get_or_404(s, Area, aid, "エリア")
            if (await s.exec(select(UnitArea).where(UnitArea.area_id == aid))).first():
                raise ApiError(409, "in_use", "このエリアを使っている室場があるため削除できません。")
            before = AreaOut(id=aid, facility_id=a.facility_id, code=a.code, name=a.name)
            await touch_facility(s, a.facility_id, clock.now())
            await s.delete(a)
            await log(audit, s, call, "area.delete", f"area:{aid}", before, None)

    async def set_unit_areas(s: AsyncSession, unit: Unit, area_ids: list[int]) -> list[int]:
        if not area_ids:
            own = Area(facility_id=unit.facility_id, code=f"unit-{unit.id}", name=unit.name)
            s.add(own)
            await s.flush()
            area_ids = [own.id or 0]
        found = (await s.exec(select(Area).where(col(Area.id).in_(area_ids)))).all()
        if len(found) != len(set(area_ids)) or any(a.facility_id != unit.facility_id for a in found):
            raise invalid("area_ids", "この施設にないエリアが指定されています。")
        await s.exec(delete(UnitArea).where(col(UnitArea.unit_id) == unit.id))
        for aid in sorted(set(area_ids)):
            s.add(UnitArea(unit_id=unit.id or 0, area_id=aid))
        return sorted(set(area_ids))

    async def unit_area_ids(s: AsyncSession, unit_id: int) -> list[int]:
        return sorted((await s.exec(select(UnitArea.area_id).where(UnitArea.unit_id == unit_id))).all())

    def check_unit(u: Unit) -> None:
        for name in ("slot_minutes", "min_minutes", "max_minutes"):
            v = getattr(u, name)
            if v is not None and v % GRID_MINUTES:
                raise invalid(name, f"{GRID_MINUTES}分の倍数で指定してください。")
        if u.min_minutes and u.max_minutes and u.min_minutes > u.max_minutes:
            raise invalid("max_minutes", "最短時間より短くできません。")

    @router.route("POST", f"/facilities/{ID}/units", summary="室場（部屋・面）の登録", permission=MANAGE, body=UnitIn,
                  response=UnitOut, status=201)
    async def create_unit(call: Call) -> UnitOut:
        fid = call.path_int("id")
        data = call.body.model_dump()
        area_ids = data.pop("area_ids")
        async with db.write() as s:
            await get_or_404(s, Facility, fid, "施設")
            await code_free(s, Unit, data["code"], fid)
            u = Unit(facility_id=fid, **data)
            check_unit(u)
            s.add(u)
            await s.flush()
            out = unit_out(u, await set_unit_areas(s, u, area_ids))
            await touch_facility(s, fid, clock.now())
            await log(audit, s, call, "unit.create", f"unit:{u.id}", None, out)
        return out

    @router.route("PATCH", f"/units/{ID}", summary="室場の変更（公開区分・予約方式・共有エリアなど）", permission=MANAGE,
                  body=UnitPatch, response=UnitOut)
    async def update_unit(call: Call) -> UnitOut:
        uid = call.path_int("id")
        data = changes(call.body)
        async with db.write() as s:
            u = await get_or_404(s, Unit, uid, "室場")
            before = unit_out(u, await unit_area_ids(s, uid))
            if "code" in data:
                await code_free(s, Unit, data["code"], u.facility_id, exclude=uid)
            area_ids = data.pop("area_ids", None)
            for k, v in data.items():
                setattr(u, k, v)
            check_unit(u)
            s.add(u)
            areas = before.area_ids
            if area_ids is not None and sorted(set(area_ids)) != before.area_ids:
                await lock_facility(s, u.facility_id)  # no booking of this facility slips in meanwhile
                if await has_reservations(s, Reservation.unit_id == uid, col(Reservation.status).in_(HOLDING),
                                          Reservation.ends_at > clock.now()):
                    raise ApiError(409, "in_use", "今後の予約がある室場の共有エリアは変更できません。", "area_ids")
                areas = await set_unit_areas(s, u, area_ids)
            after = unit_out(u, areas)
            await touch_facility(s, u.facility_id, clock.now())
            await log(audit, s, call, "unit.update", f"unit:{uid}", before, after)
        return after

    @router.route("DELETE", f"/units/{ID}", summary="室場の削除（予約のない室場のみ）", permission=MANAGE)
    async def delete_unit(call: Call) -> None:
        uid = call.path_int("id")
        async with db.write() as s:
            u = await get_or_404(s, Unit, uid, "室場")
            if await has_reservations(s, Reservation.unit_id == uid):
                raise ApiError(409, "in_use", "予約の記録がある室場は削除できません。非公開（visibility=private）にしてください。")
            before = unit_out(u, await unit_area_ids(s, uid))
            await touch_facility(s, u.facility_id, clock.now())
            for model, unit_column in ((UnitArea, UnitArea.unit_id), (FeeRule, FeeRule.unit_id),
                                       (Frame, Frame.unit_id), (Equipment, Equipment.unit_id),
                                       (Purpose, Purpose.unit_id), (CalendarDay, CalendarDay.unit_id)):
                await s.exec(delete(model).where(col(unit_column) == uid))
            await s.delete(u)
            await log(audit, s, call, "unit.delete", f"unit:{uid}", before, None)

    add_setting_routes(router, db, clock, audit)
    return router
