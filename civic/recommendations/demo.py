"""The demo's おすすめ (``content/<town>/recommendations.yml``), added once: staff edits stay."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
import yaml
from sqlmodel import select

from civic.clock import Clock
from civic.database import Database
from civic.recommendations import services
from civic.recommendations.models import RecommendationRule


async def seed_recommendations(db: Database, clock: Clock, town_dir: Path) -> int:
    """Adds the town's rules when there are none yet; returns how many were added."""
    path = town_dir / "recommendations.yml"
    if not path.exists():
        return 0
    rules = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    async with db.write() as s:
        if (await s.exec(select(sa.func.count()).select_from(RecommendationRule))).one():
            return 0
        for position, rule in enumerate(rules):
            await services.create_rule(s, clock.now(), filter_data=rule["condition"], by="(demo)",
                                       title=rule["title"], body=rule.get("body", ""),
                                       link_url=rule.get("link_url", ""), date_label=rule.get("date_label", ""),
                                       position=position)
    return len(rules)
