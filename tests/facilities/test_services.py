"""Facility management in the caller's transaction (``civic.facilities.services``), on SQLite and PostgreSQL:
the caller (the staff API's view) opens ``db.write()``; a refusal is a ``FacilityError`` naming the field."""

from __future__ import annotations

import pytest
from sqlmodel import select

from civic.booking.services import BookingService
from civic.database import Database
from civic.facilities import services as facilities
from civic.facilities.models import Area, Equipment, Facility, FeeRule, Frame, Unit, UnitArea
from civic.facilities.services import FacilityError
from tests.booking.town import build_town, citizen


async def test_codes_are_unique_within_a_facility_not_across_the_town(db: Database) -> None:
    town = await build_town(db)
    now = town.clock.now()
    async with db.write() as s:
        pool = await facilities.create(s, {"code": "pool", "name": "町民プール", "category": "pool"}, now)
        # "half-a" is the gym's unit too: another facility's code is free
        unit, areas = await facilities.create_unit(s, pool.id or 0, {"code": "half-a", "name": "1コース",
                                                                     "area_ids": []}, now)
        assert len(areas) == 1 and (await s.get(Area, areas[0])).code == f"unit-{unit.id}"  # an area of its own
    async with db.write() as s:  # but not twice in one facility
        with pytest.raises(FacilityError) as refused:
            await facilities.create_unit(s, pool.id or 0, {"code": "half-a", "name": "2コース", "area_ids": []}, now)
    assert (refused.value.kind, refused.value.field) == ("duplicate", "code")
    async with db.write() as s:
        with pytest.raises(FacilityError) as refused:
            await facilities.create(s, {"code": "pool", "name": "別のプール", "category": "pool"}, now)
    assert (refused.value.kind, refused.value.field) == ("duplicate", "code")
    async with db.write() as s:
        with pytest.raises(FacilityError) as refused:
            await facilities.create_unit(s, pool.id or 0, {"code": "lane2", "name": "2コース", "slot_minutes": 50,
                                                           "area_ids": []}, now)
    assert (refused.value.kind, refused.value.field) == ("invalid", "slot_minutes")


async def test_a_booked_unit_is_kept_and_an_unbooked_one_goes_with_everything_under_it(db: Database) -> None:
    town = await build_town(db)
    now = town.clock.now()
    made = await BookingService(db, town.clock).reserve(town.request("gym.half-a"), citizen("U1"))
    assert getattr(made, "number", None), made
    async with db.write() as s:
        half = await s.get(Unit, town.unit("gym.half-a"))
        with pytest.raises(FacilityError) as refused:
            await facilities.remove_unit(s, half, now)
        assert refused.value.kind == "in_use" and "非公開" in refused.value.message
        with pytest.raises(FacilityError) as refused:  # its shared areas neither, while it is booked ahead
            await facilities.update_unit(s, half, {"area_ids": []}, now)
        assert (refused.value.kind, refused.value.field) == ("in_use", "area_ids")
    async with db.read() as s:
        revision = (await s.get(Facility, town.facilities["gym"])).revision
    async with db.write() as s:
        whole = await s.get(Unit, town.unit("gym.whole"))
        assert await facilities.unit_area_ids(s, whole.id)
        await facilities.remove_unit(s, whole, now)
    async with db.read() as s:
        assert await s.get(Unit, town.unit("gym.whole")) is None
        assert (await s.exec(select(UnitArea).where(UnitArea.unit_id == town.unit("gym.whole")))).all() == []
        assert (await s.exec(select(FeeRule).where(FeeRule.unit_id == town.unit("gym.whole")))).all() == []
        gym = await s.get(Facility, town.facilities["gym"])
        assert gym.revision == revision + 1  # the facility's revision moved: cached catalogues reload


async def test_settings_stay_within_their_facility_and_booked_equipment_is_kept(db: Database) -> None:
    town = await build_town(db)
    now = town.clock.now()
    gym, tennis = town.facilities["gym"], town.facilities["tennis"]
    async with db.write() as s:
        with pytest.raises(FacilityError) as refused:  # a tennis court is no unit of the gymnasium
            await facilities.add_setting(s, Frame(facility_id=gym, unit_id=town.unit("tennis.c1"), day_types=["weekday"],
                                                  start_minute=540, end_minute=600, label="朝"), now)
        assert (refused.value.kind, refused.value.field) == ("invalid", "unit_id")
    async with db.write() as s:
        with pytest.raises(FacilityError) as refused:  # the gym's net exists already
            await facilities.add_setting(s, Equipment(facility_id=gym, code="net", name="ネット", quantity=1,
                                                      unit_label="組"), now)
        assert (refused.value.kind, refused.value.field) == ("duplicate", "code")
    async with db.write() as s:  # the same code in another facility, and a change keeping its own code, are fine
        net = await facilities.add_setting(s, Equipment(facility_id=tennis, code="net", name="ネット", quantity=4,
                                                        unit_label="組"), now)
        await facilities.change_setting(s, net, {"code": "net", "quantity": 6}, now)
    made = await BookingService(db, town.clock).reserve(
        town.request("gym.half-a", equipment={town.equipment["gym.net"]: 1}), citizen("U1"))
    assert getattr(made, "number", None), made
    async with db.write() as s:
        with pytest.raises(FacilityError) as refused:
            await facilities.remove_setting(s, await s.get(Equipment, town.equipment["gym.net"]), now)
        assert refused.value.kind == "in_use" and "active=false" in refused.value.message
        await facilities.remove_setting(s, net, now)
    async with db.read() as s:
        assert await s.get(Equipment, town.equipment["gym.net"]) is not None and await s.get(Equipment, net.id) is None
