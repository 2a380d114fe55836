"""Rate limits counted in the database (``INSTANCE_MODE=shared``, issue #19): two instances share one allowance."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import select

from civic.clock import FrozenClock
from civic.database import Database
from civic.ratelimit import RateCount, SharedRateLimit
from liff.webchat import create_webchat_app

T0 = 1_800_000_000.0  # a minute boundary (divisible by 60)
START = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)


async def test_two_instances_count_one_limit(db: Database) -> None:
    other = Database(db.url, db.cipher)
    try:
        a, b = SharedRateLimit(db, "webchat.address", 3), SharedRateLimit(other, "webchat.address", 3)
        answers = [await limit.admit("198.51.100.1", T0 + i) for i, limit in enumerate([a, b, a, b])]
        assert answers == [True, True, True, False]
        assert await b.admit("198.51.100.2", T0 + 5)  # another client has its own allowance
        # The next minute: the previous one still weighs 59/60 (2.95 of 3 hits): one more, not two.
        assert await a.admit("198.51.100.1", T0 + 61)
        assert not await b.admit("198.51.100.1", T0 + 62)
        assert await a.admit("198.51.100.1", T0 + 121)  # a window later: allowed again
    finally:
        await other.dispose()


async def test_scopes_are_apart(db: Database) -> None:
    sessions, addresses = SharedRateLimit(db, "webchat.session", 1), SharedRateLimit(db, "webchat.address", 1)
    assert await sessions.admit("k", T0) and await addresses.admit("k", T0)
    assert not await sessions.admit("k", T0 + 1)


class _Echo:
    """The smallest dialogue handler: answers every turn with what it was sent."""

    async def handle(self, turn: Any) -> None:
        turn.say({"type": "text", "text": "受け付けました"})


async def test_web_chat_in_shared_mode_counts_in_the_database(db: Database, aiohttp_client: Any) -> None:
    """Two instances' web chats (two apps on two ``Database`` objects) share one session allowance."""
    other = Database(db.url, db.cipher)
    try:
        apps = [await aiohttp_client(create_webchat_app(_Echo(), base, FrozenClock(START), shared=True,
                                                        per_session_per_minute=3))
                for base in (db, other)]
        first = await apps[0].post("/api/messages", json={"text": "こんにちは"})
        session = (await first.json())["session"]
        statuses = [first.status] + [(await apps[i % 2].post("/api/messages", json={"session": session, "text": "こんにちは"})).status
                                     for i in range(1, 4)]
        assert statuses == [200, 200, 200, 429]
        async with db.read() as s:
            assert (await s.exec(select(RateCount))).first() is not None  # counted in the database
    finally:
        await other.dispose()
