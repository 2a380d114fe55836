"""The facility map page: markers and a list of the staff's catalogue, Leaflet served by the package
(no CDN), tiles from the configured server — and the markers and list still there without tiles."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from playwright.async_api import Page, Route, expect
from sqlmodel import select

from civic.clock import FrozenClock
from civic.facilities.content import read_facilities_file, seed_facilities
from civic.facilities.models import PRIVATE, Facility
from dialogues.facility_directory import FacilityDirectory
from dialogues.services import TownProfile
from liff.map import TileServer, create_map_app
from tests.browser import axe_violations
from tests.dialogues.conftest import REPO

NOW = datetime(2025, 6, 10, 1, 0, tzinfo=UTC)  # a Tuesday
TILES = TileServer("https://tiles.example.jp/{z}/{x}/{y}.png", "出典：テスト地図", "https://tiles.example.jp/terms")


async def _app(db):
    async with db.write() as s:
        await seed_facilities(s, read_facilities_file(REPO / "content/midori/facilities.yml"), NOW)
    town = TownProfile.load(REPO / "content/midori/dialogues/town.yml")
    directory = FacilityDirectory.from_settings(town.facility_settings)
    return create_map_app(db, FrozenClock(NOW), directory, town="みどり町", tiles=TILES)


async def _client(aiohttp_client, db):
    return await aiohttp_client(await _app(db))


def config_of(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="map-config">(.*?)</script>', page, re.S)
    assert found
    return json.loads(found.group(1))


async def test_all_facilities_as_markers_and_a_list(aiohttp_client, sqlite_db) -> None:
    client = await _client(aiohttp_client, sqlite_db)
    r = await client.get("/")
    page = await r.text()
    assert r.status == 200 and r.content_type == "text/html"
    assert '<html lang="ja">' in page and "maximum-scale" not in page and "user-scalable" not in page
    assert "<title>みどり町 施設マップ</title>" in page
    config = config_of(page)
    assert len(config["facilities"]) == 17 and page.count('<li id="f-') == 17
    assert "みどり町武道館" in page and "本日 " in page and 'href="tel:0000002421"' in page
    assert config["tiles"]["url"] == TILES.url
    # nothing from another site but the tiles: scripts and styles are the package's own
    assert re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?:)?//', page) == []
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "img-src 'self' data: https://tiles.example.jp;" in csp
    for path in ("/static/vendor/leaflet/leaflet.js", "/static/vendor/leaflet/leaflet.css", "/static/map.js",
                 "/static/vendor/THIRD_PARTY_NOTICES.txt"):
        assert (await client.get(path)).status == 200, path


async def test_one_kind_one_facility_and_hidden_ones(aiohttp_client, sqlite_db) -> None:
    client = await _client(aiohttp_client, sqlite_db)
    page = await (await client.get("/", params={"group": "テニスコート"})).text()
    assert len(config_of(page)["facilities"]) == 1 and "みどり山公園 テニスコート" in page and "（テニスコート）" in page
    page = await (await client.get("/", params={"category": "gymnasium"})).text()
    assert len(config_of(page)["facilities"]) == 8
    page = await (await client.get("/", params={"facility": "budokan"})).text()
    config = config_of(page)
    assert config["center"] == [35.0012, 135.0032] and config["zoom"] == 16 and config["focus"] == "budokan"
    assert '<li id="f-budokan" data-code="budokan" aria-current="true">' in page
    async with sqlite_db.write() as s:
        f = (await s.exec(select(Facility).where(Facility.code == "budokan"))).one()
        f.visibility = PRIVATE
        s.add(f)
    assert (await client.get("/", params={"facility": "budokan"})).status == 404
    page = await (await client.get("/")).text()
    assert len(config_of(page)["facilities"]) == 16 and "みどり町武道館" not in page
    assert (await client.get("/", params={"group": "宇宙港"})).status == 404


async def test_thumbnails(aiohttp_client, sqlite_db) -> None:
    client = await _client(aiohttp_client, sqlite_db)
    r = await client.get("/thumbs/arena.png")
    data = await r.read()
    assert r.status == 200 and r.content_type == "image/png" and data[:4] == b"\x89PNG"
    assert (await client.get("/thumbs/unknown.png")).status == 404


async def offline(page: Page) -> list[str]:
    """Only this machine answers, as in a town hall without a line; returns what else was asked for."""
    refused: list[str] = []

    async def route(r: Route) -> None:
        if urlsplit(r.request.url).hostname in {"127.0.0.1", "localhost"}:
            await r.continue_()
        else:
            refused.append(r.request.url)
            await r.abort("internetdisconnected")

    await page.route("**/*", route)
    return refused


async def test_without_tiles_the_page_shows_markers_a_list_and_why(aiohttp_server, sqlite_db, page: Page) -> None:
    server = await aiohttp_server(await _app(sqlite_db))
    refused = await offline(page)
    await page.goto(str(server.make_url("/?facility=budokan")))
    await expect(page.locator("body[data-map-ready=true]")).to_have_count(1)
    await expect(page.locator(".leaflet-marker-icon")).to_have_count(17)
    await expect(page.locator(".leaflet-popup-content")).to_contain_text("みどり町武道館")  # focused: popup open
    await expect(page.locator("#map-note")).to_contain_text("地図の画像を読み込めませんでした")
    await expect(page.locator("ol.facilities > li")).to_have_count(17)
    assert refused and all(u.startswith("https://tiles.example.jp/") for u in refused)  # tiles, nothing else
    assert await page.locator(".leaflet-marker-icon").first.get_attribute("title")
    assert not await axe_violations(page)
    # a marker from the list
    await page.locator('#f-arena .show-on-map').click()
    await expect(page.locator(".leaflet-popup-content", has_text="アリーナみどり")).to_be_visible()


async def test_the_page_zooms_on_a_phone(aiohttp_server, sqlite_db, browser) -> None:
    """No ``maximum-scale``: a pinch zooms the page (WCAG 1.4.4); checked as LINE's browser sees it."""
    from tests.browser import phone_page

    server = await aiohttp_server(await _app(sqlite_db))
    async with phone_page(browser, line=True) as phone:
        await offline(phone)
        await phone.goto(str(server.make_url("/")))
        viewport = await phone.locator('meta[name="viewport"]').get_attribute("content")
        assert viewport == "width=device-width, initial-scale=1"
        assert not await axe_violations(phone)
