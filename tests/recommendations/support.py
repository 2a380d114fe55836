"""A small demo town for おすすめ: the demo catalogue, the demo rules, three citizens (2026-11-21)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from civic.attributes import services as attributes
from civic.clock import FrozenClock
from civic.database import Database
from civic.recommendations.demo import seed_recommendations
from tests.attributes.support import NOW, add_citizens, install_demo

TODAY = date(2026, 11, 21)
MIDORI = Path(__file__).resolve().parents[2] / "content" / "midori"
ANSWERS = {
    "toddler": {"children_birth_dates": ["2025-05-10"], "birth_date": "1990-04-01"},  # 1歳6か月 on 2026-11-10
    "senior": {"children_birth_dates": ["2024-01-10"], "birth_date": "1958-12-01"},  # 67, a child of 2y10m
    "bare": {"birth_date": "1990-04-01"},
}


async def build(db: Database, *, users: tuple[str, ...] = ()) -> dict[str, int]:
    """Citizens ``toddler`` (a child of 1 year 6 months), ``senior`` (67, a child of 2 years 10 months)
    and ``bare`` (no child, 36): ``users`` names their LINE userIds if given."""
    await install_demo(db)
    ids = await add_citizens(db, 3)
    people = dict(zip(["toddler", "senior", "bare"], ids, strict=True))
    async with db.write() as s:
        await attributes.set_values(s, NOW, people["toddler"], ANSWERS["toddler"])
        await attributes.set_values(s, NOW, people["senior"], ANSWERS["senior"])
        await attributes.set_values(s, NOW, people["bare"], ANSWERS["bare"])
    await seed_recommendations(db, FrozenClock(NOW), MIDORI)
    return people
