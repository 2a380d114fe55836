"""Shelters as content (``content/<town>/shelters.yml``) and seeding them (issue #22).

Each shelter is a facility (category ``shelter``, not shown in the facility search nor bookable:
``private``) with its ``shelter`` row: capacity and kinds from the file; state 未開設 and nobody
there until staff open it. Seeding again updates names, places, capacities and kinds and keeps the
state and count staff set."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.disaster.models import SHELTER_KINDS, Shelter
from civic.facilities.models import PRIVATE, Facility

CATEGORY = "shelter"


def read_shelters_file(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = list(data.get("shelters") or [])
    for entry in entries:
        if not all(k in SHELTER_KINDS for k in entry.get("kinds", [])):
            raise ValueError(f"{entry.get('code')}: kinds は {', '.join(SHELTER_KINDS)} から選んでください")
    return entries


async def seed_shelters(s: AsyncSession, entries: list[dict[str, Any]], now: datetime) -> list[int]:
    ids = []
    for i, entry in enumerate(entries):
        facility = (await s.exec(select(Facility).where(Facility.code == entry["code"]))).first()
        if facility is None:
            facility = Facility(code=entry["code"], name=entry["name"], category=CATEGORY, visibility=PRIVATE,
                                created_at=now, updated_at=now)
        facility.name, facility.address = entry["name"], entry.get("address", "")
        facility.latitude, facility.longitude = entry["location"]
        facility.display_order = 1000 + i
        facility.updated_at = now
        s.add(facility)
        await s.flush()
        assert facility.id is not None
        shelter = await s.get(Shelter, facility.id)
        if shelter is None:
            shelter = Shelter(facility_id=facility.id, updated_at=now, updated_by="content")
        shelter.capacity = int(entry.get("capacity", 0))
        shelter.kinds = ",".join(entry.get("kinds", ["designated"]))
        s.add(shelter)
        ids.append(facility.id)
    await s.flush()
    return ids
