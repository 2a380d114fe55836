"""Reserve, shared areas (whole court vs halves), equipment stock, change, cancel, approval — on both backends."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from civic.booking.models import CANCELLED, CONFIRMED, PENDING, Occupancy, Reservation
from civic.booking.notify import APPROVED, REJECTED, STAFF_CANCELLED, STAFF_CHANGED
from civic.booking.reservations import approve_in, cancel_in, change_in, reject_in, reserve_in
from civic.booking.services import BookingService
from civic.booking.types import Cancelled, Refused, Reserved, SlotTaken
from civic.database import Database
from tests.booking.fakes import RecordingNotifier
from tests.booking.town import SATURDAY, build_town, citizen, staff_booker


@pytest.fixture
async def town(db: Database):
    return await build_town(db)


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def svc(town, notifier) -> BookingService:
    return BookingService(town.db, town.clock, notifier)


async def test_reserve_returns_a_number_and_the_fee(svc, town) -> None:
    result = await svc.reserve(town.request("gym.half-a", equipment={town.equipment["gym.net"]: 1}), citizen())
    assert isinstance(result, Reserved) and result.status == CONFIRMED
    assert result.number.startswith("2611-") and result.fee == 3 * 400 + 100
    mine = await svc.my_reservations("U1")
    assert [v.number for v in mine] == [result.number]
    assert mine[0].equipment == (("ネット", 1, "組"),) and mine[0].can_cancel and mine[0].unit_name == "半面A"
    assert await svc.my_reservations("U2") == []


async def test_outside_residents_pay_the_outside_fee(svc, town) -> None:
    result = await svc.reserve(town.request("gym.whole"), citizen(resident_type="outside"))
    assert isinstance(result, Reserved) and result.fee == 3 * 1600


async def test_whole_court_and_its_halves_exclude_each_other(svc, town) -> None:
    assert isinstance(await svc.reserve(town.request("gym.whole"), citizen("U1")), Reserved)
    for half in ("gym.half-a", "gym.half-b"):
        assert isinstance(await svc.reserve(town.request(half), citizen("U2")), SlotTaken)
    # The afternoon is untouched.
    assert isinstance(await svc.reserve(town.request("gym.half-a", time="13:00-17:00"), citizen("U2")), Reserved)


async def test_a_half_blocks_the_whole_but_not_the_other_half(svc, town) -> None:
    assert isinstance(await svc.reserve(town.request("gym.half-a"), citizen("U1")), Reserved)
    taken = await svc.reserve(town.request("gym.whole"), citizen("U2"))
    assert isinstance(taken, SlotTaken) and taken.waitlist_available
    assert isinstance(await svc.reserve(town.request("gym.half-b"), citizen("U3")), Reserved)


async def test_slot_taken_offers_the_other_half_first(svc, town) -> None:
    await svc.reserve(town.request("gym.half-a"), citizen("U1"))
    taken = await svc.reserve(town.request("gym.half-a"), citizen("U2"))
    assert isinstance(taken, SlotTaken) and "たった今" in taken.message
    first = taken.alternatives[0]
    assert (first.unit_name, first.day, first.start_minute) == ("半面B", SATURDAY, 9 * 60)
    assert all(a.free for a in taken.alternatives)
    assert any(a.unit_id == town.unit("gym.half-a") and a.start_minute == 13 * 60 for a in taken.alternatives)


async def test_the_database_itself_refuses_two_holders_of_one_area(town) -> None:
    async with town.db.write() as s:
        r = await reserve_in(s, town.request("gym.whole"), citizen(), town.clock.now(), source="chat")
    assert isinstance(r, Reserved)
    async with town.db.read() as s:
        cell, area = (await s.exec(select(Occupancy.cell, Occupancy.area_id))).first()
        count = len((await s.exec(select(Occupancy))).all())
    assert count == 2 * 3 * 4  # two areas × three hours × four quarter-hour cells
    with pytest.raises(sa.exc.IntegrityError):
        async with town.db.write() as s:
            s.add(Occupancy(area_id=area, cell=cell, reservation_id=r.reservation_id))


async def test_equipment_stock_is_never_overcommitted(svc, town) -> None:
    net = town.equipment["gym.net"]
    ok = await svc.reserve(town.request("gym.half-a", equipment={net: 2}), citizen("U1"))
    assert isinstance(ok, Reserved)
    short = await svc.reserve(town.request("gym.half-b", equipment={net: 1}), citizen("U2"))
    assert isinstance(short, Refused) and short.violations[0].code == "equipment_unavailable"
    assert "すべて貸出済み" in short.message
    # Later the same day the nets are back.
    later = await svc.reserve(town.request("gym.half-b", time="13:00-17:00", equipment={net: 2}), citizen("U2"))
    assert isinstance(later, Reserved)


async def test_unit_equipment_cannot_be_taken_by_another_unit(svc, town) -> None:
    light = town.equipment["gym.light"]  # the whole court's lighting
    result = await svc.reserve(town.request("gym.half-a", equipment={light: 1}), citizen())
    assert isinstance(result, Refused) and result.violations[0].code == "equipment_unknown"
    ok = await svc.reserve(town.request("gym.whole", time="18:00-21:00", equipment={light: 1}), citizen())
    assert isinstance(ok, Reserved) and ok.fee == 3 * 800 + 3 * 500


async def test_citizen_change_moves_the_slot_and_frees_the_old_one(svc, town) -> None:
    r = await svc.reserve(town.request("gym.half-a"), citizen("U1"))
    moved = await svc.reschedule(citizen("U1"), r.number, day=SATURDAY, start_minute=13 * 60, end_minute=17 * 60)
    assert isinstance(moved, Reserved) and moved.fee == 4 * 400 and moved.number == r.number
    assert isinstance(await svc.reserve(town.request("gym.half-a"), citizen("U2")), Reserved)
    other = await svc.reschedule(citizen("U2"), r.number, day=SATURDAY, start_minute=540, end_minute=720)
    assert isinstance(other, Refused) and other.violations[0].code == "not_found"


async def test_change_and_cancel_deadlines(svc, town) -> None:
    r = await svc.reserve(town.request("gym.half-a"), citizen())
    town.clock.set(r.starts_at - timedelta(hours=60))  # inside 72h change deadline, outside 48h cancel
    late = await svc.reschedule(citizen(), r.number, day=SATURDAY, start_minute=780, end_minute=1020)
    assert isinstance(late, Refused) and late.violations[0].code == "change_deadline"
    assert isinstance(await svc.cancel(citizen(), r.number), Cancelled)
    town.clock.set(r.starts_at - timedelta(hours=100))
    r2 = await svc.reserve(town.request("gym.half-b"), citizen())
    town.clock.set(r2.starts_at - timedelta(hours=47))
    refused = await svc.cancel(citizen(), r2.number)
    assert isinstance(refused, Refused) and refused.violations[0].code == "cancel_deadline"
    assert "48時間前" in refused.message


async def test_facilities_may_forbid_citizen_cancellation(svc, town) -> None:
    async with town.db.write() as s:
        r = await reserve_in(s, town.request("hall.room", purpose=""), staff_booker("U1"), town.clock.now(),
                             source="counter")
    assert isinstance(r, Reserved)
    refused = await svc.cancel(citizen("U1"), r.number)
    assert isinstance(refused, Refused) and refused.violations[0].code == "cancel_not_allowed"


async def test_cancel_frees_the_slot(svc, town) -> None:
    r = await svc.reserve(town.request("gym.whole"), citizen("U1"))
    assert isinstance(await svc.cancel(citizen("U1"), r.number), Cancelled)
    assert isinstance(await svc.cancel(citizen("U1"), r.number), Refused)  # twice: already cancelled
    assert isinstance(await svc.reserve(town.request("gym.half-a"), citizen("U2")), Reserved)
    async with town.db.read() as s:
        row = (await s.exec(select(Reservation).where(Reservation.number == r.number))).one()
    assert row.status == CANCELLED and row.cancelled_by == "citizen"


async def test_staff_change_and_cancel_need_a_reason_and_tell_the_citizen(town, notifier) -> None:
    now = town.clock.now()
    async with town.db.write() as s:
        r = await reserve_in(s, town.request("gym.half-a"), citizen("U1"), now, source="liff")
    async with town.db.write() as s:
        no_reason = await change_in(s, r.number, town.request("gym.half-b"), staff_booker("U1"), now)
    assert isinstance(no_reason, Refused) and no_reason.violations[0].field == "reason"
    async with town.db.write() as s:
        changed = await change_in(s, r.number, town.request("gym.half-b"), staff_booker("U1"), now,
                                  reason="床の補修のため", notifier=notifier)
    assert isinstance(changed, Reserved)
    [notice] = notifier.of(STAFF_CHANGED)
    assert notice.channel_user_id == "U1" and "床の補修のため" in notice.text and "半面B" in notice.text
    async with town.db.write() as s:
        done = await cancel_in(s, r.number, staff_booker(), now, reason="大会の開催", notifier=notifier)
    assert isinstance(done, Cancelled)
    [cancelled] = notifier.of(STAFF_CANCELLED)
    assert "大会の開催" in cancelled.text and cancelled.reservation_number == r.number


async def test_approval_required_units_hold_the_slot_until_staff_decide(svc, town, notifier) -> None:
    member = citizen("U1", attributes=frozenset({"registered_group"}))
    request = town.request("gym.event", purpose="大会・行事", activity="町内バレー大会")
    first = await svc.reserve(request, member)
    assert isinstance(first, Reserved) and first.status == PENDING
    assert isinstance(await svc.reserve(town.request("gym.whole"), citizen("U2")), SlotTaken)
    async with town.db.write() as s:
        approved = await approve_in(s, first.number, town.clock.now(), notifier=notifier)
    assert isinstance(approved, Reserved) and approved.status == CONFIRMED
    assert notifier.of(APPROVED)[0].channel_user_id == "U1"
    second = await svc.reserve(town.request("gym.event", time="13:00-17:00", purpose="大会・行事", activity="練習試合"),
                               member)
    async with town.db.write() as s:
        rejected = await reject_in(s, second.number, town.clock.now(), reason="町の行事と重なるため", notifier=notifier)
    assert isinstance(rejected, Cancelled)
    assert "町の行事と重なるため" in notifier.of(REJECTED)[0].text
    assert isinstance(await svc.reserve(town.request("gym.whole", time="13:00-17:00"), citizen("U2")), Reserved)


async def test_staff_proxy_booking_for_someone_without_line(town) -> None:
    async with town.db.write() as s:
        r = await reserve_in(s, town.request("gym.whole", day=date(2026, 12, 6)), staff_booker(), town.clock.now(),
                             source="counter")
    assert isinstance(r, Reserved)  # 12/6 is blocked for citizens, not for staff
    async with town.db.read() as s:
        row = (await s.exec(select(Reservation))).one()
    assert row.channel_user_id is None and row.staff_id == 7 and row.applicant_name == "窓口 太郎"
    assert row.source == "counter"
