"""Day-before reminders: due from 9:00 the day before, each sent once even with two schedulers."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from civic.booking.notify import REMINDER
from civic.booking.reservations import reserve_in
from civic.booking.services import BookingService
from civic.booking.tasks import due_reminders, send_reminders
from civic.clock import TOKYO
from civic.database import Database
from tests.booking.fakes import RecordingNotifier
from tests.booking.town import build_town, citizen, staff_booker


@pytest.fixture
async def town(db: Database):
    return await build_town(db)


async def test_reminders_are_due_the_day_before_from_nine(town) -> None:
    svc = BookingService(town.db, town.clock)
    mine = await svc.reserve(town.request("gym.half-a"), citizen("U1"))
    await svc.reserve(town.request("gym.half-b", time="13:00-17:00"), citizen("U2"))
    async with town.db.write() as s:  # a counter booking without LINE gets no reminder
        await reserve_in(s, town.request("gym.whole", time="18:00-21:00"), staff_booker(), town.clock.now(),
                         source="counter")
    cancelled = await svc.reserve(town.request("gym.half-a", time="13:00-17:00"), citizen("U3"))
    await svc.cancel(citizen("U3"), cancelled.number)
    async with town.db.read() as s:
        assert await due_reminders(s, datetime(2026, 12, 4, 8, 59, tzinfo=TOKYO)) == []
        due = await due_reminders(s, datetime(2026, 12, 4, 9, 0, tzinfo=TOKYO))
        assert sorted(r.channel_user_id for r in due) == ["U1", "U2"]
        assert await due_reminders(s, datetime(2026, 12, 3, 12, 0, tzinfo=TOKYO)) == []
        assert await due_reminders(s, datetime(2026, 12, 5, 9, 0, tzinfo=TOKYO)) == []
    assert mine.number


async def test_each_reminder_is_sent_once(town) -> None:
    svc = BookingService(town.db, town.clock)
    r = await svc.reserve(town.request("gym.half-a"), citizen("U1"))
    town.clock.set(datetime(2026, 12, 4, 17, 0, tzinfo=TOKYO))
    a, b = RecordingNotifier(), RecordingNotifier()
    counts = await asyncio.gather(send_reminders(town.db, town.clock, a), send_reminders(town.db, town.clock, b))
    assert sorted(counts) == [0, 1]
    [notice] = a.of(REMINDER) + b.of(REMINDER)
    assert notice.channel_user_id == "U1" and notice.reservation_number == r.number
    assert "明日は施設のご利用日です" in notice.text and "12月5日(土) 9:00〜12:00" in notice.text
    assert "1,200円" in notice.text
    assert await send_reminders(town.db, town.clock, a) == 0
