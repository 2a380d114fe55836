"""Hand-over chats past ``HANDOVER_KEEP_MONTHS`` (``bot.retention``): messages of hand-overs closed
before the cutoff are deleted and the citizen's id taken out; open ones and recent ones stay; the row
stays for the figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from civic.database import Database
from civic.handover import services as handovers
from civic.handover.models import Handover, HandoverMessage
from civic.handover.retention import PURGED, purge_closed_handovers

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


async def test_closed_chats_past_the_cutoff_lose_their_messages_and_citizen(db: Database) -> None:
    ages = {"old": 500, "recent": 30, "open": 500}
    ids: dict[str, int] = {}
    async with db.write() as s:
        for name, days in ages.items():
            at = NOW - timedelta(days=days)
            row, _ = await handovers.request(s, f"U{name:0<32}", channel="production", now=at)
            await handovers.record_citizen(s, row, kind="text", text=f"{name} の相談です", now=at)
            assert row.id is not None
            ids[name] = row.id
            if name != "open":
                await handovers.close(s, row.id, by="citizen", now=at + timedelta(minutes=5), notifier=None)
    cutoff = NOW - timedelta(days=396)
    assert await purge_closed_handovers(db, cutoff, batch=1) == 1
    assert await purge_closed_handovers(db, cutoff) == 0  # done once
    async with db.read() as s:
        kept = {m.handover_id for m in (await s.exec(select(HandoverMessage))).all()}
        rows = {r.id: r for r in (await s.exec(select(Handover))).all()}
    assert kept == {ids["recent"], ids["open"]}
    assert rows[ids["old"]].channel_user_id == PURGED and rows[ids["old"]].closed_at is not None
    assert rows[ids["recent"]].channel_user_id.startswith("Urecent")
