"""A read-only snapshot of facilities with everything booking needs, loaded in a few queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.facilities.models import (
    FRAMES,
    PRIVATE,
    Area,
    Equipment,
    Facility,
    FeeRule,
    Frame,
    OpeningHours,
    Purpose,
    Unit,
    UnitArea,
)
from civic.rows import pk


@dataclass
class FacilityBundle:
    facility: Facility
    units: list[Unit] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)
    unit_areas: dict[int, frozenset[int]] = field(default_factory=dict)
    hours: dict[str, OpeningHours] = field(default_factory=dict)
    frames: list[Frame] = field(default_factory=list)
    fees: dict[int, list[FeeRule]] = field(default_factory=dict)
    equipment: list[Equipment] = field(default_factory=list)
    purposes: list[Purpose] = field(default_factory=list)

    @property
    def id(self) -> int:
        assert self.facility.id is not None
        return self.facility.id

    def unit(self, unit_id: int) -> Unit | None:
        return next((u for u in self.units if u.id == unit_id), None)

    def areas_of(self, unit_id: int) -> frozenset[int]:
        return self.unit_areas.get(unit_id, frozenset())

    def sharing_units(self, unit_id: int) -> set[int]:
        """Units that share a physical area with ``unit_id`` (itself included): they exclude each other."""
        mine = self.areas_of(unit_id)
        return {u.id for u in self.units if u.id is not None and (u.id == unit_id or mine & self.areas_of(u.id))}

    def frames_for(self, unit: Unit, day_type: str) -> list[tuple[int, int, str]]:
        """Fixed frames of a frames-mode unit on a day type, in time order; unit frames win."""
        if unit.booking_mode != FRAMES:
            return []
        own = [f for f in self.frames if f.unit_id == unit.id]
        chosen = own if own else [f for f in self.frames if f.unit_id is None]
        out = [(f.start_minute, f.end_minute, f.label) for f in chosen if not f.day_types or day_type in f.day_types]
        return sorted(out)

    def purposes_for(self, unit_id: int) -> list[str]:
        own = [p for p in self.purposes if p.unit_id == unit_id]
        chosen = own if own else [p for p in self.purposes if p.unit_id is None]
        return [p.name for p in sorted(chosen, key=lambda p: (p.display_order, p.id or 0))]

    def equipment_for(self, unit_id: int) -> list[Equipment]:
        """Equipment a booking of this unit may reserve: the unit's own and the facility's shared items."""
        items = [e for e in self.equipment if e.active and (e.unit_id is None or e.unit_id == unit_id)]
        return sorted(items, key=lambda e: (e.display_order, e.id or 0))

    def citizen_units(self) -> list[Unit]:
        return [u for u in self.units if u.visibility != PRIVATE]


@dataclass
class Catalogue:
    facilities: dict[int, FacilityBundle]
    _by_unit: dict[int, FacilityBundle] | None = field(default=None, repr=False)

    def bundle_of_unit(self, unit_id: int) -> FacilityBundle | None:
        if self._by_unit is None:
            self._by_unit = {u.id: b for b in self.facilities.values() for u in b.units if u.id is not None}
        return self._by_unit.get(unit_id)

    def ordered(self) -> list[FacilityBundle]:
        return sorted(self.facilities.values(), key=lambda b: (b.facility.display_order, b.id))


async def load_catalogue(session: AsyncSession, facility_ids: Iterable[int] | None = None) -> Catalogue:
    """Every facility (or the given ones) with units, areas, hours, frames, fees, equipment, purposes."""
    ids = None if facility_ids is None else sorted(set(facility_ids))
    fq = select(Facility)
    if ids is not None:
        fq = fq.where(col(Facility.id).in_(ids))
    bundles = {pk(f): FacilityBundle(f) for f in (await session.exec(fq)).all()}
    if not bundles:
        return Catalogue({})
    fids = list(bundles)

    def by_facility(model):
        return select(model).where(col(model.facility_id).in_(fids))

    units = (await session.exec(by_facility(Unit).order_by(Unit.display_order, Unit.id))).all()
    unit_ids = [u.id for u in units]
    for u in units:
        bundles[u.facility_id].units.append(u)
    for a in (await session.exec(by_facility(Area).order_by(Area.id))).all():
        bundles[a.facility_id].areas.append(a)
    links: dict[int, set[int]] = defaultdict(set)
    if unit_ids:
        for link in (await session.exec(select(UnitArea).where(col(UnitArea.unit_id).in_(unit_ids)))).all():
            links[link.unit_id].add(link.area_id)
    for u in units:
        bundles[u.facility_id].unit_areas[u.id] = frozenset(links.get(u.id, ()))
    for h in (await session.exec(by_facility(OpeningHours))).all():
        bundles[h.facility_id].hours[h.day_type] = h
    for f in (await session.exec(by_facility(Frame).order_by(Frame.start_minute))).all():
        bundles[f.facility_id].frames.append(f)
    for e in (await session.exec(by_facility(Equipment))).all():
        bundles[e.facility_id].equipment.append(e)
    for p in (await session.exec(by_facility(Purpose))).all():
        bundles[p.facility_id].purposes.append(p)
    if unit_ids:
        unit_facility = {u.id: u.facility_id for u in units}
        rules = (await session.exec(select(FeeRule).where(col(FeeRule.unit_id).in_(unit_ids)))).all()
        for r in rules:
            bundles[unit_facility[r.unit_id]].fees.setdefault(r.unit_id, []).append(r)
    return Catalogue(bundles)


class CatalogueCache:
    """The last loaded catalogue, reused while no facility changed (one cheap query to know).

    For display (availability, lists); booking itself always reads fresh rows under the lock.
    Changes must go through ``touch`` (the staff API and content seeding do).
    """

    def __init__(self) -> None:
        self._version: tuple[int, int] | None = None
        self._catalogue: Catalogue | None = None

    async def get(self, session: AsyncSession) -> Catalogue:
        count, revisions = (await session.exec(select(func.count(col(Facility.id)), func.sum(Facility.revision)))).one()
        version = (int(count or 0), int(revisions or 0))
        if self._catalogue is None or version != self._version:
            self._catalogue = await load_catalogue(session)
            self._version = version
        return self._catalogue


def touch(facility: Facility, now: datetime) -> None:
    """Record a change to the facility or anything under it."""
    facility.revision += 1
    facility.updated_at = now
