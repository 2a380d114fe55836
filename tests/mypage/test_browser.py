"""The my-page in headless Chromium: inside LINE with an ID token linesim minted and the service
verifies against linesim, and on the web with an e-mail code read from the local SMTP catcher.
Each screen is checked with axe-core (WCAG 2.x AA); a JavaScript error or a CSP violation fails."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import expect

from bot.mail_sender import MailCatcher, MailSender, SmtpConfig
from civic.booking.services import BookingService
from civic.mypage.notices import MailSettings
from liff.identity import HttpIdTokenVerifier
from liff.mypage.app import create_mypage_app
from liff.mypage.deps import MyPageDeps
from linesim.testing import LineSim, line_sim, linesim_config, linesim_webhook_url  # noqa: F401
from tests.booking.town import citizen
from tests.browser import axe_violations, chromium, phone_page
from tests.mypage.town import build


async def _server(db: Any, t: Any, verifier: Any, svc: BookingService) -> TestServer:
    app = web.Application()
    app.add_subapp("/liff/mypage", create_mypage_app(MyPageDeps(db, t.town.clock, svc, verifier,
                                                                mail=MailSettings("みどり町"))))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


async def test_the_liff_mypage_with_a_linesim_token(sqlite_db, line_sim: LineSim) -> None:  # noqa: F811
    alice, bob = line_sim.create_user("山田花子"), line_sim.create_user("佐藤次郎")
    t = await build(sqlite_db, users=(alice, bob), notices=25)
    svc = BookingService(sqlite_db, t.town.clock)
    await svc.reserve(t.town.request("gym.half-a", time="9:00-12:00"), citizen(alice))
    await svc.reserve(t.town.request("gym.half-a", time="13:00-17:00"), citizen(bob, name="佐藤"))
    verifier = HttpIdTokenVerifier(line_sim.url, line_sim.channel.config.login_channel_id)
    server = await _server(sqlite_db, t, verifier, svc)
    try:
        async with chromium() as browser, phone_page(browser, line=True) as page:
            await page.clock.set_fixed_time(t.town.clock.now())
            await page.goto(str(server.make_url("/liff/mypage/")) + "?id_token=" + line_sim.mint_id_token(alice))
            await expect(page.locator("body[data-ready]")).to_be_attached()
            assert "id_token" not in page.url
            await expect(page.locator("#unread-count")).to_have_text("未読 25 件")
            await expect(page.locator("#notices li.notice").first).to_contain_text("お知らせ25")
            await expect(page.locator("#notices li.notice")).to_have_count(20)  # the newest 20 first
            await page.get_by_role("button", name="もっと見る").click()
            await expect(page.locator("#notices li.notice")).to_have_count(25)
            await expect(page.get_by_role("button", name="もっと見る")).to_have_count(0)
            await expect(page.locator("#bookings #upcoming li")).to_have_count(1)
            await expect(page.locator("#bookings")).to_contain_text("9:00〜12:00")
            await expect(page.locator("#bookings")).not_to_contain_text("13:00〜17:00")  # bob's
            await expect(page.locator("#reports")).to_contain_text("担当者より：穴を補修しました")
            await expect(page.locator("#reports")).not_to_contain_text("内部メモ")
            await expect(page.locator("#todos li.todo")).to_have_count(2)
            assert not await axe_violations(page)
            await page.get_by_label("出生届").check()
            await expect(page.locator("#status")).to_have_text("済みにしました。")
            await page.locator("#notices li.notice").first.get_by_role("button", name="既読にする").click()
            await expect(page.locator("#unread-count")).to_have_text("未読 24 件")
            await page.reload()
            await expect(page.locator("body[data-ready]")).to_be_attached()
            await expect(page.get_by_label("出生届")).to_be_checked()  # the tick persisted
            await expect(page.get_by_label("児童手当の申請")).not_to_be_checked()
            await page.set_viewport_size({"width": 1280, "height": 900})  # desktop width
            assert not await axe_violations(page)
            await page.emulate_media(media="print")
            await expect(page.locator("#sections-nav")).to_be_hidden()
            await expect(page.locator("#todos")).to_be_visible()
    finally:
        await verifier.close()
        await server.close()


async def test_the_web_mypage_with_an_email_code(sqlite_db, browser) -> None:
    t = await build(sqlite_db)
    svc = BookingService(sqlite_db, t.town.clock)
    server = await _server(sqlite_db, t, None, svc)
    catcher = MailCatcher().start()
    try:
        sender = MailSender(sqlite_db, t.town.clock, SmtpConfig("127.0.0.1", catcher.port, sender="town@example.jp"))
        async with phone_page(browser) as page:
            await page.goto(str(server.make_url("/liff/mypage/")))
            await expect(page.get_by_role("heading", name="メールアドレスでログイン")).to_be_visible()
            assert not await axe_violations(page)
            await page.get_by_role("textbox", name="メールアドレス").fill("hanako@example.jp")
            await page.get_by_role("button", name="確認コードを送る").click()
            await expect(page.get_by_label("確認コード（6桁）")).to_be_visible()
            assert await sender.drain() == 1
            body = catcher.parsed()[0].get_body(("plain",)).get_content()
            code = re.search(r"^(\d{6})$", body, re.M).group(1)  # type: ignore[union-attr]
            await page.get_by_label("確認コード（6桁）").fill(code)
            await page.get_by_role("button", name="ログイン").click()
            await expect(page.locator("body[data-ready]")).to_be_attached()
            await expect(page.locator("#email-state")).to_have_text("hanako@example.jp（確認済み）")
            await expect(page.locator("#notices")).to_contain_text("お知らせはまだありません。")  # nobody else's
            assert not await axe_violations(page)
            await page.get_by_role("button", name="退会して情報を削除する").click()
            await expect(page.locator("#status")).to_have_text(re.compile("退会の確認"))
            await page.get_by_label("内容を確認し、登録情報の削除に同意します").check()
            await page.get_by_role("button", name="退会して情報を削除する").click()
            await expect(page.get_by_role("heading", name="二段階認証", exact=True)).to_be_visible()  # the second step first
    finally:
        catcher.stop()
        await server.close()
