"""キャンセル待ち: a freed slot is held for the first in line and offered in LINE; accept, decline, expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from civic.booking.models import CONFIRMED, EXPIRED, OFFERED, Reservation, WaitlistEntry
from civic.booking.notify import OFFER_ACCEPT, OFFER_LAPSED, STAFF_CANCELLED, WAITLIST_OFFER
from civic.booking.reservations import cancel_in
from civic.booking.services import BookingService
from civic.booking.tasks import expire_offers
from civic.booking.types import Cancelled, Refused, Reserved, SlotTaken, WaitlistJoined
from civic.database import Database
from tests.booking.fakes import RecordingNotifier
from tests.booking.town import build_town, citizen, staff_booker


@pytest.fixture
async def town(db: Database):
    return await build_town(db)


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def svc(town, notifier) -> BookingService:
    return BookingService(town.db, town.clock, notifier)


async def test_joining_needs_a_taken_slot(svc, town) -> None:
    free = await svc.join_waitlist(town.request("gym.half-a"), citizen("U2"))
    assert isinstance(free, Refused) and free.violations[0].code == "slot_free"
    await svc.reserve(town.request("gym.half-a"), citizen("U1"))
    first = await svc.join_waitlist(town.request("gym.half-a"), citizen("U2"))
    second = await svc.join_waitlist(town.request("gym.half-a"), citizen("U3"))
    assert isinstance(first, WaitlistJoined) and (first.position, second.position) == (1, 2)
    again = await svc.join_waitlist(town.request("gym.half-a"), citizen("U2"))
    assert isinstance(again, Refused) and again.violations[0].code == "already_waiting"


async def test_a_cancellation_is_offered_to_the_first_in_line_and_held(svc, town, notifier) -> None:
    r = await svc.reserve(town.request("gym.whole"), citizen("U1"))
    await svc.join_waitlist(town.request("gym.half-a", people=8), citizen("U2", resident_type="outside"))
    await svc.join_waitlist(town.request("gym.half-a"), citizen("U3"))
    assert isinstance(await svc.cancel(citizen("U1"), r.number), Cancelled)
    [offer] = notifier.of(WAITLIST_OFFER)
    assert offer.channel_user_id == "U2" and "空きが出ました" in offer.text and "800円" not in offer.text
    assert [a.label for a in offer.actions] == ["予約する", "辞退する"]
    assert offer.actions[0].data == f"{OFFER_ACCEPT}:{offer.reservation_number}"
    # The slot is held: U3 (or anyone) cannot take it meanwhile; the other half is free.
    assert isinstance(await svc.reserve(town.request("gym.half-a"), citizen("U4")), SlotTaken)
    assert isinstance(await svc.reserve(town.request("gym.half-b"), citizen("U4")), Reserved)
    mine = await svc.my_reservations("U2")
    assert mine[0].status == OFFERED and mine[0].offer_expires_at is not None and mine[0].fee == 3 * 800
    accepted = await svc.accept_offer("U2", offer.reservation_number)
    assert isinstance(accepted, Reserved) and accepted.status == CONFIRMED
    assert isinstance(await svc.accept_offer("U2", offer.reservation_number), Refused)


async def test_declining_passes_the_slot_on(svc, town, notifier) -> None:
    r = await svc.reserve(town.request("gym.half-a"), citizen("U1"))
    await svc.join_waitlist(town.request("gym.half-a"), citizen("U2"))
    await svc.join_waitlist(town.request("gym.half-a"), citizen("U3"))
    await svc.cancel(citizen("U1"), r.number)
    first = notifier.of(WAITLIST_OFFER)[0]
    assert isinstance(await svc.decline_offer("U3", first.reservation_number), Refused)  # not theirs
    assert isinstance(await svc.decline_offer("U2", first.reservation_number), Cancelled)
    second = notifier.of(WAITLIST_OFFER)[1]
    assert second.channel_user_id == "U3" and second.reservation_number != first.reservation_number


async def test_unanswered_offers_expire_and_move_on(svc, town, notifier) -> None:
    r = await svc.reserve(town.request("gym.half-a"), citizen("U1"))
    await svc.join_waitlist(town.request("gym.half-a"), citizen("U2"))
    await svc.join_waitlist(town.request("gym.half-a"), citizen("U3"))
    async with town.db.write() as s:  # staff cancel also offers
        await cancel_in(s, r.number, staff_booker(), town.clock.now(), reason="設備故障", notifier=notifier)
    assert notifier.of(STAFF_CANCELLED)[0].channel_user_id == "U1"
    assert await expire_offers(town.db, town.clock, notifier) == 0
    town.clock.advance(timedelta(hours=25))
    assert await expire_offers(town.db, town.clock, notifier) == 1
    assert notifier.of(OFFER_LAPSED)[0].channel_user_id == "U2"
    assert [n.channel_user_id for n in notifier.of(WAITLIST_OFFER)] == ["U2", "U3"]
    async with town.db.read() as s:
        statuses = sorted(r.status for r in (await s.exec(select(Reservation))).all())
        entries = {e.channel_user_id: e.status for e in (await s.exec(select(WaitlistEntry))).all()}
    assert statuses == ["cancelled", EXPIRED, OFFERED]
    assert entries == {"U2": "lapsed", "U3": "offered"}


async def test_offers_never_outlive_the_booking_deadline(svc, town, notifier) -> None:
    r = await svc.reserve(town.request("gym.half-a"), citizen("U1"))
    await svc.join_waitlist(town.request("gym.half-a"), citizen("U2"))
    town.clock.set(r.starts_at - timedelta(hours=30))
    async with town.db.write() as s:
        await cancel_in(s, r.number, staff_booker(), town.clock.now(), reason="台風のため", notifier=notifier)
    [offer] = notifier.of(WAITLIST_OFFER)
    view = (await svc.my_reservations("U2"))[0]
    assert view.offer_expires_at == r.starts_at - timedelta(hours=24)  # closes 24h before, not 24h from now
    assert offer.reservation_number == view.number
