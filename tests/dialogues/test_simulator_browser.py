"""One full road-damage report in headless Chromium, through linesim's chat simulator: the citizen
types, picks a photo, chooses the place in the location picker and taps the quick replies."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect
from sqlmodel import select

from civic.reports.models import Report
from linesim.config import ChannelConfig, Place, SimConfig
from linesim.testing import TEST_SECRET, TEST_TOKEN
from tests.dialogues.conftest import INSIDE, Town, photo

pytestmark = pytest.mark.browser
WAIT = 20_000  # ms; the machine is shared


@pytest.fixture
def linesim_config() -> SimConfig:
    return SimConfig(channels=[ChannelConfig("test", TEST_SECRET, TEST_TOKEN)],
                     places=[Place("本町の交差点", INSIDE[0], INSIDE[1], "みどり町本町1丁目")])



def bot_says(page: Page, text: str):
    return page.get_by_test_id("bot-message").filter(has_text=text)


async def tap_quick_reply(page: Page, label: str) -> None:
    await page.get_by_test_id("quick-reply").filter(has_text=label).click()


async def test_a_full_report_with_photo_and_location_in_the_simulator(town: Town, page: Page, tmp_path) -> None:
    user = town.sim.create_user("山田花子")
    await page.goto(f"{town.sim.url}/simulator?user={user}")
    await expect(page.locator("body[data-ready=true]")).to_have_count(1, timeout=WAIT)

    await page.get_by_test_id("message-input").fill("道路に大きな穴があいています")
    await page.get_by_test_id("send-button").click()
    await expect(bot_says(page, "「道路の穴・段差」の通報ですね")).to_have_count(1, timeout=WAIT)

    picture = tmp_path / "pothole.jpg"
    picture.write_bytes(photo(1024, 768, exif_gps=True))
    async with page.expect_file_chooser() as chooser:
        await tap_quick_reply(page, "写真を選ぶ")
    await (await chooser.value).set_files(str(picture))
    await expect(bot_says(page, "写真を受け取りました")).to_have_count(1, timeout=WAIT)

    await tap_quick_reply(page, "位置情報を送る")
    await page.get_by_test_id("place-option").filter(has_text="本町の交差点").click()
    await expect(bot_says(page, "場所を受け取りました")).to_have_count(1, timeout=WAIT)

    await page.get_by_test_id("message-input").fill("歩道の端に30cmほどの穴があります")
    await page.get_by_test_id("send-button").click()
    await expect(bot_says(page, "以下の内容で通報します")).to_have_count(1, timeout=WAIT)
    await expect(bot_says(page, "場所：みどり町本町1丁目")).to_have_count(1, timeout=WAIT)

    await tap_quick_reply(page, "送信する")
    await expect(bot_says(page, "受付番号は 2025-00001 です")).to_have_count(1, timeout=WAIT)

    async with town.db.read() as s:
        [report] = (await s.exec(select(Report))).all()
    assert report.category == "road_surface" and report.has_photo and report.reporter == user
    assert report.address == "みどり町本町1丁目" and report.description.startswith("歩道の端に")
