"""LINE's own statistics through line-bot-sdk's insight client (linesim has no insight API yet: a small
stand-in answers the two endpoints), labelled with our area names."""

from __future__ import annotations

from datetime import date

import pytest
from aiohttp import web

from civic.database import Database
from richmenus import services
from richmenus.errors import RichMenuError
from richmenus.insight import line_followers, line_richmenu_clicks
from richmenus.layout import Layout
from richmenus.line_api import AccountCredentials, SdkLineApis
from tests.richmenus.conftest import NOW, TILES, Line


def _insight_app(menus: dict[str, list[dict]]) -> web.Application:
    async def followers(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer prod-token":
            return web.json_response({"message": "Authentication failed"}, status=401)
        assert request.query["date"] == "20261120"
        return web.json_response({"status": "ready", "followers": 1520, "targetedReaches": 1200, "blocks": 48})

    async def summary(request: web.Request) -> web.Response:
        rid = request.match_info["id"]
        assert (request.query["from"], request.query["to"]) == ("20261101", "20261120")
        return web.json_response({"richMenuId": rid, "clicks": [
            {"bounds": area["bounds"], "metrics": {"count": 10 * (i + 1), "uniqueUsers": 5 + i}}
            for i, area in enumerate(menus[rid][:2])]})

    app = web.Application()
    app.router.add_get("/v2/bot/insight/followers", followers)
    app.router.add_get("/v2/bot/insight/richmenu/{id}/summary", summary)
    return app


async def test_followers_and_area_clicks_from_line(db: Database, line: Line, aiohttp_server) -> None:
    async with db.write() as s:
        menu = await services.create_menu(s, NOW, name="メイン", chat_bar_text="メニュー",
                                          layout=Layout(columns=2, rows=1, tiles=TILES[:2]))
        await services.set_targets(s, "production", default_menu_id=menu.id, segments=[])
    await line.publisher.publish("production", "manager")
    published = {rid: m["areas"] for rid, m in line.view.menus("production").items()}
    server = await aiohttp_server(_insight_app(published))
    url = str(server.make_url("")).rstrip("/")
    insight = SdkLineApis({"production": AccountCredentials("prod-token", url, url)})
    numbers = await line_followers(insight, "production", date(2026, 11, 20))
    assert (numbers.status, numbers.followers, numbers.blocks) == ("ready", 1520, 48)
    # the clicks come from LINE's insight host; which menu is ours is known from our own records
    clicks = await line_richmenu_clicks(insight, db, "production", date(2026, 11, 1), date(2026, 11, 20))
    assert [(c.label, c.area_index, c.clicks, c.unique_users) for c in clicks] == [
        ("ごみ分別", 0, 10, 5), ("施設をさがす", 1, 20, 6)]


async def test_when_line_has_no_figures_staff_are_told_why(db: Database, line: Line) -> None:
    with pytest.raises(RichMenuError) as exc:
        await line_followers(line.publisher.apis, "production", date(2026, 11, 20))  # linesim: no insight API
    assert exc.value.kind == "unavailable" and "前日分まで" in exc.value.message
