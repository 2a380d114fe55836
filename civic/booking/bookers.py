"""利用者 (表3 no.16, 27): profiles citizens keep for booking, attributes staff verify, erasure."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.booking.models import (
    HOLDING,
    WAITING,
    WL_CANCELLED,
    WL_OFFERED,
    BookerProfile,
    Reservation,
    WaitlistEntry,
)


async def profile_of(session: AsyncSession, channel_user_id: str) -> BookerProfile | None:
    return (await session.exec(select(BookerProfile).where(
        BookerProfile.channel_user_id == channel_user_id))).first()


async def save_profile(session: AsyncSession, channel_user_id: str, now: datetime, *, name: str | None,
                       phone: str | None, resident_type: str | None) -> BookerProfile:
    """What the citizen enters once and reuses; attributes stay as staff set them."""
    p = await profile_of(session, channel_user_id)
    if p is None:
        p = BookerProfile(channel_user_id=channel_user_id, created_at=now, updated_at=now)
    p.name, p.phone, p.resident_type, p.updated_at = name, phone, resident_type, now
    session.add(p)
    await session.flush()
    return p


async def upcoming_of(session: AsyncSession, profile: BookerProfile, now: datetime) -> int:
    """Holding reservations still to come (staff cancel them before erasing the person)."""
    conds = [Reservation.booker_id == profile.id]
    if profile.channel_user_id:
        conds.append(Reservation.channel_user_id == profile.channel_user_id)
    q = select(Reservation).where(or_(*conds), col(Reservation.status).in_(HOLDING), Reservation.ends_at > now)
    return len((await session.exec(q)).all())


async def erase(session: AsyncSession, profile: BookerProfile, now: datetime) -> int:
    """登録情報の抹消: delete the profile and wipe personal data from the person's reservations.

    Reservations stay (with facility, time, people, fee) so counts and reports remain right; the name,
    phone, activity and the LINE user id are removed. Waiting entries are cancelled. Returns how many
    reservations were anonymised.
    """
    who = profile.channel_user_id
    conds = [Reservation.booker_id == profile.id]
    if who:
        conds.append(Reservation.channel_user_id == who)
    rows: list[Reservation] = []
    for cond in conds:
        rows += (await session.exec(select(Reservation).where(cond))).all()
    seen = set()
    for r in rows:
        if r.id in seen:
            continue
        seen.add(r.id)
        r.applicant_name = r.applicant_phone = r.activity = r.channel_user_id = None
        r.booker_id, r.updated_at = None, now
        session.add(r)
    if who:
        for e in (await session.exec(select(WaitlistEntry).where(WaitlistEntry.channel_user_id == who))).all():
            if e.status in (WAITING, WL_OFFERED):
                e.status = WL_CANCELLED
            e.channel_user_id, e.applicant_name, e.applicant_phone, e.activity = "", None, None, None
            e.updated_at = now
            session.add(e)
    await session.flush()
    await session.delete(profile)
    return len(seen)
