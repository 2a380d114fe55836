"""Reserve, change, cancel, approve, reject — inside a caller's write transaction.

Every function takes the session of ``Database.write()`` so staff views can write the operation
log in the same transaction. Each one locks the facility first (see civic.booking.occupancy).
Citizen actions check ownership, the facility's change/cancel permissions and deadlines (表3
no.18, 表4 no.10); staff actions need a reason, which is sent to the citizen.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.booking import messages as msg
from civic.booking.bookers import profile_of
from civic.booking.ledger import (
    Loaded,
    apply_request,
    facility_of_unit,
    holding_status,
    load_for_unit,
    summary_text,
    tell,
    unknown_unit,
    write_holding,
)
from civic.booking.models import (
    CANCELLED,
    CONFIRMED,
    HOLDING,
    OFFERED,
    PENDING,
    REJECTED,
    WL_LAPSED,
    Reservation,
    WaitlistEntry,
)
from civic.booking.notify import APPROVED, STAFF_CANCELLED, STAFF_CHANGED, CitizenNotifier
from civic.booking.notify import REJECTED as REJECTED_NOTICE
from civic.booking.occupancy import SlotConflict, conflicts, lock_facility, release
from civic.booking.rules import check_all
from civic.booking.types import Booker, BookingRequest, Cancelled, Refused, Reserved, SlotTaken, Violation
from civic.booking.waitlist import offer_freed
from civic.facilities.catalogue import CatalogueCache
from civic.facilities.models import Facility


def refuse(code: str, message: str, field: str | None = None) -> Refused:
    return Refused((Violation(code, message, field),))


def citizen_may_change(f: Facility, r: Reservation, now: datetime) -> bool:
    return (f.citizen_can_change and r.status in (PENDING, CONFIRMED)
            and now <= r.starts_at - timedelta(hours=f.change_deadline_hours))


def citizen_may_cancel(f: Facility, r: Reservation, now: datetime) -> bool:
    return (f.citizen_can_cancel and r.status in (PENDING, CONFIRMED)
            and now <= r.starts_at - timedelta(hours=f.cancel_deadline_hours))


async def by_number(session: AsyncSession, number: str) -> Reservation | None:
    return (await session.exec(select(Reservation).where(Reservation.number == number))).first()


async def _mine(session: AsyncSession, number: str, actor: Booker) -> Reservation | Refused:
    r = await by_number(session, number)
    if r is None or (not actor.is_staff and (actor.channel_user_id is None or r.channel_user_id != actor.channel_user_id)):
        return refuse("not_found", "ご指定の予約が見つかりません。予約番号をお確かめください。", "number")
    return r


def _taken(loaded: Loaded, booker: Booker) -> SlotTaken:
    return SlotTaken(waitlist_available=bool(loaded.bundle.facility.waitlist_enabled and not booker.is_staff
                                             and booker.channel_user_id))


async def reserve_in(session: AsyncSession, request: BookingRequest, booker: Booker, now: datetime, *,
                     source: str, cache: CatalogueCache | None = None) -> Reserved | SlotTaken | Refused:
    """A new reservation. ``SlotTaken`` comes without alternatives (the service adds them after commit).

    With ``cache`` the catalogue is revalidated after the facility lock is taken, so it is current.
    """
    facility_id = await facility_of_unit(session, request.unit_id, cache)
    if facility_id is None:
        return Refused((unknown_unit(),))
    await lock_facility(session, facility_id)
    loaded = await load_for_unit(session, request.unit_id, request.day, cache=cache)
    if loaded is None or loaded.bundle.id != facility_id:
        return Refused((unknown_unit(),))
    violations = await check_all(loaded.context(session, request, booker, now))
    if violations:
        return Refused(tuple(violations))
    if await conflicts(session, loaded.bundle, request.unit_id, request.starts_at, request.ends_at):
        return _taken(loaded, booker)
    lines = loaded.fee_lines(request, booker.resident_type)
    profile = await profile_of(session, booker.channel_user_id) if booker.channel_user_id else None
    r = Reservation(
        facility_id=loaded.bundle.id, unit_id=request.unit_id, day=request.day, start_minute=0, end_minute=0,
        starts_at=now, ends_at=now, status=holding_status(loaded.unit, booker),
        channel_user_id=booker.channel_user_id, booker_id=profile.id if profile else None, applicant_name=booker.name, applicant_phone=booker.phone,
        resident_type=booker.resident_type, people=request.people, source=source, staff_id=booker.staff_id,
        terms_accepted_at=now if request.terms_accepted else None, created_at=now, updated_at=now)
    apply_request(r, loaded, request, lines)
    try:
        async with session.begin_nested():
            await write_holding(session, r, loaded, request.equipment)
    except SlotConflict:
        return _taken(loaded, booker)
    return Reserved(r.id or 0, r.number or "", r.status, r.fee, r.starts_at, r.ends_at)


async def change_in(session: AsyncSession, number: str, request: BookingRequest, actor: Booker, now: datetime, *,
                    reason: str | None = None, notifier: CitizenNotifier | None = None,
                    cache: CatalogueCache | None = None) -> Reserved | SlotTaken | Refused:
    """Move or alter a reservation (time, unit of the same facility, people, equipment…)."""
    found = await _mine(session, number, actor)
    if isinstance(found, Refused):
        return found
    r = found
    await lock_facility(session, r.facility_id)
    await session.refresh(r)
    if r.status not in (PENDING, CONFIRMED):
        return refuse("not_changeable", "このご予約は変更できません。", "number")
    loaded = await load_for_unit(session, request.unit_id, request.day, cache=cache)
    if loaded is None or loaded.bundle.id != r.facility_id:
        return Refused((unknown_unit(),))
    f = loaded.bundle.facility
    if actor.is_staff:
        if not (reason or "").strip():
            return refuse("reason_required", "変更の理由を入力してください（利用者に通知されます）。", "reason")
    elif not f.citizen_can_change:
        return refuse("change_not_allowed", "この施設のご予約は、LINEからは変更できません。施設へご連絡ください。")
    elif not citizen_may_change(f, r, now):
        return refuse("change_deadline", f"変更の受付期限（ご利用の{f.change_deadline_hours}時間前）を過ぎています。"
                      "施設へご連絡ください。")
    who = replace(actor, channel_user_id=r.channel_user_id)
    violations = await check_all(loaded.context(session, request, who, now, existing=r))
    if violations:
        return Refused(tuple(violations))
    if await conflicts(session, loaded.bundle, request.unit_id, request.starts_at, request.ends_at,
                       exclude_id=r.id):
        return _taken(loaded, who)
    moved = (r.day, r.start_minute) != (request.day, request.start_minute)
    apply_request(r, loaded, request, loaded.fee_lines(request, who.resident_type))
    r.resident_type, r.updated_at = who.resident_type, now
    if moved:
        r.reminded_at = None
    try:
        async with session.begin_nested():
            await write_holding(session, r, loaded, request.equipment)
    except SlotConflict:
        await session.refresh(r)
        return _taken(loaded, who)
    if actor.is_staff:
        await tell(notifier, session, r, STAFF_CHANGED, msg.staff_changed(summary_text(r, loaded.bundle), reason or ""))
    await offer_freed(session, loaded.bundle, now, notifier)
    return Reserved(r.id or 0, r.number or "", r.status, r.fee, r.starts_at, r.ends_at)


async def cancel_in(session: AsyncSession, number: str, actor: Booker, now: datetime, *,
                    reason: str | None = None, notifier: CitizenNotifier | None = None) -> Cancelled | Refused:
    found = await _mine(session, number, actor)
    if isinstance(found, Refused):
        return found
    r = found
    await lock_facility(session, r.facility_id)
    await session.refresh(r)
    f = await session.get(Facility, r.facility_id)
    assert f is not None
    if r.status not in HOLDING or (r.status == OFFERED and not actor.is_staff):
        return refuse("not_cancellable", "このご予約はすでに取り消されているか、取り消せない状態です。", "number")
    if actor.is_staff:
        if not (reason or "").strip():
            return refuse("reason_required", "取消の理由を入力してください（利用者に通知されます）。", "reason")
    elif not f.citizen_can_cancel:
        return refuse("cancel_not_allowed", "この施設のご予約は、LINEからは取り消せません。施設へご連絡ください。")
    elif not citizen_may_cancel(f, r, now):
        return refuse("cancel_deadline", f"取消の受付期限（ご利用の{f.cancel_deadline_hours}時間前）を過ぎています。"
                      "施設へご連絡ください。")
    was_offer = r.status == OFFERED
    r.status, r.cancelled_at, r.updated_at = CANCELLED, now, now
    r.cancelled_by = "staff" if actor.is_staff else "citizen"
    r.cancel_reason = (reason or "").strip() or None
    r.offer_expires_at = None
    session.add(r)
    await release(session, r.id or 0)
    if was_offer and r.waitlist_entry_id:
        entry = await session.get(WaitlistEntry, r.waitlist_entry_id)
        if entry is not None:
            entry.status, entry.updated_at = WL_LAPSED, now
            session.add(entry)
    await session.flush()
    loaded = await load_for_unit(session, r.unit_id, r.day)
    if loaded is not None:
        if actor.is_staff:
            await tell(notifier, session, r, STAFF_CANCELLED,
                       msg.staff_cancelled(summary_text(r, loaded.bundle), reason or ""))
        await offer_freed(session, loaded.bundle, now, notifier)
    return Cancelled(r.number or "")


async def approve_in(session: AsyncSession, number: str, now: datetime, *,
                     notifier: CitizenNotifier | None = None) -> Reserved | Refused:
    r = await by_number(session, number)
    if r is None:
        return refuse("not_found", "予約が見つかりません。", "number")
    await lock_facility(session, r.facility_id)
    await session.refresh(r)
    if r.status != PENDING:
        return refuse("not_pending", "承認待ちの予約ではありません。", "number")
    r.status, r.updated_at = CONFIRMED, now
    session.add(r)
    loaded = await load_for_unit(session, r.unit_id, r.day)
    if loaded is not None:
        await tell(notifier, session, r, APPROVED, msg.approved(summary_text(r, loaded.bundle)))
    return Reserved(r.id or 0, r.number or "", r.status, r.fee, r.starts_at, r.ends_at)


async def reject_in(session: AsyncSession, number: str, now: datetime, *, reason: str,
                    notifier: CitizenNotifier | None = None) -> Cancelled | Refused:
    r = await by_number(session, number)
    if r is None:
        return refuse("not_found", "予約が見つかりません。", "number")
    if not reason.strip():
        return refuse("reason_required", "不承認の理由を入力してください（利用者に通知されます）。", "reason")
    await lock_facility(session, r.facility_id)
    await session.refresh(r)
    if r.status != PENDING:
        return refuse("not_pending", "承認待ちの予約ではありません。", "number")
    r.status, r.cancelled_at, r.cancelled_by, r.cancel_reason, r.updated_at = REJECTED, now, "staff", reason, now
    session.add(r)
    await release(session, r.id or 0)
    await session.flush()
    loaded = await load_for_unit(session, r.unit_id, r.day)
    if loaded is not None:
        await tell(notifier, session, r, REJECTED_NOTICE, msg.rejected(summary_text(r, loaded.bundle), reason))
        await offer_freed(session, loaded.bundle, now, notifier)
    return Cancelled(r.number or "")
