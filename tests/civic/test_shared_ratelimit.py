"""Rate limits counted in the database (``INSTANCE_MODE=shared``, issue #19): two instances share one allowance."""

from __future__ import annotations

from civic.database import Database
from civic.ratelimit import SharedRateLimit

T0 = 1_800_000_000.0  # a minute boundary (divisible by 60)


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
