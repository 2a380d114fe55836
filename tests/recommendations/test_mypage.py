"""おすすめ on the my-page (LIFF and web): a citizen with a child of 1 year 7 months sees the 1歳6か月健診 (with the day
the child reached that age) and 児童手当; a citizen without a registered child sees none. The page in
headless Chromium (LIFF) is checked with axe-core."""

from __future__ import annotations

from datetime import date

from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import expect

from civic.attributes import services as attributes
from civic.booking.services import BookingService
from civic.clock import tokyo
from civic.mypage import identity
from civic.mypage.notices import MailSettings
from civic.recommendations.demo import seed_recommendations
from liff.identity import StaticIdTokenVerifier
from liff.mypage.app import create_mypage_app
from liff.mypage.deps import COOKIE, MyPageDeps
from tests.attributes.support import install_demo
from tests.browser import axe_violations, chromium, phone_page
from tests.mypage.town import ALICE, BOB, build
from tests.recommendations.support import MIDORI

TOKENS = {"tok-alice": ALICE, "tok-bob": BOB}


def _months_back(today: date, months: int) -> date:
    total = today.year * 12 + today.month - 1 - months
    return date(total // 12, total % 12 + 1, 1)


async def _town(db):
    """Alice has a child of 19 months (born on the 1st); Bob registered only his own birth date (40)."""
    t = await build(db, notices=0)
    now = t.town.clock.now()
    today = tokyo(now).date()
    await install_demo(db, now)
    born = _months_back(today, 19)
    async with db.write() as s:
        await attributes.set_values(s, now, t.alice, {"children_birth_dates": [born.isoformat()]})
        await attributes.set_values(s, now, t.bob, {"birth_date": _months_back(today, 40 * 12).isoformat()})
    await seed_recommendations(db, t.town.clock, MIDORI)
    return t, _months_back(today, 1)  # the day the child turned 1 year 6 months


def _app(db, t) -> web.Application:
    deps = MyPageDeps(db, t.town.clock, BookingService(db, t.town.clock), StaticIdTokenVerifier(TOKENS),
                      mail=MailSettings("みどり町"))
    return create_mypage_app(deps)


async def test_me_lists_the_citizens_recommendations(sqlite_db, aiohttp_client) -> None:
    t, milestone = await _town(sqlite_db)
    client = await aiohttp_client(_app(sqlite_db, t))
    me = await (await client.get("/api/me", headers={"Authorization": "Bearer tok-alice"})).json()
    assert [r["title"] for r in me["recommendations"]] == ["1歳6か月児健康診査のご案内", "児童手当 現況届の提出"]
    first = me["recommendations"][0]
    assert first["date_label"] == "お子さまが1歳6か月になった日" and first["dates"] == [milestone.isoformat()]
    assert first["link_url"].startswith("https://")
    bob = await (await client.get("/api/me", headers={"Authorization": "Bearer tok-bob"})).json()
    assert bob["recommendations"] == []
    # on the web (a session the e-mail code opened): the same section for the same citizen
    async with sqlite_db.write() as s:
        token = await identity.open_session(s, t.town.clock.now(), t.alice)
    web_me = await (await client.get("/api/me", cookies={COOKIE: token})).json()
    assert web_me["identity"]["via"] == "web" and web_me["recommendations"] == me["recommendations"]


async def test_the_section_in_the_browser(sqlite_db) -> None:
    t, milestone = await _town(sqlite_db)
    app = web.Application()
    app.add_subapp("/liff/mypage", _app(sqlite_db, t))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with chromium() as browser, phone_page(browser, line=True) as page:
            await page.clock.set_fixed_time(t.town.clock.now())
            await page.goto(str(server.make_url("/liff/mypage/")) + "?id_token=tok-alice")
            await expect(page.locator("body[data-ready]")).to_be_attached()
            items = page.locator("#recommendations li")
            await expect(items).to_have_count(2)
            await expect(items.first).to_contain_text("1歳6か月児健康診査のご案内")
            await expect(items.first).to_contain_text(
                f"お子さまが1歳6か月になった日：{milestone.year}年{milestone.month}月{milestone.day}日")
            await expect(page.get_by_role("link", name="おすすめ")).to_be_visible()
            assert not await axe_violations(page)
            await page.goto(str(server.make_url("/liff/mypage/")) + "?id_token=tok-bob")
            await expect(page.locator("body[data-ready]")).to_be_attached()
            await expect(page.locator("#recommendations")).to_contain_text("いまご案内できるおすすめはありません。")
            await expect(page.locator("#recommendations li")).to_have_count(0)
    finally:
        await server.close()
