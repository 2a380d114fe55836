"""Demo data: the town's facilities from content and a few weeks of plausible bookings."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import select

from civic.booking.availability import load_availability
from civic.booking.models import SOURCE_COUNTER, SOURCE_LIFF, Reservation
from civic.booking.reservations import reserve_in
from civic.booking.types import Booker, BookingRequest, Reserved
from civic.clock import Clock, tokyo
from civic.database import Database
from civic.facilities.catalogue import load_catalogue
from civic.facilities.content import SeedResult, read_facilities_file, seed_facilities
from civic.facilities.models import AVAILABILITY_ONLY, OUTSIDE, PRIVATE, RESIDENT

DEMO_NAMES = ["山田 花子", "佐藤 一郎", "鈴木 美咲", "高橋 健", "田中 由美", "みどりバレー愛好会", "みどりFC少年団",
              "桜木バドミントンクラブ", "深山卓球同好会", "グラウンドゴルフみどり会"]


@dataclass
class DemoResult:
    facilities: SeedResult
    bookings: int


async def seed_demo_bookings(db: Database, clock: Clock, *, count: int = 60, days: int = 21,
                             seed: int = 7) -> int:
    """Book up to ``count`` random free frames over the next ``days`` days (citizens and counter)."""
    rng = random.Random(seed)
    now = clock.now()
    today = tokyo(now).date()
    async with db.read() as s:
        catalogue = await load_catalogue(s)
        bundles = catalogue.ordered()
        avail = await load_availability(s, bundles, today, today + timedelta(days=days), now)
    candidates = []
    for b in bundles:
        for unit in b.units:
            if unit.visibility == PRIVATE:
                continue
            for offset in range(1, days + 1):
                for slot in avail[b.id].slots(unit, today + timedelta(days=offset)):
                    if slot.status not in ("past", "closed"):
                        candidates.append((b, unit, slot))
    rng.shuffle(candidates)
    made = 0
    for i, (bundle, unit, slot) in enumerate(candidates):
        if made >= count:
            break
        counter = unit.visibility == AVAILABILITY_ONLY or i % 4 == 0
        name = DEMO_NAMES[i % len(DEMO_NAMES)]
        booker = Booker(None if counter else f"Udemo{i % 25:04d}", OUTSIDE if i % 7 == 0 else RESIDENT,
                        frozenset({"registered_group"}), name, "0000-00-9999", staff_id=1 if counter else None)
        purposes = bundle.purposes_for(unit.id or 0)
        request = BookingRequest(unit.id or 0, slot.day, slot.start_minute, slot.end_minute,
                                 people=min(unit.capacity or 10, 4 + i % 20), purpose=purposes[i % len(purposes)]
                                 if purposes else "", activity="練習" if unit.activity_required else None,
                                 terms_accepted=True)
        async with db.write() as s:
            result = await reserve_in(s, request, booker, now, source=SOURCE_COUNTER if counter else SOURCE_LIFF)
        made += isinstance(result, Reserved)
    return made


async def seed_booking_demo(db: Database, clock: Clock, content_dir: Path | str, *,
                            bookings: int = 60) -> DemoResult:
    """What the demo command calls: facilities from ``<content_dir>/facilities.yml`` plus bookings.

    Idempotent for facilities (existing codes are skipped); bookings are only added while there are
    none (a service that installed the facilities itself still gets its demo bookings).
    """
    data = read_facilities_file(Path(content_dir) / "facilities.yml")
    now: datetime = clock.now()
    async with db.write() as s:
        seeded = await seed_facilities(s, data, now)
        booked = (await s.exec(select(Reservation.id).limit(1))).first() is not None
    made = 0 if booked else await seed_demo_bookings(db, clock, count=bookings)
    return DemoResult(seeded, made)
