"""No double booking, under any concurrency, on SQLite and PostgreSQL.

Two layers:

1. **Serialise per facility.** Every transaction that creates, moves or frees a reservation first
   locks the facility row (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite ``Database.write()``
   already holds the database write lock from ``BEGIN IMMEDIATE``). Inside the lock the service
   reads the current reservations (READ COMMITTED sees every commit made before the lock was
   granted), checks shared areas and equipment stock, and writes. Bookings of different facilities
   do not wait for each other. Equipment (a facility-wide stock of N) needs this lock: a count
   cannot be a unique constraint.
2. **The database refuses overlaps by itself.** A holding reservation writes one ``Occupancy`` row
   per (physical area, 15-minute cell); the primary key (area_id, cell) makes two holders of one
   area at one moment impossible even for a code path that forgot the lock. A violation becomes
   ``SlotConflict`` (inside a SAVEPOINT, so the caller's transaction stays usable).

Why not SERIALIZABLE with retries: under a burst at one popular slot (booking opens at 9:00) most
transactions would fail and retry; the row lock queues them instead, and each loser reads the
winner's row and answers "just taken" at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.booking.models import HOLDING, Occupancy, Reservation, ReservedEquipment
from civic.booking.types import Violation
from civic.facilities.catalogue import FacilityBundle
from civic.facilities.models import GRID_MINUTES, Facility

CELL_SECONDS = GRID_MINUTES * 60


class SlotConflict(Exception):
    """The occupancy grid refused the reservation: a shared area is already held."""


def cells(starts_at: datetime, ends_at: datetime) -> range:
    first = int(starts_at.timestamp()) // CELL_SECONDS
    last = -(-int(ends_at.timestamp()) // CELL_SECONDS)
    return range(first, last)


async def lock_facility(session: AsyncSession, facility_id: int) -> None:
    """Queue behind every other booking transaction of this facility (no-op on SQLite: already locked)."""
    await session.exec(select(Facility.id).where(Facility.id == facility_id).with_for_update())


async def conflicts(session: AsyncSession, bundle: FacilityBundle, unit_id: int, starts_at: datetime,
                    ends_at: datetime, *, exclude_id: int | None = None) -> list[Reservation]:
    """Holding reservations of any unit sharing an area with ``unit_id`` that overlap the interval."""
    q = select(Reservation).where(
        col(Reservation.unit_id).in_(sorted(bundle.sharing_units(unit_id))),
        col(Reservation.status).in_(HOLDING),
        Reservation.starts_at < ends_at,
        Reservation.ends_at > starts_at,
    )
    if exclude_id is not None:
        q = q.where(Reservation.id != exclude_id)
    return list((await session.exec(q)).all())


async def occupy(session: AsyncSession, reservation: Reservation, area_ids: Iterable[int]) -> None:
    assert reservation.id is not None
    rows = [{"area_id": a, "cell": c, "reservation_id": reservation.id}
            for a in sorted(area_ids) for c in cells(reservation.starts_at, reservation.ends_at)]
    if not rows:
        return
    try:
        async with session.begin_nested():
            await session.exec(sa.insert(Occupancy), params=rows)
    except sa.exc.IntegrityError as exc:
        raise SlotConflict(str(exc.orig)) from None


async def release(session: AsyncSession, reservation_id: int) -> None:
    await session.exec(delete(Occupancy).where(col(Occupancy.reservation_id) == reservation_id))


async def equipment_in_use(session: AsyncSession, equipment_ids: Iterable[int], starts_at: datetime,
                           ends_at: datetime, *, exclude_id: int | None = None) -> dict[int, int]:
    """The peak quantity of each item held by other reservations during the interval."""
    ids = sorted(set(equipment_ids))
    if not ids:
        return {}
    q = (select(ReservedEquipment.equipment_id, ReservedEquipment.quantity,  # type: ignore[call-overload]  # SQLModel's select()/exec() are typed for at most four columns
                Reservation.starts_at, Reservation.ends_at, Reservation.id)
         .join(Reservation, col(Reservation.id) == ReservedEquipment.reservation_id)
         .where(col(ReservedEquipment.equipment_id).in_(ids), col(Reservation.status).in_(HOLDING),
                Reservation.starts_at < ends_at, Reservation.ends_at > starts_at))
    events: dict[int, list[tuple[datetime, int]]] = {}
    for eid, qty, s, e, rid in (await session.exec(q)).all():
        if rid == exclude_id:
            continue
        events.setdefault(eid, []).extend([(max(s, starts_at), qty), (min(e, ends_at), -qty)])
    peaks: dict[int, int] = {}
    for eid, evs in events.items():
        level = peak = 0
        for _, delta in sorted(evs, key=lambda ev: (ev[0], ev[1])):  # releases before takes at a tie
            level += delta
            peak = max(peak, level)
        peaks[eid] = peak
    return peaks


async def equipment_shortfall(session: AsyncSession, bundle: FacilityBundle, unit_id: int,
                              wanted: Mapping[int, int], starts_at: datetime, ends_at: datetime, *,
                              exclude_id: int | None = None) -> list[Violation]:
    """Items whose remaining stock during the interval is below the wanted quantity."""
    items = {e.id: e for e in bundle.equipment_for(unit_id)}
    used = await equipment_in_use(session, [i for i in wanted if i in items], starts_at, ends_at,
                                  exclude_id=exclude_id)
    out = []
    for eid, qty in sorted(wanted.items()):
        item = items.get(eid)
        if item is None:
            continue
        left = item.quantity - used.get(eid, 0)
        if qty > left:
            msg = (f"{item.name}はその時間帯にすべて貸出済みです。" if left <= 0 else
                   f"{item.name}はその時間帯に残り{left}{item.unit_label}です。")
            out.append(Violation("equipment_unavailable", msg, f"equipment.{eid}"))
    return out
