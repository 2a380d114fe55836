"""キャンセル待ち: citizens wait for a taken slot; a freed slot is held for the first in line.

When a reservation is cancelled (by the citizen or staff), rejected, moved, declined or its offer
expires, ``offer_freed`` walks the facility's waiting entries in order and, for each one whose slot
is now free, creates an ``offered`` reservation holding the slot until ``offer_expires_at`` (the
facility's ``offer_hours``, but never past the online booking deadline) and sends the citizen a
notice with 「予約する」/「辞退する」. Holding the slot means nobody else can take it meanwhile.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.booking import messages as msg
from civic.booking.ledger import Loaded, holding_status, load_for_unit, tell, unknown_unit, write_holding
from civic.booking.models import (
    CANCELLED,
    EXPIRED,
    OFFERED,
    SOURCE_WAITLIST,
    WAITING,
    WL_BOOKED,
    WL_CANCELLED,
    WL_LAPSED,
    WL_OFFERED,
    Reservation,
    WaitlistEntry,
)
from civic.booking.notify import OFFER_LAPSED, WAITLIST_OFFER, CitizenNotifier, offer_actions
from civic.booking.occupancy import SlotConflict, conflicts, lock_facility, release
from civic.booking.rules import RULES, EquipmentAvailable, booking_closes_at, check_all
from civic.booking.types import (
    Booker,
    BookingRequest,
    Cancelled,
    Refused,
    Reserved,
    Violation,
    WaitlistJoined,
)
from civic.facilities.catalogue import FacilityBundle
from civic.rows import pk

_WAITLIST_RULES = tuple(r for r in RULES if not isinstance(r, EquipmentAvailable))
MAX_WAITING_PER_CITIZEN = 5


async def join_in(session: AsyncSession, request: BookingRequest, booker: Booker,
                  now: datetime) -> WaitlistJoined | Refused:
    loaded = await load_for_unit(session, request.unit_id, request.day)
    if loaded is None:
        return Refused((unknown_unit(),))
    f = loaded.bundle.facility
    if not f.waitlist_enabled or booker.channel_user_id is None:
        return Refused((Violation("waitlist_disabled", "この施設はキャンセル待ちを受け付けていません。"),))
    violations = await check_all(loaded.context(session, request, booker, now), _WAITLIST_RULES)
    if violations:
        return Refused(tuple(violations))
    if not await conflicts(session, loaded.bundle, request.unit_id, request.starts_at, request.ends_at):
        return Refused((Violation("slot_free", "その枠は空いています。そのままご予約いただけます。"),))
    mine = select(WaitlistEntry).where(WaitlistEntry.channel_user_id == booker.channel_user_id,
                                       col(WaitlistEntry.status).in_((WAITING, WL_OFFERED)))
    entries = (await session.exec(mine)).all()
    if any(e.unit_id == request.unit_id and e.day == request.day and e.start_minute == request.start_minute
           for e in entries):
        return Refused((Violation("already_waiting", "この枠はすでにキャンセル待ちに登録されています。"),))
    if len(entries) >= MAX_WAITING_PER_CITIZEN:
        return Refused((Violation("waitlist_quota", f"キャンセル待ちは{MAX_WAITING_PER_CITIZEN}件までです。"),))
    entry = WaitlistEntry(
        facility_id=pk(f), unit_id=request.unit_id, day=request.day, start_minute=request.start_minute,
        end_minute=request.end_minute, starts_at=request.starts_at, channel_user_id=booker.channel_user_id,
        applicant_name=booker.name, applicant_phone=booker.phone, resident_type=booker.resident_type,
        attributes=sorted(booker.attributes), people=request.people, purpose=request.purpose,
        activity=request.activity, status=WAITING, created_at=now, updated_at=now)
    session.add(entry)
    await session.flush()
    ahead = (await session.exec(select(func.count()).where(
        WaitlistEntry.unit_id == request.unit_id, WaitlistEntry.day == request.day,
        WaitlistEntry.start_minute == request.start_minute, WaitlistEntry.status == WAITING,
        col(WaitlistEntry.id) < entry.id))).one()
    return WaitlistJoined(entry.id or 0, ahead + 1)


async def offer_freed(session: AsyncSession, bundle: FacilityBundle, now: datetime,
                      notifier: CitizenNotifier | None) -> int:
    """Offer every newly free slot to the first waiting citizen. The facility must be locked."""
    q = (select(WaitlistEntry)
         .where(WaitlistEntry.facility_id == bundle.id, WaitlistEntry.status == WAITING)
         .order_by(col(WaitlistEntry.id)).limit(200))
    offered = 0
    for entry in (await session.exec(q)).all():
        request = BookingRequest(entry.unit_id, entry.day, entry.start_minute, entry.end_minute, entry.people,
                                 entry.purpose, entry.activity, {}, True)
        deadline = booking_closes_at(bundle.facility, request.starts_at)
        expires = min(now + timedelta(hours=bundle.facility.offer_hours), deadline)
        if expires <= now:
            entry.status, entry.updated_at = WL_LAPSED, now
            session.add(entry)
            continue
        if await conflicts(session, bundle, entry.unit_id, request.starts_at, request.ends_at):
            continue
        loaded = await load_for_unit(session, entry.unit_id, entry.day)
        if loaded is None or loaded.calendar.interval_state(entry.day, entry.start_minute, entry.end_minute,
                                                            entry.unit_id) is not None:
            continue
        lines = loaded.fee_lines(request, entry.resident_type)
        r = Reservation(
            facility_id=bundle.id, unit_id=entry.unit_id, day=entry.day, start_minute=entry.start_minute,
            end_minute=entry.end_minute, starts_at=request.starts_at, ends_at=request.ends_at, status=OFFERED,
            channel_user_id=entry.channel_user_id, applicant_name=entry.applicant_name,
            applicant_phone=entry.applicant_phone, resident_type=entry.resident_type, people=entry.people,
            purpose=entry.purpose, activity=entry.activity, fee=sum(line.amount for line in lines),
            fee_breakdown=[{"label": line.label, "amount": line.amount} for line in lines],
            source=SOURCE_WAITLIST, terms_accepted_at=entry.created_at, offer_expires_at=expires,
            waitlist_entry_id=entry.id, created_at=now, updated_at=now)
        try:
            async with session.begin_nested():
                await write_holding(session, r, loaded, {})
        except SlotConflict:
            continue
        entry.status, entry.reservation_id, entry.updated_at = WL_OFFERED, r.id, now
        session.add(entry)
        summary = msg.summary(r.number or "", bundle.facility.name, loaded.unit.name, r.day, r.start_minute,
                              r.end_minute)
        await tell(notifier, session, r, WAITLIST_OFFER, msg.offer(summary, expires, r.fee),
                   offer_actions(r.number or ""))
        offered += 1
    return offered


async def _offered(session: AsyncSession, channel_user_id: str, number: str) -> Reservation | Refused:
    r = (await session.exec(select(Reservation).where(Reservation.number == number))).first()
    if r is None or r.channel_user_id != channel_user_id:
        return Refused((Violation("not_found", "ご指定の予約が見つかりません。", "number"),))
    if r.status != OFFERED:
        return Refused((Violation("not_offered", "このご案内はすでに終了しています。", "number"),))
    return r


async def _entry(session: AsyncSession, r: Reservation) -> WaitlistEntry | None:
    return await session.get(WaitlistEntry, r.waitlist_entry_id) if r.waitlist_entry_id else None


async def accept_offer_in(session: AsyncSession, channel_user_id: str, number: str,
                          now: datetime) -> Reserved | Refused:
    found = await _offered(session, channel_user_id, number)
    if isinstance(found, Refused):
        return found
    r = found
    await lock_facility(session, r.facility_id)
    await session.refresh(r)
    if r.status != OFFERED:
        return Refused((Violation("not_offered", "このご案内はすでに終了しています。", "number"),))
    if r.offer_expires_at is not None and r.offer_expires_at <= now:
        return Refused((Violation("offer_expired", "申し訳ありません。このご案内は期限が過ぎています。", "number"),))
    loaded = await load_for_unit(session, r.unit_id, r.day)
    assert loaded is not None
    r.status = holding_status(loaded.unit, Booker(channel_user_id))
    r.offer_expires_at, r.updated_at = None, now
    session.add(r)
    entry = await _entry(session, r)
    if entry is not None:
        entry.status, entry.updated_at = WL_BOOKED, now
        session.add(entry)
    return Reserved(r.id or 0, r.number or "", r.status, r.fee, r.starts_at, r.ends_at)


async def _end_offer(session: AsyncSession, r: Reservation, status: str, entry_status: str,
                     now: datetime) -> None:
    r.status, r.offer_expires_at, r.updated_at = status, None, now
    if status == CANCELLED:
        r.cancelled_at, r.cancelled_by, r.cancel_reason = now, "citizen", "キャンセル待ちの辞退"
    session.add(r)
    await release(session, r.id or 0)
    entry = await _entry(session, r)
    if entry is not None:
        entry.status, entry.updated_at = entry_status, now
        session.add(entry)


async def decline_offer_in(session: AsyncSession, channel_user_id: str, number: str, now: datetime,
                           notifier: CitizenNotifier | None) -> Cancelled | Refused:
    found = await _offered(session, channel_user_id, number)
    if isinstance(found, Refused):
        return found
    await lock_facility(session, found.facility_id)
    loaded = await load_for_unit(session, found.unit_id, found.day)
    await _end_offer(session, found, CANCELLED, WL_CANCELLED, now)
    await session.flush()
    if loaded is not None:
        await offer_freed(session, loaded.bundle, now, notifier)
    return Cancelled(found.number or "")


async def expire_offers_in(session: AsyncSession, now: datetime, notifier: CitizenNotifier | None) -> int:
    """Offers past their time lapse and go to the next in line; waiting entries past their slot lapse."""
    lapsed = (await session.exec(select(Reservation).where(
        Reservation.status == OFFERED, col(Reservation.offer_expires_at) <= now).order_by(
        col(Reservation.facility_id), col(Reservation.id)))).all()
    facilities: dict[int, Loaded] = {}
    for r in lapsed:
        await lock_facility(session, r.facility_id)
        loaded = await load_for_unit(session, r.unit_id, r.day)
        await _end_offer(session, r, EXPIRED, WL_LAPSED, now)
        if loaded is not None:
            facilities.setdefault(r.facility_id, loaded)
            await tell(notifier, session, r, OFFER_LAPSED, msg.offer_lapsed(
                msg.summary(r.number or "", loaded.bundle.facility.name, loaded.unit.name, r.day,
                            r.start_minute, r.end_minute)))
    stale = (await session.exec(select(WaitlistEntry).where(
        WaitlistEntry.status == WAITING, WaitlistEntry.starts_at <= now))).all()
    for entry in stale:
        entry.status, entry.updated_at = WL_LAPSED, now
        session.add(entry)
    await session.flush()
    for loaded in facilities.values():
        await offer_freed(session, loaded.bundle, now, notifier)
    return len(lapsed)
