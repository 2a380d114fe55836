"""Drafts on both databases: encrypted at rest, wiped when the QR is issued and after idle time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from civic.clock import FrozenClock
from civic.database import Database
from civic.procedures.services import DraftStore, access_counts, record_access
from civic.procedures.tasks import wipe_idle_drafts

START = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


async def raw_rows(db: Database) -> list[tuple]:
    async with db.engine.connect() as conn:
        return list((await conn.execute(sa.text("SELECT token_hash, data FROM procedure_draft"))).all())


async def test_a_draft_is_encrypted_and_found_only_by_its_token(db: Database) -> None:
    store = DraftStore(db, FrozenClock(START))
    token = await store.create("tennyu", "web")
    await store.save(token, answers={"from": "domestic"}, household={"people": [{"name": "山田 花子"}]})
    [(token_hash, data)] = await raw_rows(db)
    assert token not in token_hash and "山田" not in data and data.startswith("v1.")
    draft = await store.load(token)
    assert draft.answers == {"from": "domestic"} and draft.household["people"][0]["name"] == "山田 花子"
    assert await store.load("someone-else") is None


async def test_issuing_the_qr_leaves_nothing_behind(db: Database) -> None:
    store = DraftStore(db, FrozenClock(START))
    token = await store.create("tennyu", "web")
    await store.save(token, household={"people": [{"name": "山田 花子"}]})
    taken = await store.take(token)
    assert taken.household["people"][0]["name"] == "山田 花子"
    assert await raw_rows(db) == []
    assert await store.take(token) is None and await store.load(token) is None


async def test_an_idle_draft_is_wiped_after_fifteen_minutes(db: Database) -> None:
    clock = FrozenClock(START)
    store = DraftStore(db, clock)
    token = await store.create("tennyu", "web")
    clock.advance(timedelta(minutes=14))
    assert await store.load(token) is not None  # activity restarts the idle time
    clock.advance(timedelta(minutes=14, seconds=59))
    assert await store.save(token, answers={"a": "b"}) is not None
    clock.advance(timedelta(minutes=15))
    assert await store.load(token) is None  # idle 15 minutes: gone
    assert await raw_rows(db) == []


async def test_the_sweep_wipes_drafts_nobody_comes_back_to(db: Database) -> None:
    clock = FrozenClock(START)
    store = DraftStore(db, clock, idle=timedelta(minutes=5))
    first = await store.create("tennyu", "web")
    clock.advance(timedelta(minutes=3))
    second = await store.create("shussei", "line")
    clock.advance(timedelta(minutes=2))
    assert await wipe_idle_drafts(store) == 1
    assert await store.count() == 1 and await store.load(first) is None
    clock.advance(timedelta(minutes=3))
    assert await wipe_idle_drafts(store) == 1 and await store.count() == 0
    assert await store.load(second) is None


async def test_an_expired_draft_cannot_be_taken_for_a_qr(db: Database) -> None:
    clock = FrozenClock(START)
    store = DraftStore(db, clock)
    token = await store.create("tennyu", "web")
    clock.advance(timedelta(minutes=16))
    assert await store.take(token) is None and await raw_rows(db) == []


async def test_access_is_counted_per_event_channel_and_day(db: Database) -> None:
    clock = FrozenClock(START)
    for event, channel in [("tennyu", "web"), ("tennyu", "web"), ("tennyu", "line"), ("shussei", "line")]:
        await record_access(db, clock, event, channel)
    clock.advance(timedelta(days=1))
    await record_access(db, clock, "tennyu", "web")
    counts = {(c.event, c.channel): c.count for c in await access_counts(db)}
    assert counts == {("shussei", "line"): 1, ("tennyu", "line"): 1, ("tennyu", "web"): 3}
    today_only = await access_counts(db, since=date(2026, 12, 2))
    assert [(c.event, c.channel, c.count) for c in today_only] == [("tennyu", "web", 1)]
    with pytest.raises(ValueError):
        await record_access(db, clock, "tennyu", "fax")


def _stored_plaintexts(db: Database, cipher) -> list[str]:
    """Every value in the SQLite files (database, -wal, -shm) that the data key decrypts."""
    import re
    from pathlib import Path

    from civic.crypto import DecryptionError

    path = Path(db.url.split(":///", 1)[1])
    found = []
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if not file.exists():
            continue
        for token in re.findall(rb"v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]{16,}", file.read_bytes()):
            for end in range(len(token), 20, -1):  # a value may be cut short by the page after it
                try:
                    found.append(cipher.decrypt(token[:end].decode()))
                    break
                except (DecryptionError, ValueError):
                    continue
    return found


@pytest.mark.parametrize("erase", ["qr", "discard", "idle"])
async def test_erased_household_data_cannot_be_read_from_the_sqlite_files(sqlite_db: Database, cipher, erase) -> None:
    """Erased is erased: not in the WAL, not in free pages, even for someone holding the data key."""
    clock = FrozenClock(START)
    store = DraftStore(sqlite_db, clock)
    token = await store.create("tennyu", "web")
    for step in range(3):  # each save leaves another version of the row in the WAL
        await store.save(token, answers={"step": str(step)},
                         household={"people": [{"name": "山田 花子", "birth_date": "1990-01-01"}],
                                    "addresses": {"current": {"detail": "本町1番地"}}})
    assert any(text for text in _stored_plaintexts(sqlite_db, cipher))  # the reader does find what is there
    if erase == "qr":
        assert (await store.take(token)).household["people"][0]["name"] == "山田 花子"
    elif erase == "discard":
        await store.discard(token)
    else:
        clock.advance(timedelta(minutes=16))
        assert await wipe_idle_drafts(store) == 1
    for text in _stored_plaintexts(sqlite_db, cipher):
        assert "山田" not in text and "本町" not in text and "1990" not in text, text
