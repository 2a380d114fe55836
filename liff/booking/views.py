"""The LIFF booking page's JSON API (every handler acts for the verified LINE user ``request[USER]``).

Module-level views on ``BookingDeps`` (``request.config_dict[DEPS]``). Reads go through the
``BookingService`` (its catalogue cache, its own read transactions); every change is made in the
view's transaction: the view opens ``deps.db.write()`` and calls the service's session-taking
``*_in(session, …)`` methods, and the commit is the view's.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from aiohttp import web

from civic.booking.messages import hm
from civic.booking.models import SOURCE_LIFF
from civic.booking.services import BookingService, save_profile
from civic.booking.types import (
    BookingRequest,
    Cancelled,
    Refused,
    ReservationView,
    Reserved,
    Slot,
    SlotTaken,
    WaitlistJoined,
)
from civic.clock import Clock, tokyo
from civic.database import Database
from civic.facilities.models import PRIVATE, RESIDENT_TYPE_LABELS, RESIDENT_TYPES
from civic.inputs import loads_json
from civic.mypage.notices import MyPageNotifier
from liff.page import USER


@dataclass(frozen=True)
class BookingDeps:
    db: Database
    clock: Clock
    service: BookingService


DEPS = web.AppKey("liff_booking_deps", BookingDeps)
routes = web.RouteTableDef()


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False, default=str))


def _error(status: int, code: str, message: str, field: str | None = None, **extra: Any) -> web.Response:
    return _json({"error": {"code": code, "message": message, "field": field}, **extra}, status)


class BadInput(Exception):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message, self.field = message, field


def _int(value: Any, field: str, *, low: int = 0, high: int = 10**9) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise BadInput("数字で入力してください。", field) from None
    if not low <= n <= high:
        raise BadInput(f"{low}〜{high}の範囲で入力してください。", field)
    return n


def _date(value: Any, field: str = "day") -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise BadInput("日付が正しくありません。", field) from None


def _text(value: Any, field: str, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if len(text) > limit:
        raise BadInput(f"{limit}文字以内で入力してください。", field)
    return text or None


def slot_json(s: Slot) -> dict[str, Any]:
    return {"unit_id": s.unit_id, "unit_name": s.unit_name, "day": s.day.isoformat(), "start_minute": s.start_minute,
            "end_minute": s.end_minute, "time": f"{hm(s.start_minute)}〜{hm(s.end_minute)}", "label": s.label,
            "status": s.status}


def view_json(v: ReservationView) -> dict[str, Any]:
    data = asdict(v)
    data["day"] = v.day.isoformat()
    data["time"] = f"{hm(v.start_minute)}〜{hm(v.end_minute)}"
    data["equipment"] = [{"name": n, "quantity": q, "unit_label": u} for n, q, u in v.equipment]
    data["offer_expires_at"] = tokyo(v.offer_expires_at).isoformat() if v.offer_expires_at else None  # +09:00
    return data


def deps_of(request: web.Request) -> BookingDeps:
    return request.config_dict[DEPS]


async def body_of(request: web.Request) -> dict[str, Any]:
    try:
        data = loads_json(await request.read() or b"{}")
    except ValueError:
        raise BadInput("送信内容が正しくありません。", "body") from None
    if not isinstance(data, dict):
        raise BadInput("送信内容が正しくありません。", "body")
    return data


def request_of(data: dict[str, Any]) -> BookingRequest:
    equipment_raw = data.get("equipment") or {}
    if not isinstance(equipment_raw, dict):
        raise BadInput("備品の指定が正しくありません。", "equipment")
    equipment = {_int(k, "equipment"): _int(v, f"equipment.{k}", high=999) for k, v in equipment_raw.items()}
    return BookingRequest(
        unit_id=_int(data.get("unit_id"), "unit_id"), day=_date(data.get("day")),
        start_minute=_int(data.get("start_minute"), "start_minute", high=48 * 60),
        end_minute=_int(data.get("end_minute"), "end_minute", high=48 * 60),
        people=_int(data.get("people", 1), "people", low=1, high=10000),
        purpose=_text(data.get("purpose"), "purpose", 60) or "",
        activity=_text(data.get("activity"), "activity", 1000),
        equipment={k: v for k, v in equipment.items() if v > 0}, terms_accepted=bool(data.get("terms_accepted")))


def declared(data: dict[str, Any]) -> dict[str, str | None]:
    """What the citizen declares about themselves for this booking (checked)."""
    rt = data.get("resident_type")
    if rt is not None and rt not in RESIDENT_TYPES:
        raise BadInput("利用者区分を選んでください。", "resident_type")
    return {"resident_type": rt, "name": _text(data.get("name"), "name", 100),
            "phone": _text(data.get("phone"), "phone", 40)}


def confirmation_text(catalogue: Any, booking: BookingRequest, result: Reserved) -> str:
    b = catalogue.bundle_of_unit(booking.unit_id)
    unit = b.unit(booking.unit_id) if b else None
    where = f"{b.facility.name} {unit.name}" if b and unit else ""
    state = "承認待ち（職員が確認します）" if result.status == "pending" else "確定"
    return (f"予約番号：{result.number}\n施設：{where}\n日時：{booking.day.month}月{booking.day.day}日 "
            f"{hm(booking.start_minute)}〜{hm(booking.end_minute)}\n人数：{booking.people}人\n"
            f"料金：{result.fee:,}円\n状態：{state}\n変更・取消はマイページまたは予約ページからできます。")


def refused(result: Refused) -> web.Response:
    first = result.violations[0]
    return _error(422, first.code, result.message, first.field,
                  problems=[{"code": v.code, "message": v.message, "field": v.field} for v in result.violations])


def taken(result: SlotTaken) -> web.Response:
    return _error(409, "slot_taken", result.message + "ほかの空いている枠をお選びください。", "start_minute",
                  alternatives=[slot_json(a) for a in result.alternatives],
                  waitlist_available=result.waitlist_available)


@routes.get("/api/facilities")
async def facilities(request: web.Request) -> web.Response:
    catalogue = await deps_of(request).service.catalogue()
    out = []
    for b in catalogue.ordered():
        if b.facility.visibility == PRIVATE or not b.citizen_units():
            continue
        f = b.facility
        out.append({"facility_id": f.id, "name": f.name, "category": f.category, "address": f.address,
                    "description": f.description, "guide_url": f.guide_url, "phone": f.phone,
                    "units": [{"unit_id": u.id, "name": u.name, "visibility": u.visibility,
                               "booking_mode": u.booking_mode, "capacity": u.capacity} for u in b.citizen_units()]})
    return _json({"facilities": out, "resident_types": RESIDENT_TYPE_LABELS})


@routes.get(r"/api/units/{unit_id:\d+}")
async def unit(request: web.Request) -> web.Response:
    unit_id = int(request.match_info["unit_id"])
    catalogue = await deps_of(request).service.catalogue()
    b = catalogue.bundle_of_unit(unit_id)
    u = b.unit(unit_id) if b else None
    if b is None or u is None or u.visibility == PRIVATE or b.facility.visibility == PRIVATE:
        return _error(404, "not_found", "施設が見つかりません。")
    f = b.facility
    return _json({
        "unit_id": u.id, "name": u.name, "facility_id": f.id, "facility_name": f.name, "visibility": u.visibility,
        "booking_mode": u.booking_mode, "slot_minutes": u.slot_minutes, "min_minutes": u.min_minutes,
        "max_minutes": u.max_minutes, "capacity": u.capacity, "min_people": u.min_people,
        "activity_required": u.activity_required, "approval_required": u.approval_required,
        "purposes": b.purposes_for(unit_id), "terms": f.terms, "phone": f.phone,
        "cancel_deadline_hours": f.cancel_deadline_hours if f.citizen_can_cancel else None,
        "equipment": [{"id": e.id, "name": e.name, "kind": e.kind, "quantity": e.quantity,
                       "unit_label": e.unit_label, "fee": e.fee, "fee_per": e.fee_per}
                      for e in b.equipment_for(unit_id)]})


@routes.get(r"/api/units/{unit_id:\d+}/month")
async def month(request: web.Request) -> web.Response:
    text = request.query.get("month", "")
    try:
        year, mon = (int(x) for x in text.split("-"))
        date(year, mon, 1)
    except ValueError:
        raise BadInput("月は YYYY-MM で指定してください。", "month") from None
    marks = await deps_of(request).service.month(int(request.match_info["unit_id"]), year, mon)
    return _json({"month": text, "days": [
        {"day": m.day.isoformat(), "mark": m.mark, "state": m.state, "free": m.free, "total": m.total,
         "bookable_online": m.bookable_online, "note": m.note} for m in marks]})


@routes.get(r"/api/units/{unit_id:\d+}/day")
async def day(request: web.Request) -> web.Response:
    slots = await deps_of(request).service.available_frames(int(request.match_info["unit_id"]),
                                                            _date(request.query.get("day")))
    return _json({"slots": [slot_json(s) for s in slots]})


@routes.post("/api/quote")
async def quote(request: web.Request) -> web.Response:
    data = await body_of(request)
    svc = deps_of(request).service
    booking = request_of(data)
    q = await svc.quote(booking, await svc.booker(request[USER], **declared(data)))
    return _json({"fee": q.fee, "lines": [{"label": x.label, "amount": x.amount} for x in q.lines],
                  "problems": [{"code": v.code, "message": v.message, "field": v.field} for v in q.violations]})


@routes.post("/api/reservations")
async def reserve(request: web.Request) -> web.Response:
    data = await body_of(request)
    deps, user = deps_of(request), request[USER]
    who = declared(data)
    booking = request_of(data)
    async with deps.db.write() as s:
        booker = await deps.service.booker_in(s, user, **who)
        now = deps.clock.now()
        result = await deps.service.reserve_in(s, booking, booker, now, source=SOURCE_LIFF, alternatives=False)
        if isinstance(result, Reserved) and data.get("remember"):
            await save_profile(s, user, now, name=booker.name, phone=booker.phone, resident_type=booker.resident_type)
        if isinstance(result, Reserved) and isinstance(deps.service.notifier, MyPageNotifier):
            await deps.service.notifier.confirm(s, user, kind="booking.confirmed", key=f"booking:{result.number}",
                                                title="施設予約を受け付けました",
                                                body=confirmation_text(await deps.service.catalogue(), booking, result))
    if isinstance(result, Refused):
        return refused(result)
    if isinstance(result, SlotTaken):  # alternatives read once committed: the slot's holder is in them
        return taken(SlotTaken(await deps.service.alternatives(booking), result.message, result.waitlist_available))
    return _json({"number": result.number, "status": result.status, "fee": result.fee}, 201)


@routes.get("/api/reservations")
async def mine(request: web.Request) -> web.Response:
    views = await deps_of(request).service.my_reservations(request[USER])
    return _json({"reservations": [view_json(v) for v in views]})


@routes.post(r"/api/reservations/{number}/cancel")
async def cancel(request: web.Request) -> web.Response:
    deps = deps_of(request)
    async with deps.db.write() as s:
        booker = await deps.service.booker_in(s, request[USER])
        result = await deps.service.cancel_in(s, booker, request.match_info["number"], deps.clock.now())
    if isinstance(result, Refused):
        return refused(result)
    return _json({"number": result.number, "status": "cancelled"})


@routes.post(r"/api/reservations/{number}/change")
async def change(request: web.Request) -> web.Response:
    data = await body_of(request)
    deps = deps_of(request)
    day = _date(data.get("day"))
    start_minute = _int(data.get("start_minute"), "start_minute", high=48 * 60)
    end_minute = _int(data.get("end_minute"), "end_minute", high=48 * 60)
    unit_id = _int(data.get("unit_id"), "unit_id") if data.get("unit_id") is not None else None
    async with deps.db.write() as s:
        booker = await deps.service.booker_in(s, request[USER])
        result = await deps.service.reschedule_in(
            s, booker, request.match_info["number"], day=day, start_minute=start_minute, end_minute=end_minute,
            unit_id=unit_id, now=deps.clock.now(), keep_equipment=True)
    if isinstance(result, Refused):
        return refused(result)
    if isinstance(result, SlotTaken):
        return taken(result)
    return _json({"number": result.number, "status": result.status, "fee": result.fee})


@routes.post(r"/api/offers/{number}/{action:accept|decline}")
async def offer(request: web.Request) -> web.Response:
    deps, number, user = deps_of(request), request.match_info["number"], request[USER]
    async with deps.db.write() as s:
        if request.match_info["action"] == "accept":
            result: Reserved | Cancelled | Refused = await deps.service.accept_offer_in(s, user, number,
                                                                                        deps.clock.now())
        else:
            result = await deps.service.decline_offer_in(s, user, number, deps.clock.now())
    if isinstance(result, Refused):
        return refused(result)
    return _json({"number": result.number, "status": getattr(result, "status", "cancelled")})


@routes.post("/api/waitlist")
async def waitlist(request: web.Request) -> web.Response:
    data = await body_of(request)
    deps = deps_of(request)
    booking, who = request_of(data), declared(data)
    async with deps.db.write() as s:
        booker = await deps.service.booker_in(s, request[USER], **who)
        result = await deps.service.join_waitlist_in(s, booking, booker, deps.clock.now())
    if isinstance(result, Refused):
        return refused(result)
    assert isinstance(result, WaitlistJoined)
    return _json({"entry_id": result.entry_id, "position": result.position}, 201)


@routes.get("/api/profile")
async def profile(request: web.Request) -> web.Response:
    b = await deps_of(request).service.booker(request[USER])
    return _json({"name": b.name, "phone": b.phone, "resident_type": b.resident_type})


@web.middleware
async def bad_input(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except BadInput as exc:
        return _error(422, "invalid", exc.message, exc.field)
