"""Finding facilities for citizens (国富町 spec §9(2)(イ)): nearest to a position, by category, by
keyword — reading the catalogue that staff keep (``civic.facilities``: position, category,
description, thumbnail, display order, visibility) and today's opening hours from its calendar.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.facilities.calendar import FacilityCalendar, load_calendar_days
from civic.facilities.catalogue import FacilityBundle
from civic.facilities.models import PRIVATE, Facility, OpeningHours
from civic.rows import pk
from dialogues.geocoding import distance_m


@dataclass(frozen=True)
class FacilityGroup:
    """What citizens call a kind of facility (体育館) and the catalogue categories it covers."""

    label: str
    categories: tuple[str, ...]
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Found:
    facility: Facility
    distance_m: float | None = None


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").replace(" ", "").replace("　", "").lower()


def hhmm(minute: int) -> str:
    return f"{minute // 60}:{minute % 60:02d}"


class FacilityDirectory:
    def __init__(self, groups: Sequence[FacilityGroup], labels: dict[str, str], *, nearest: int = 5,
                 radius_km: float = 10.0) -> None:
        self.groups = list(groups)
        self.labels = dict(labels)
        self.nearest_count = nearest
        self.radius_m = radius_km * 1000

    def label(self, category: str) -> str:
        return self.labels.get(category, category)

    def group_in(self, text: str) -> FacilityGroup | None:
        """The group whose word appears in ``text`` (the longest word wins)."""
        t = fold(text)
        best: tuple[int, FacilityGroup] | None = None
        for g in self.groups:
            for w in (g.label, *g.words):
                if w and fold(w) in t and (best is None or len(w) > best[0]):
                    best = (len(w), g)
        return best[1] if best else None

    def group(self, label: str) -> FacilityGroup | None:
        return next((g for g in self.groups if g.label == label), None)

    async def visible(self, session: AsyncSession, categories: Iterable[str] | None = None) -> list[Facility]:
        """Facilities citizens may see, in the staff's display order."""
        query = select(Facility).where(Facility.visibility != PRIVATE)
        cats = list(categories or ())
        if cats:
            query = query.where(col(Facility.category).in_(cats))
        return list((await session.exec(query.order_by(col(Facility.display_order), col(Facility.id)))).all())

    async def nearest(self, session: AsyncSession, latitude: float, longitude: float,
                      categories: Iterable[str] | None = None, limit: int | None = None) -> list[Found]:
        found = [Found(f, distance_m((latitude, longitude), (f.latitude, f.longitude)))
                 for f in await self.visible(session, categories) if f.latitude is not None and f.longitude is not None]
        found = [x for x in found if x.distance_m is not None and x.distance_m <= self.radius_m]
        found.sort(key=lambda x: (x.distance_m, x.facility.display_order, x.facility.id))
        return found[: limit or self.nearest_count]

    async def keyword(self, session: AsyncSession, text: str) -> list[Found]:
        """Facilities whose name or reading contains a word of ``text`` (in display order)."""
        t = fold(text)
        out = []
        for f in await self.visible(session):
            names = {fold(f.name), fold(f.kana)}
            short = fold(f.name.replace("みどり町", ""))
            if any(n and (n in t or (len(t) >= 2 and t in n)) for n in names) or (len(short) >= 2 and short in t):
                out.append(Found(f))
        return out

    async def get(self, session: AsyncSession, facility_id: int) -> Facility | None:
        f = await session.get(Facility, facility_id)
        return f if f is not None and f.visibility != PRIVATE else None

    async def today(self, session: AsyncSession, facilities: Sequence[Facility], day: date) -> dict[int, str]:
        """``{facility id: "本日 9:00〜21:00" | "本日は休館日です（定休日）"}``."""
        ids = [f.id for f in facilities if f.id is not None]
        if not ids:
            return {}
        hours: dict[int, dict[str, OpeningHours]] = {}
        for h in (await session.exec(select(OpeningHours).where(col(OpeningHours.facility_id).in_(ids)))).all():
            hours.setdefault(h.facility_id, {})[h.day_type] = h
        rows = await load_calendar_days(session, ids, day, day)
        out: dict[int, str] = {}
        for f in facilities:
            plan = FacilityCalendar(FacilityBundle(f, hours=hours.get(pk(f), {})), rows).plan(day)
            if plan.closed_all_day or plan.open_range is None:
                reason = "・".join(plan.reasons) if plan.reasons else ""
                out[pk(f)] = f"本日は休館日です（{reason}）" if reason else "本日は休館日です"
            else:
                start, end = plan.open_range
                out[pk(f)] = f"本日 {hhmm(start)}〜{hhmm(end)}"
        return out

    @classmethod
    def from_settings(cls, raw: dict[str, Any]) -> FacilityDirectory:
        groups = [FacilityGroup(str(g["label"]), tuple(str(c) for c in g.get("categories") or ()),
                                tuple(str(w) for w in g.get("words") or ())) for g in raw.get("groups") or ()]
        return cls(groups, {str(k): str(v) for k, v in (raw.get("labels") or {}).items()},
                   nearest=int(raw.get("nearest", 5)), radius_km=float(raw.get("radius_km", 10.0)))


def distance_text(metres: float) -> str:
    if metres < 1000:
        return f"約{max(10, round(metres, -1)):.0f}m"
    return f"約{metres / 1000:.1f}km"
