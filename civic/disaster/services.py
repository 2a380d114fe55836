"""The mode and shelters, inside the caller's transaction (the edge commits)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.disaster.models import (
    CLOSED,
    CROWDED,
    FULL,
    MODES,
    NORMAL,
    NOT_OPEN,
    OPEN,
    SHELTER_KINDS,
    SHELTER_STATES,
    DisasterModeChange,
    Shelter,
)
from civic.facilities.models import Facility


class DisasterError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message


async def latest_change(s: AsyncSession) -> DisasterModeChange | None:
    return (await s.exec(select(DisasterModeChange)
                         .order_by(col(DisasterModeChange.changed_at).desc(), col(DisasterModeChange.id).desc())
                         .limit(1))).first()


async def current_mode(s: AsyncSession) -> str:
    row = await latest_change(s)
    return row.mode if row is not None else NORMAL


async def change_mode(s: AsyncSession, now: datetime, *, mode: str, by: str, reason: str) -> DisasterModeChange | None:
    """Record a change; None when the town is already in ``mode`` (nothing to do)."""
    if mode not in MODES:
        raise DisasterError("invalid", f"モード「{mode}」はありません（normal / alert / disaster）。")
    reason = reason.strip()
    if not reason:
        raise DisasterError("invalid", "切り替えの理由を入力してください。")
    previous = await current_mode(s)
    if previous == mode:
        return None
    row = DisasterModeChange(mode=mode, previous=previous, reason=reason[:500], changed_by=by[:80], changed_at=now)
    s.add(row)
    await s.flush()
    return row


async def history(s: AsyncSession, limit: int = 50) -> list[DisasterModeChange]:
    return list((await s.exec(select(DisasterModeChange)
                              .order_by(col(DisasterModeChange.changed_at).desc(), col(DisasterModeChange.id).desc())
                              .limit(limit))).all())


# ---- shelters ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShelterView:
    facility: Facility
    shelter: Shelter
    distance_m: float | None = None

    @property
    def kinds(self) -> list[str]:
        return [k for k in self.shelter.kinds.split(",") if k]


#: Order shown to citizens: open ones first, then not yet open, then full and closed (never first).
STATE_RANK = {OPEN: 0, CROWDED: 0, NOT_OPEN: 1, FULL: 2, CLOSED: 3}


async def shelters(s: AsyncSession) -> list[ShelterView]:
    rows = (await s.exec(select(Facility, Shelter).join(Shelter, col(Shelter.facility_id) == col(Facility.id))
                         .order_by(col(Facility.display_order), col(Facility.id)))).all()
    return [ShelterView(f, sh) for f, sh in rows]


async def update_shelter(s: AsyncSession, now: datetime, facility_id: int, *, by: str, state: str | None = None,
                         capacity: int | None = None, occupancy: int | None = None,
                         kinds: list[str] | None = None) -> ShelterView:
    facility = await s.get(Facility, facility_id)
    if facility is None:
        raise DisasterError("not_found", f"施設（ID {facility_id}）は見つかりません。")
    if state is not None and state not in SHELTER_STATES:
        raise DisasterError("invalid", f"避難所の状態「{state}」はありません。")
    if kinds is not None and any(k not in SHELTER_KINDS for k in kinds):
        raise DisasterError("invalid", "避難所の種別は designated / welfare / pets から選んでください。")
    row = await s.get(Shelter, facility_id)
    if row is None:
        row = Shelter(facility_id=facility_id, updated_at=now)
    if state is not None:
        row.state = state
    if capacity is not None:
        row.capacity = max(0, capacity)
    if occupancy is not None:
        row.occupancy = max(0, occupancy)
    if kinds is not None:
        row.kinds = ",".join(dict.fromkeys(kinds))
    row.updated_at, row.updated_by = now, by[:80]
    s.add(row)
    await s.flush()
    return ShelterView(facility, row)


Distance = Callable[[tuple[float, float], tuple[float, float]], float]


def rank(views: list[ShelterView], latitude: float, longitude: float, distance: Distance) -> list[ShelterView]:
    """Shelters citizens may see, open ones nearest first; not yet open next; full and closed last."""
    placed = [ShelterView(v.facility, v.shelter, distance((latitude, longitude), (lat, lon)))
              for v in views if (lat := v.facility.latitude) is not None and (lon := v.facility.longitude) is not None]
    return sorted(placed, key=lambda v: (STATE_RANK.get(v.shelter.state, 9), v.distance_m or 0.0))

#: States in which a shelter takes people in.
OPEN_STATES = (OPEN, CROWDED)
