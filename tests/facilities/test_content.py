"""The demo town's 17 facilities load from content/midori/facilities.yml on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from civic.database import Database
from civic.facilities.catalogue import load_catalogue
from civic.facilities.content import ContentError, read_facilities_file, seed_facilities
from civic.facilities.models import FRAMES, PRIVATE, Facility
from tests.booking.town import NOW

CONTENT = Path(__file__).resolve().parents[2] / "content" / "midori" / "facilities.yml"


async def test_the_seventeen_facilities_of_table_1(db: Database) -> None:
    data = read_facilities_file(CONTENT)
    async with db.write() as s:
        result = await seed_facilities(s, data, NOW)
    assert len(result.created) == 17
    async with db.read() as s:
        catalogue = await load_catalogue(s)
    bundles = catalogue.ordered()
    assert [b.facility.display_order for b in bundles] == list(range(1, 18))
    categories = {b.facility.category for b in bundles}
    assert {"arena", "gymnasium", "budokan", "field", "park", "multipurpose", "campsite", "tennis", "dog_run"} <= categories
    for b in bundles:
        f = b.facility
        assert 34.9 < f.latitude < 35.1 and 134.9 < f.longitude < 135.1, f.code
        assert f.description and f.address and b.hours, f.code
        assert b.units and all(b.areas_of(u.id) for u in b.units), f.code  # every unit occupies an area
        for u in b.units:
            if u.visibility != PRIVATE:
                assert b.fees.get(u.id), (f.code, u.code)
            if u.booking_mode == FRAMES:
                assert any(b.frames_for(u, d) for d in ("weekday", "saturday")), (f.code, u.code)
    arena = next(b for b in bundles if b.facility.code == "arena")
    whole = next(u for u in arena.units if u.code == "whole")
    assert {u.code for u in arena.units if u.id in arena.sharing_units(whole.id)} == {"whole", "half-a", "half-b"}
    camp = next(b for b in bundles if b.facility.code == "midoriyama-camp")
    assert (14 * 60, 34 * 60, "宿泊（1泊）") in camp.frames_for(camp.units[0], "weekday")
    async with db.write() as s:
        again = await seed_facilities(s, data, NOW)
    assert not again.created and len(again.skipped) == 17


async def test_content_errors_name_the_place(db: Database) -> None:
    bad_time = {"facilities": [{"code": "x", "name": "x", "hours": {"weekday": "9時-17時"}}]}
    with pytest.raises(ContentError, match=r"facilities\[x\]\.hours\.weekday"):
        async with db.write() as s:
            await seed_facilities(s, bad_time, NOW)
    bad_area = {"facilities": [{"code": "y", "name": "y", "units": [{"code": "u", "name": "u", "areas": ["nowhere"]}]}]}
    with pytest.raises(ContentError, match="エリア"):
        async with db.write() as s:
            await seed_facilities(s, bad_area, NOW)
    off_grid = {"facilities": [{"code": "z", "name": "z", "frames": [{"time": "9:10-12:00"}]}]}
    with pytest.raises(ContentError, match="15分単位"):
        async with db.write() as s:
            await seed_facilities(s, off_grid, NOW)
    async with db.read() as s:  # nothing half-loaded was committed
        assert (await s.exec(select(Facility))).all() == []
