"""Erasing one citizen leaves nothing that identifies them in any table (decrypted), and leaves
everybody else's data and the town's aggregates alone. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from bot.inbox.erasure import erase_inbox_events
from bot.inbox.models import INBOX_METADATA
from bot.schema import load_metadata
from civic.citizens.erasure import (
    ANONYMISE,
    CONTENT,
    DELETE,
    REGISTRY,
    CitizenNotFound,
    erase_citizen,
    preview_erasure,
    user_id_of,
)
from civic.database import Database
from tests.citizens.seed import HANAKO, NOW, TARO, Person, insert, seed


def _texts(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bytes):
        return [value.decode("latin-1")]
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    out = [text]
    try:  # JSON written with ASCII escapes still holds the text
        out.append(json.dumps(json.loads(text), ensure_ascii=False))
    except (ValueError, TypeError):
        pass
    return out


async def _scan(db: Database, metadata: sa.MetaData, who: Person) -> list[str]:
    """Every (table.column) where one of ``who``'s values appears, over every row, decrypted."""
    found = []
    async with db.read() as s:
        conn = await s.connection()
        for table in metadata.sorted_tables:
            for row in (await conn.execute(sa.select(table))).mappings():
                for column, value in row.items():
                    for needle in who.needles:
                        if any(needle in t for t in _texts(value)):
                            found.append(f"{table.name}.{column}: {needle[:12]}")
    return found


async def count(db: Database, table: str, **where: Any) -> int:
    t = load_metadata().tables[table]
    async with db.read() as s:
        q = sa.select(sa.func.count()).select_from(t).where(*(t.c[k] == v for k, v in where.items()))
        return (await (await s.connection()).execute(q)).scalar_one()


async def test_nothing_identifying_remains_after_erasure(db: Database, inbox: Database) -> None:
    taro, hanako = await seed(db, inbox)
    async with db.write() as s:  # look alike, but are about somebody else: kept
        for other in ({"applicant_name": TARO.name + "子"}, {"note": f"{TARO.name[:2]}川の護岸"}, {"phone": "090-1234-5679"}):
            await insert(await s.connection(), "operation_log", staff_login="admin", action="other", target_type="x",
                         at=NOW, after=json.dumps(other, ensure_ascii=False))
    hanako_before = await _scan(db, load_metadata(), HANAKO)
    before = await _scan(db, load_metadata(), TARO)
    assert len(before) > 30  # the scan sees the seeded data

    async with db.read() as s:
        preview = await preview_erasure(s, taro, NOW)
    assert await _scan(db, load_metadata(), TARO) == before  # a preview changes nothing
    assert preview.counts["talk_entry"] == {"delete": 4}
    assert preview.counts["booking_reservation"] == {"anonymise": 1}
    assert preview.counts["report_photo"] == {"delete": 1}
    assert preview.counts["delivery_batch"] == {"anonymise": 1}
    assert await count(db, "talk_entry", channel_user_id=TARO.uid) == 4

    async with db.write() as s:
        uid = await user_id_of(s, taro)
        assert await erase_inbox_events(inbox, uid) == 2  # own event and the group event they sent
        done = await erase_citizen(s, taro, NOW)
    assert done.counts == preview.counts
    # every table the registry says erasure changes was changed for this citizen, and no other
    claimed = {t for t, how in REGISTRY.items() if how.startswith((DELETE, ANONYMISE, CONTENT))}
    assert set(done.counts) == claimed
    assert done.line_unlinks == [("production", TARO.uid)]

    log = load_metadata().tables["operation_log"]
    async with db.write() as s:
        kept = [r.after for r in (await (await s.connection()).execute(sa.select(log).where(log.c.action == "other")))]
        await (await s.connection()).execute(sa.delete(log).where(log.c.action == "other"))  # for the scan below
    assert all(kept) and len(kept) == 3
    assert await _scan(db, load_metadata(), TARO) == []
    assert await _scan(inbox, INBOX_METADATA, TARO) == []
    # the bystander keeps everything
    assert await _scan(db, load_metadata(), HANAKO) == hanako_before
    assert await count(db, "talk_entry", channel_user_id=HANAKO.uid) == 3
    assert await count(db, "citizen_attribute_value", citizen_id=hanako) == 1
    assert await count(db, "booking_booker", channel_user_id=HANAKO.uid) == 1
    assert len(await _scan(inbox, INBOX_METADATA, HANAKO)) >= 1
    async with db.read() as s:
        batch = (await (await s.connection()).execute(sa.text("SELECT recipients FROM delivery_batch"))).scalar_one()
    assert json.loads(batch) == [HANAKO.uid]
    # aggregates stay meaningful: the citizen row, its follow history, the occupied slot, the report
    assert await count(db, "citizen") == 2
    assert await count(db, "friendship_event", citizen_id=taro) == 1
    assert await count(db, "citizen", id=taro, is_friend=False) == 1
    assert await count(db, "booking_occupancy") == 2
    assert await count(db, "booking_reservation", status="confirmed") == 2
    assert await count(db, "report", category="road") == 2
    assert await count(db, "report_photo") == 1
    assert await count(db, "rich_menu_tap") == 2

    async with db.write() as s:  # erased once: the id no longer names anybody
        with pytest.raises(CitizenNotFound):
            await preview_erasure(s, taro, NOW)
