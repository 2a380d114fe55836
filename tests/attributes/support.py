"""Helpers shared by the attribute, segment and delivery tests: the demo catalogue, citizens."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from civic.attributes import catalogue
from civic.citizens.models import Citizen
from civic.database import Database

REPO = Path(__file__).resolve().parents[2]
TOWN = REPO / "content" / "midori"
NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo


async def install_demo(db: Database, now: datetime = NOW) -> catalogue.Installed:
    async with db.write() as s:
        return await catalogue.install_town(s, now, TOWN)


async def add_citizens(db: Database, n: int, *, prefix: str = "U", test: bool = False, friend: bool = True,
                       followed_at: datetime | None = NOW, start: int = 0) -> list[int]:
    async with db.write() as s:
        rows = [Citizen(channel_user_id=f"{prefix}{i + start:032x}"[:33], is_test_account=test, is_friend=friend,
                        followed_at=followed_at, created_at=NOW) for i in range(n)]
        s.add_all(rows)
        await s.flush()
        return [r.id for r in rows]  # type: ignore[misc]
