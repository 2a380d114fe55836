"""A small test town: a gymnasium with a whole court and two halves, a tennis club in free mode,
a counter-only building. Frozen at Friday 2026-11-20 10:00 JST (bookings open two months ahead)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import select

from civic.booking.types import Booker, BookingRequest
from civic.clock import TOKYO, FrozenClock
from civic.database import Database
from civic.facilities.content import parse_range, seed_facilities
from civic.facilities.models import Equipment, Facility, Unit

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=TOKYO)
SATURDAY = date(2026, 12, 5)
ALL_DAYS = {"weekday": "9:00-21:00", "saturday": "9:00-21:00", "sunday": "9:00-21:00", "holiday": "9:00-17:00"}

TOWN: dict[str, Any] = {"facilities": [
    {"code": "gym", "name": "テスト体育館", "kana": "てすとたいいくかん", "category": "gymnasium",
     "location": [35.0, 135.0], "terms": "室内履きを使用してください。",
     "closed": {"weekly": ["mon"], "moves_after_holiday": True, "year_end": True},
     "policy": {"opens_months": 2, "opens_at": "9:00", "closes_hours": 24, "change_deadline_hours": 72,
                "cancel_deadline_hours": 48, "max_active": 4, "max_per_day": 2, "offer_hours": 24},
     "hours": ALL_DAYS,
     "frames": [{"time": "9:00-12:00", "label": "午前"}, {"time": "13:00-17:00", "label": "午後"},
                {"time": "18:00-21:00", "label": "夜間", "days": ["weekday", "saturday", "sunday"]}],
     "areas": [{"code": "north", "name": "北側"}, {"code": "south", "name": "南側"}],
     "units": [
         {"code": "whole", "name": "全面", "kind": "court", "areas": ["north", "south"], "capacity": 100,
          "fees": [{"per_hour": {"all": 800, "outside": 1600}}]},
         {"code": "half-a", "name": "半面A", "kind": "court", "areas": ["north"], "capacity": 50,
          "fees": [{"per_hour": {"all": 400, "outside": 800}}]},
         {"code": "half-b", "name": "半面B", "kind": "court", "areas": ["south"], "capacity": 50,
          "fees": [{"per_hour": {"all": 400, "outside": 800}}]},
         {"code": "event", "name": "大会利用", "kind": "court", "areas": ["north", "south"],
          "approval_required": True, "allowed_attributes": ["registered_group"], "activity_required": True},
     ],
     "equipment": [
         {"code": "light", "name": "照明", "kind": "attached", "unit": "whole", "unit_label": "式", "fee": 500,
          "per": "hour"},
         {"code": "net", "name": "ネット", "quantity": 2, "unit_label": "組", "fee": 100},
     ],
     "purposes": ["バレーボール", "バドミントン", "大会・行事"],
     "calendar": [{"date": "2026-12-06", "kind": "blocked", "reason": "町民大会"},
                  {"date": "2026-12-09", "kind": "closed", "time": "9:00-12:00", "reason": "点検"}]},
    {"code": "tennis", "name": "テストテニスコート", "category": "tennis", "closed": {"weekly": []},
     "policy": {"closes_hours": 1, "max_per_day": 1, "cancel_deadline_hours": 2, "change_deadline_hours": 2},
     "hours": {d: "8:00-21:00" for d in ALL_DAYS},
     "units": [{"code": f"c{i}", "name": f"{i}番コート", "kind": "court", "mode": "free", "slot_minutes": 60,
                "min_minutes": 60, "max_minutes": 120, "capacity": 8,
                "fees": [{"time": "8:00-18:00", "per_hour": {"all": 400}},
                         {"time": "18:00-21:00", "per_hour": {"all": 600}}]} for i in (1, 2)]},
    {"code": "hall", "name": "テスト会議棟", "category": "hall", "closed": {"weekly": []},
     "policy": {"citizen_can_cancel": False},
     "hours": ALL_DAYS, "frames": [{"time": "9:00-12:00"}],
     "units": [{"code": "room", "name": "会議室", "visibility": "availability"},
               {"code": "staff", "name": "職員室", "visibility": "private"}]},
]}


@dataclass
class Town:
    db: Database
    clock: FrozenClock
    units: dict[str, int] = field(default_factory=dict)
    facilities: dict[str, int] = field(default_factory=dict)
    equipment: dict[str, int] = field(default_factory=dict)

    def unit(self, code: str) -> int:
        return self.units[code]

    def request(self, unit: str, day: date = SATURDAY, time: str = "9:00-12:00", **kw: Any) -> BookingRequest:
        start, end = parse_range(time, "test")
        kw.setdefault("people", 10)
        kw.setdefault("purpose", "バレーボール" if unit.startswith("gym") else "")
        kw.setdefault("terms_accepted", True)
        return BookingRequest(self.units[unit], day, start, end, **kw)


def citizen(user: str = "U1", **kw: Any) -> Booker:
    kw.setdefault("name", "山田 花子")
    kw.setdefault("phone", "090-1234-5678")
    return Booker(user, **kw)


def staff_booker(user: str | None = None, **kw: Any) -> Booker:
    return Booker(user, name="窓口 太郎", staff_id=7, **kw)


async def build_town(db: Database, spec: dict[str, Any] | None = None) -> Town:
    clock = FrozenClock(NOW)
    async with db.write() as s:
        await seed_facilities(s, spec or TOWN, clock.now())
    town = Town(db, clock)
    async with db.read() as s:
        codes = {f.id: f.code for f in (await s.exec(select(Facility))).all()}
        town.facilities = {code: fid for fid, code in codes.items()}
        for u in (await s.exec(select(Unit))).all():
            town.units[f"{codes[u.facility_id]}.{u.code}"] = u.id
        for e in (await s.exec(select(Equipment))).all():
            town.equipment[f"{codes[e.facility_id]}.{e.code}"] = e.id
    return town
