"""Scheduled booking jobs (the service runs them from APScheduler).

* ``send_reminders`` — the day-before reminder (due from ``REMINDER_FROM`` local time the day
  before). Each reminder is claimed with a conditional UPDATE before its notice is enqueued, in the
  same transaction, so two service instances never remind twice.
* ``expire_offers`` — waitlist offers past their time lapse; the slot goes to the next in line.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.booking import messages as msg
from civic.booking.ledger import summary_text, tell
from civic.booking.models import CONFIRMED, Reservation
from civic.booking.notify import REMINDER, CitizenNotifier
from civic.booking.waitlist import expire_offers_in
from civic.clock import TOKYO, Clock, tokyo
from civic.database import Database
from civic.facilities.catalogue import load_catalogue
from civic.facilities.models import Facility

#: Day-before reminders go out from this local time on.
REMINDER_FROM = time(9, 0)


async def due_reminders(session: AsyncSession, now: datetime, *, limit: int = 500) -> list[Reservation]:
    """Confirmed LINE reservations starting tomorrow (local) not yet reminded, once it is REMINDER_FROM."""
    local = tokyo(now)
    if local.time() < REMINDER_FROM:
        return []
    tomorrow = local.date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(0), TOKYO)
    q = (select(Reservation)
         .join(Facility, col(Facility.id) == Reservation.facility_id)
         .where(Reservation.status == CONFIRMED, col(Reservation.reminded_at).is_(None),
                col(Reservation.channel_user_id).is_not(None), col(Facility.reminder_enabled).is_(True),
                Reservation.starts_at >= start, Reservation.starts_at < start + timedelta(days=1))
         .order_by(col(Reservation.id)).limit(limit))
    return list((await session.exec(q)).all())


async def send_reminders(db: Database, clock: Clock, notifier: CitizenNotifier) -> int:
    """Enqueue every due reminder; returns how many this call claimed."""
    now = clock.now()
    sent = 0
    async with db.write() as s:
        due = await due_reminders(s, now)
        catalogue = await load_catalogue(s, {r.facility_id for r in due})
        for r in due:
            claimed = await s.exec(sa.update(Reservation).where(
                col(Reservation.id) == r.id, col(Reservation.reminded_at).is_(None)).values(reminded_at=now))
            if claimed.rowcount != 1:
                continue
            bundle = catalogue.facilities[r.facility_id]
            await tell(notifier, s, r, REMINDER, msg.reminder(summary_text(r, bundle), r.fee))
            sent += 1
    return sent


async def expire_offers(db: Database, clock: Clock, notifier: CitizenNotifier | None) -> int:
    async with db.write() as s:
        return await expire_offers_in(s, clock.now(), notifier)
