"""The folium facility map page and the carousel thumbnails."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from civic.clock import FrozenClock
from civic.facilities.content import read_facilities_file, seed_facilities
from civic.facilities.models import PRIVATE, Facility
from dialogues.facility_directory import FacilityDirectory
from dialogues.services import TownProfile
from liff.map import create_map_app
from tests.dialogues.conftest import REPO

NOW = datetime(2025, 6, 10, 1, 0, tzinfo=UTC)  # a Tuesday


async def _client(aiohttp_client, db):
    async with db.write() as s:
        await seed_facilities(s, read_facilities_file(REPO / "content/midori/facilities.yml"), NOW)
    town = TownProfile.load(REPO / "content/midori/dialogues/town.yml")
    directory = FacilityDirectory.from_settings(town.facility_settings)
    return await aiohttp_client(create_map_app(lambda: db, FrozenClock(NOW), directory, town="みどり町"))


async def test_all_facilities_with_popups(aiohttp_client, sqlite_db) -> None:
    client = await _client(aiohttp_client, sqlite_db)
    r = await client.get("/")
    page = await r.text()
    assert r.status == 200 and r.content_type == "text/html"
    assert "<title>みどり町 施設マップ</title>" in page
    assert page.count("L.marker(") == 17
    assert "みどり町武道館" in page and "本日 " in page and "0000-00-" in page


async def test_one_kind_one_facility_and_hidden_ones(aiohttp_client, sqlite_db) -> None:
    client = await _client(aiohttp_client, sqlite_db)
    page = await (await client.get("/", params={"group": "テニスコート"})).text()
    assert page.count("L.marker(") == 1 and "みどり山公園 テニスコート" in page and "（テニスコート）" in page
    page = await (await client.get("/", params={"category": "gymnasium"})).text()
    assert page.count("L.marker(") == 8
    page = await (await client.get("/", params={"facility": "budokan"})).text()
    assert "[35.0012, 135.0032]" in page  # centred on it
    async with sqlite_db.write() as s:
        f = (await s.exec(select(Facility).where(Facility.code == "budokan"))).one()
        f.visibility = PRIVATE
        s.add(f)
    assert (await client.get("/", params={"facility": "budokan"})).status == 404
    page = await (await client.get("/")).text()
    assert page.count("L.marker(") == 16 and "みどり町武道館" not in page
    assert (await client.get("/", params={"group": "宇宙港"})).status == 404


async def test_thumbnails(aiohttp_client, sqlite_db) -> None:
    client = await _client(aiohttp_client, sqlite_db)
    r = await client.get("/thumbs/arena.png")
    data = await r.read()
    assert r.status == 200 and r.content_type == "image/png" and data[:4] == b"\x89PNG"
    assert (await client.get("/thumbs/unknown.png")).status == 404
