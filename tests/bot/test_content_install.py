"""``python -m bot serve`` loads the town's content at start-up: facilities and, the first time, the
rich menus (published to LINE — here linesim); a restart keeps what staff changed since."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from sqlmodel import select

from bot.appkeys import DATABASE, PUBLISHER, STARTUP_CONTENT
from bot.content_install import install_first_menus
from bot.service import build_service
from bot.settings import LineAccount
from civic.clock import FrozenClock
from civic.disaster.content import read_shelters_file
from civic.disaster.models import Shelter
from civic.facilities.content import read_facilities_file, seed_facilities
from civic.facilities.models import CalendarDay, Facility
from linesim.testing import LineSim, line_sim, linesim_config, linesim_webhook_url  # noqa: F401
from richmenus.models import RichMenu, RichMenuRelease
from richmenus.publish import APPLIED
from tests.bot.helpers import REPO, make_settings

pytestmark = pytest.mark.slow
CLOCK = FrozenClock(datetime(2026, 6, 1, tzinfo=UTC))
FACILITIES = read_facilities_file(REPO / "content" / "midori" / "facilities.yml")
SHELTERS = read_shelters_file(REPO / "content" / "midori" / "shelters.yml")


@pytest.fixture(scope="module")
def knowledge():
    from bot.dialogue_wiring import build_knowledge

    return build_knowledge(make_settings("sqlite+aiosqlite://"))


async def started(database_url: str, sim: LineSim, knowledge) -> TestServer:
    line = LineAccount("production", sim.channel_secret, sim.access_token, sim.url, sim.url)
    app = build_service(make_settings(database_url, line=line), knowledge=knowledge, clock=CLOCK)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def releases(app) -> list[RichMenuRelease]:
    await app[STARTUP_CONTENT].menus_done()
    async with app[DATABASE].read() as s:
        return list((await s.exec(select(RichMenuRelease).order_by(RichMenuRelease.id))).all())


async def test_serve_installs_facilities_and_first_menus_and_a_restart_keeps_staff_edits(
        database_url, line_sim: LineSim, knowledge) -> None:  # noqa: F811
    server = await started(database_url, line_sim, knowledge)
    app = server.app
    try:
        async with app[DATABASE].read() as s:
            codes = set((await s.exec(select(Facility.code))).all())
        # the facilities, and the 8 shelters of shelters.yml (facilities too: issue #22)
        assert codes == {f["code"] for f in FACILITIES["facilities"]} | {e["code"] for e in SHELTERS}
        assert len(SHELTERS) == 8
        [release] = await releases(app)
        assert (release.account, release.status, release.created_by) == ("production", APPLIED, "(content)")
        assert len(line_sim.calls("/v2/bot/richmenu", method="POST")) >= 1
        async with app[DATABASE].write() as s:  # staff rename a facility and add a menu
            arena = (await s.exec(select(Facility).where(Facility.code == "arena"))).one()
            arena.name = "アリーナみどり（改装後）"
            s.add(arena)
            menus = (await s.exec(select(RichMenu))).all()
    finally:
        await server.close()

    again = await started(database_url, line_sim, knowledge)
    try:
        async with again.app[DATABASE].read() as s:
            arena = (await s.exec(select(Facility).where(Facility.code == "arena"))).one()
            assert arena.name == "アリーナみどり（改装後）"
            assert len((await s.exec(select(Facility))).all()) == len(FACILITIES["facilities"]) + len(SHELTERS)
            assert len((await s.exec(select(Shelter))).all()) == len(SHELTERS)
            assert len((await s.exec(select(RichMenu))).all()) == len(menus)
        assert await install_first_menus(again.app[DATABASE], CLOCK, again.app[PUBLISHER], REPO / "content" / "midori", test_account=False) == []
        assert len(await releases(again.app)) == 1  # nothing published again
    finally:
        await again.close()


async def test_seeding_twice_adds_town_holidays_once(db, tmp_path: Path) -> None:
    data = {"town_holidays": [{"date": "2026-08-14", "reason": "お盆"}], "facilities": []}
    now = datetime(2026, 6, 1, tzinfo=UTC)
    for _ in range(2):
        async with db.write() as s:
            await seed_facilities(s, data, now)
    async with db.read() as s:
        days = (await s.exec(select(CalendarDay))).all()
    assert [(d.day.isoformat(), d.kind) for d in days] == [("2026-08-14", "holiday")]
