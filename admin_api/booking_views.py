"""Staff API: bookings (表3 no.16, 19–20, 23–24, 27) — search, proxy booking, change and cancel with a
reason sent to the citizen, approval, availability, lists and yearly counts as CSV, waitlist, bookers.

``router`` is this feature's ``ApiRouter``; the views take their dependencies from ``call.ctx``
(``admin_api.context.AdminContext``: the database, clock, ``bookings`` service and ``booking_notices``).
Permissions: ``bookings.read`` (search, lists, CSV), ``bookings.manage`` (every change). Without
``personal.view`` the applicant's name and phone are masked, the LINE user id is a pseudonym and free
text is redacted — in every answer, the CSV list included — and a search finds 予約番号 only.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from admin_api.booking_common import (
    Shown,
    booker_fields,
    csv_response,
    get_or_404,
    invalid,
    log,
    range_of,
    unique_channel_user,
)
from admin_api.booking_schemas import (
    BookerIn,
    BookerOut,
    BookerPatch,
    BookerQuery,
    BookingQuery,
    ChangeIn,
    CountsQuery,
    DayMarkOut,
    DayQuery,
    FeeLineOut,
    ListQuery,
    MonthQuery,
    ProxyBookingIn,
    QuoteOut,
    ReasonIn,
    ReservationOut,
    ReservationPage,
    ReservedItemOut,
    SlotOut,
    WaitlistOut,
    WaitlistQuery,
    span,
)
from admin_api.errors import ApiError
from admin_api.facility_scope import limited, owned, unit_owned, wanted
from admin_api.routing import ApiRouter, Call
from civic.booking import bookers, reports
from civic.booking.models import (
    SOURCE_COUNTER,
    STATUS_LABELS,
    STATUSES,
    WAITING,
    WL_CANCELLED,
    BookerProfile,
    Reservation,
    ReservedEquipment,
    WaitlistEntry,
)
from civic.booking.reservations import approve_in, cancel_in, change_in, reject_in, reserve_in
from civic.booking.types import Booker, BookingRequest, Refused, SlotTaken
from civic.facilities.catalogue import load_catalogue

VIEW, MANAGE = "bookings.read", "bookings.manage"
ID = r"{id:\d+}"


def refused(result: Refused) -> ApiError:
    first = result.violations[0]
    return ApiError(422, first.code, "\n".join(v.message for v in result.violations), first.field)


def statuses_of(text: str | None) -> list[str]:
    chosen = [s.strip() for s in (text or "").split(",") if s.strip()]
    bad = [s for s in chosen if s not in STATUSES]
    if bad:
        raise invalid("status", f"状態は {', '.join(STATUSES)} から選んでください（{', '.join(bad)}）。")
    return chosen


async def outs(s: AsyncSession, rows: list[Reservation]) -> list[ReservationOut]:
    catalogue = await load_catalogue(s, {r.facility_id for r in rows})
    ids = [r.id for r in rows if r.id is not None]
    items: dict[int, list[ReservedEquipment]] = {}
    if ids:
        for e in (await s.exec(select(ReservedEquipment).where(col(ReservedEquipment.reservation_id).in_(ids)))).all():
            items.setdefault(e.reservation_id, []).append(e)
    out = []
    for r in rows:
        b = catalogue.facilities[r.facility_id]
        unit = b.unit(r.unit_id)
        names = {e.id: e for e in b.equipment}
        out.append(ReservationOut(
            id=r.id or 0, number=r.number or "", status=r.status, status_label=STATUS_LABELS.get(r.status, r.status),
            facility_id=r.facility_id, facility_name=b.facility.name, unit_id=r.unit_id,
            unit_name=unit.name if unit else "", day=r.day, time=span(r.start_minute, r.end_minute),
            start_minute=r.start_minute, end_minute=r.end_minute, channel_user_id=r.channel_user_id,
            applicant_name=r.applicant_name, applicant_phone=r.applicant_phone, resident_type=r.resident_type,
            people=r.people, purpose=r.purpose, activity=r.activity, fee=r.fee,
            fee_breakdown=[FeeLineOut(**line) for line in r.fee_breakdown],
            equipment=[ReservedItemOut(equipment_id=e.equipment_id, name=names[e.equipment_id].name, quantity=e.quantity,
                                       unit_label=names[e.equipment_id].unit_label, fee=e.fee)
                       for e in items.get(r.id or 0, []) if e.equipment_id in names],
            source=r.source, staff_id=r.staff_id, staff_note=r.staff_note, created_at=r.created_at,
            updated_at=r.updated_at, cancelled_at=r.cancelled_at, cancelled_by=r.cancelled_by,
            cancel_reason=r.cancel_reason, offer_expires_at=r.offer_expires_at))
    return out


def booker_out(p: BookerProfile) -> BookerOut:
    return BookerOut(id=p.id or 0, channel_user_id=p.channel_user_id, name=p.name, phone=p.phone,
                     group_name=p.group_name, resident_type=p.resident_type, attributes=list(p.attributes),
                     note=p.note, created_at=p.created_at, updated_at=p.updated_at)


router = ApiRouter("bookings")


def shown(call: Call) -> Shown:
    return Shown(call, call.ctx.pseudonym)


def staff(call: Call, channel_user_id: str | None, resident_type: str, name: str | None = None,
          phone: str | None = None) -> Booker:
    assert call.principal is not None
    return Booker(channel_user_id, resident_type, frozenset(), name, phone, staff_id=call.principal.staff_id)


async def one(s: AsyncSession, call: Call, ident: int) -> ReservationOut:
    """A booking of a facility the caller manages (404 otherwise, as for an unknown id)."""
    return (await outs(s, [await owned(s, call, Reservation, ident, "予約")]))[0]


async def taken(call: Call, request: BookingRequest) -> ApiError:
    alts = await call.ctx.bookings.alternatives(request, for_staff=True)
    listed = "、".join(f"{a.unit_name} {a.day.month}/{a.day.day} {span(a.start_minute, a.end_minute)}" for a in alts)
    return ApiError(409, "slot_taken", "その枠はすでに予約されています。" + (f"空いている枠: {listed}" if listed else ""),
                    "time")


def request_of(body: ProxyBookingIn) -> BookingRequest:
    start, end = range_of(body.time, "time")
    return BookingRequest(body.unit_id, body.day, start, end, body.people, body.purpose, body.activity,
                          {e.equipment_id: e.quantity for e in body.equipment}, True)


# ---- search --------------------------------------------------------------------------

@router.route("GET", "/bookings", personal="bookings", summary="予約の検索（施設・期間・利用者・状態）", permission=VIEW, query=BookingQuery,
              response=ReservationPage)
async def search_bookings(call: Call) -> ReservationPage:
    q = call.query
    filters = reports.Filters(None, q.unit_id, q.date_from, q.date_to, statuses_of(q.status),
                              q.q if call.personal else None, q.source,
                              number=None if call.personal or not q.q else q.q, facility_ids=wanted(call, q.facility_id))
    async with call.ctx.db.read() as s:
        rows, total = await reports.search(s, filters, limit=q.limit, offset=q.offset)
        return ReservationPage(total=total, items=[shown(call).reservation(o) for o in await outs(s, rows)])


@router.route("GET", f"/bookings/{ID}", personal="bookings", summary="予約の詳細", permission=VIEW, response=ReservationOut)
async def get_booking(call: Call) -> ReservationOut:
    async with call.ctx.db.read() as s:
        return shown(call).reservation(await one(s, call, call.path_int("id")))


# ---- proxy booking, change, cancel, approval ------------------------------------------

@router.route("POST", "/bookings/quote", summary="使用料の試算と予約条件の確認（窓口受付の前に）", permission=VIEW,
              body=ProxyBookingIn, response=QuoteOut)
async def quote_booking(call: Call) -> QuoteOut:
    b = call.body
    async with call.ctx.db.read() as s:
        await unit_owned(s, call, b.unit_id)
    quote = await call.ctx.bookings.quote(request_of(b), staff(call, b.channel_user_id, b.resident_type))
    call.audited = True  # a quote changes nothing: no operation-log entry
    return QuoteOut(fee=quote.fee, lines=[FeeLineOut(label=x.label, amount=x.amount) for x in quote.lines],
                    problems=[v.message for v in quote.violations])


@router.route("POST", "/bookings", summary="窓口受付（職員による代行予約）", permission=MANAGE, body=ProxyBookingIn,
              response=ReservationOut, status=201)
async def proxy_booking(call: Call) -> ReservationOut:
    b = call.body
    request = request_of(b)
    booker = staff(call, b.channel_user_id, b.resident_type, b.applicant_name, b.applicant_phone)
    async with call.ctx.db.write() as s:
        await unit_owned(s, call, b.unit_id)
        result = await reserve_in(s, request, booker, call.ctx.clock.now(), source=SOURCE_COUNTER)
        if isinstance(result, Refused):
            raise refused(result)
        if not isinstance(result, SlotTaken):
            r = await owned(s, call, Reservation, result.reservation_id, "予約")
            r.staff_note = b.staff_note
            s.add(r)
            out = (await outs(s, [r]))[0]
            await log(s, call, "booking.create", f"reservation:{r.id}", None, out)
            return shown(call).reservation(out)
    raise await taken(call, request)


@router.route("PATCH", f"/bookings/{ID}", summary="予約の変更（理由は利用者にLINEで通知されます）", permission=MANAGE,
              body=ChangeIn, response=ReservationOut)
async def change_booking(call: Call) -> ReservationOut:
    b: ChangeIn = call.body
    async with call.ctx.db.write() as s:
        r = await owned(s, call, Reservation, call.path_int("id"), "予約")
        before = await one(s, call, r.id)
        if b.unit_id is not None:
            await unit_owned(s, call, b.unit_id)
        start, end = range_of(b.time, "time") if b.time else (r.start_minute, r.end_minute)
        equipment = ({e.equipment_id: e.quantity for e in b.equipment} if b.equipment is not None
                     else {e.equipment_id: e.quantity for e in before.equipment})
        request = BookingRequest(b.unit_id or r.unit_id, b.day or r.day, start, end, b.people or r.people,
                                 r.purpose if b.purpose is None else b.purpose,
                                 r.activity if b.activity is None else b.activity, equipment, True)
        actor = staff(call, r.channel_user_id, b.resident_type or r.resident_type)
        result = await change_in(s, r.number or "", request, actor, call.ctx.clock.now(), reason=b.reason, notifier=call.ctx.booking_notices)
        if isinstance(result, Refused):
            raise refused(result)
        if not isinstance(result, SlotTaken):
            if b.staff_note is not None:
                r.staff_note = b.staff_note
                s.add(r)
            after = await one(s, call, r.id or 0)
            await log(s, call, "booking.change", f"reservation:{r.id}", before, after)
            return shown(call).reservation(after)
    raise await taken(call, request)


async def transition(call: Call, action: str, run: Any) -> ReservationOut:
    async with call.ctx.db.write() as s:
        r = await owned(s, call, Reservation, call.path_int("id"), "予約")
        before = await one(s, call, r.id)
        result = await run(s, r)
        if isinstance(result, Refused):
            raise refused(result)
        await s.refresh(r)
        after = await one(s, call, r.id or 0)
        await log(s, call, action, f"reservation:{r.id}", before, after)
    return shown(call).reservation(after)


@router.route("POST", f"/bookings/{ID}/cancel", summary="予約の取消（理由は利用者にLINEで通知されます）",
              permission=MANAGE, body=ReasonIn, response=ReservationOut)
async def cancel_booking(call: Call) -> ReservationOut:
    async def run(s: AsyncSession, r: Reservation) -> Any:
        return await cancel_in(s, r.number or "", staff(call, r.channel_user_id, r.resident_type), call.ctx.clock.now(),
                               reason=call.body.reason, notifier=call.ctx.booking_notices)
    return await transition(call, "booking.cancel", run)


@router.route("POST", f"/bookings/{ID}/approve", summary="承認が必要な予約の承認", permission=MANAGE,
              response=ReservationOut)
async def approve_booking(call: Call) -> ReservationOut:
    async def run(s: AsyncSession, r: Reservation) -> Any:
        return await approve_in(s, r.number or "", call.ctx.clock.now(), notifier=call.ctx.booking_notices)
    return await transition(call, "booking.approve", run)


@router.route("POST", f"/bookings/{ID}/reject", summary="承認が必要な予約の不承認（理由を通知）", permission=MANAGE,
              body=ReasonIn, response=ReservationOut)
async def reject_booking(call: Call) -> ReservationOut:
    async def run(s: AsyncSession, r: Reservation) -> Any:
        return await reject_in(s, r.number or "", call.ctx.clock.now(), reason=call.body.reason, notifier=call.ctx.booking_notices)
    return await transition(call, "booking.reject", run)


# ---- availability --------------------------------------------------------------------

@router.route("GET", "/availability/month", summary="月間の空き状況（○△×—）", permission=VIEW, query=MonthQuery,
              response=list[DayMarkOut])
async def month_availability(call: Call) -> list[DayMarkOut]:
    year, month = (int(x) for x in call.query.month.split("-"))
    if not 1 <= month <= 12:
        raise invalid("month", "月は 01〜12 で指定してください。")
    async with call.ctx.db.read() as s:
        await unit_owned(s, call, call.query.unit_id)
    marks = await call.ctx.bookings.month(call.query.unit_id, year, month)
    if not marks:
        raise ApiError(404, "not_found", f"室場（ID {call.query.unit_id}）が見つかりません。", "unit_id")
    return [DayMarkOut(day=m.day, mark=m.mark, state=m.state, free=m.free, total=m.total,
                       bookable_online=m.bookable_online, note=m.note) for m in marks]


@router.route("GET", "/availability/day", summary="1日の予約枠と状況", permission=VIEW, query=DayQuery,
              response=list[SlotOut])
async def day_availability(call: Call) -> list[SlotOut]:
    async with call.ctx.db.read() as s:
        await unit_owned(s, call, call.query.unit_id)
    slots = await call.ctx.bookings.available_frames(call.query.unit_id, call.query.day)
    return [SlotOut(unit_id=x.unit_id, unit_name=x.unit_name, day=x.day, time=span(x.start_minute, x.end_minute),
                    start_minute=x.start_minute, end_minute=x.end_minute, label=x.label, status=x.status)
            for x in slots]


# ---- lists and counts (CSV) ----------------------------------------------------------

@router.route("GET", "/bookings/list.csv", personal="bookings", summary="予約一覧の帳票（当日分 day= / 月間分 month=、CSV）",
              permission=VIEW, query=ListQuery, response=str, produces="text/csv")
async def list_csv(call: Call) -> Any:
    q = call.query
    if q.day is not None:
        start = end = q.day
        name = f"bookings-{q.day.isoformat()}.csv"
    elif q.month is not None:
        y, m = (int(x) for x in q.month.split("-"))
        if not 1 <= m <= 12:
            raise invalid("month", "月は 01〜12 で指定してください。")
        start = date(y, m, 1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        name = f"bookings-{q.month}.csv"
    else:
        raise invalid("day", "day（当日分）か month（月間分）を指定してください。")
    filters = reports.Filters(None, None, start, end, statuses_of(q.status), facility_ids=wanted(call, q.facility_id))
    async with call.ctx.db.read() as s:
        text = await reports.list_csv(s, filters, redact=None if call.personal else call.redact)
    return csv_response(text, name)


@router.route("GET", "/bookings/counts.csv", summary="年度ごとの予約件数（条件別、CSV）", permission=VIEW,
              query=CountsQuery, response=str, produces="text/csv")
async def counts_csv(call: Call) -> Any:
    q = call.query
    groups = [g.strip() for g in q.group_by.split(",") if g.strip()]
    if not groups or len(groups) > 2 or any(g not in reports.GROUPS for g in groups):
        raise invalid("group_by", f"集計の切り口は {', '.join(reports.GROUPS)} から1つか2つ選んでください。")
    filters = reports.Filters(statuses=statuses_of(q.status), source=q.source, facility_ids=wanted(call, q.facility_id))
    async with call.ctx.db.read() as s:
        table = await reports.counts(s, q.fiscal_year, groups, filters)
    return csv_response(reports.counts_csv(groups, table), f"booking-counts-{q.fiscal_year}.csv")


# ---- waitlist ------------------------------------------------------------------------

@router.route("GET", "/waitlist", personal="waitlist", summary="キャンセル待ちの一覧", permission=VIEW, query=WaitlistQuery,
              response=list[WaitlistOut])
async def list_waitlist(call: Call) -> list[WaitlistOut]:
    q = limited(select(WaitlistEntry).order_by(col(WaitlistEntry.id)), WaitlistEntry.facility_id,
                wanted(call, call.query.facility_id))
    if call.query.status:
        q = q.where(WaitlistEntry.status == call.query.status)
    async with call.ctx.db.read() as s:
        rows = (await s.exec(q.limit(1000))).all()
    return [shown(call).waitlist(WaitlistOut(
        id=e.id or 0, facility_id=e.facility_id, unit_id=e.unit_id, day=e.day,
        time=span(e.start_minute, e.end_minute), channel_user_id=e.channel_user_id,
        applicant_name=e.applicant_name, people=e.people, status=e.status,
        reservation_id=e.reservation_id, created_at=e.created_at)) for e in rows]


@router.route("POST", f"/waitlist/{ID}/cancel", summary="キャンセル待ちの取消", permission=MANAGE)
async def cancel_waitlist(call: Call) -> None:
    async with call.ctx.db.write() as s:
        e = await owned(s, call, WaitlistEntry, call.path_int("id"), "キャンセル待ち")
        if e.status != WAITING:
            raise ApiError(409, "not_waiting", "待機中のキャンセル待ちではありません。")
        e.status, e.updated_at = WL_CANCELLED, call.ctx.clock.now()
        s.add(e)
        await log(s, call, "waitlist.cancel", f"waitlist:{e.id}", {"status": WAITING},
                  {"status": WL_CANCELLED})


# ---- bookers (利用者) -----------------------------------------------------------------

@router.route("GET", "/bookers", personal="bookers", summary="利用者の一覧・検索（氏名・電話・LINEユーザーID）", permission=VIEW,
              query=BookerQuery, response=list[BookerOut])
async def list_bookers(call: Call) -> list[BookerOut]:
    async with call.ctx.db.read() as s:
        rows = (await s.exec(select(BookerProfile).order_by(col(BookerProfile.id)).limit(5000))).all()
    needle = (call.query.q or "").strip()
    if call.personal:
        hits = [p for p in rows if not needle or needle == p.channel_user_id
                or needle in (p.name or "") or needle in (p.phone or "") or needle in (p.group_name or "")]
    else:  # nobody is looked up by personal data they may not see
        hits = [p for p in rows if not needle or needle == call.ctx.pseudonym(p.channel_user_id)]
    return [shown(call).booker(booker_out(p)) for p in hits[:call.query.limit]]


@router.route("POST", "/bookers", summary="利用者の登録（属性は職員が確認して設定）", permission=MANAGE, body=BookerIn,
              response=BookerOut, status=201)
async def create_booker(call: Call) -> BookerOut:
    now = call.ctx.clock.now()
    data = booker_fields(call.body.model_dump())
    async with call.ctx.db.write() as s:
        await unique_channel_user(s, data.get("channel_user_id"))
        p = BookerProfile(**data, created_at=now, updated_at=now)
        s.add(p)
        await s.flush()
        out = booker_out(p)
        await log(s, call, "booker.create", f"booker:{p.id}", None, out)
    return shown(call).booker(out)


@router.route("PATCH", f"/bookers/{ID}", summary="利用者の変更", permission=MANAGE, body=BookerPatch,
              response=BookerOut)
async def update_booker(call: Call) -> BookerOut:
    data = booker_fields(call.body.model_dump(exclude_unset=True))
    if data.get("attributes", []) is None:
        raise invalid("attributes", "この項目は空にできません。")
    async with call.ctx.db.write() as s:
        p = await get_or_404(s, BookerProfile, call.path_int("id"), "利用者")
        if data.get("channel_user_id") not in (None, p.channel_user_id):
            await unique_channel_user(s, data["channel_user_id"])
        before = booker_out(p)
        for k, v in data.items():
            setattr(p, k, v)
        p.updated_at = call.ctx.clock.now()
        s.add(p)
        after = booker_out(p)
        await log(s, call, "booker.update", f"booker:{p.id}", before, after)
    return shown(call).booker(after)


@router.route("DELETE", f"/bookers/{ID}",
              summary="利用者の抹消（個人情報を削除し、過去の予約は匿名化。今後の予約は先に取り消してください）",
              permission=MANAGE)
async def erase_booker(call: Call) -> None:
    now = call.ctx.clock.now()
    async with call.ctx.db.write() as s:
        p = await get_or_404(s, BookerProfile, call.path_int("id"), "利用者")
        if await bookers.upcoming_of(s, p, now):
            raise ApiError(409, "has_upcoming", "今後の予約があります。先に予約を取り消してから抹消してください。")
        before = booker_out(p)
        count = await bookers.erase(s, p, now)
        await log(s, call, "booker.erase", f"booker:{before.id}", {"id": before.id, "reservations": count},
                  None)


