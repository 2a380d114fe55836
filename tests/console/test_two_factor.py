"""2段階認証 in the console: set it up with the QR page, keep the recovery codes, sign in with the
second step (酒田市 第5章 1(5))."""

from __future__ import annotations

from pathlib import Path

import pyotp
from playwright.async_api import expect

from tests.browser import chromium
from tests.console.conftest import running_demo
from tests.console.test_console import WAIT, console_page, look, sign_in


async def test_set_up_two_factor_and_sign_in_with_the_second_step(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        async with console_page(browser, 1280, 800, allowed=("/auth/two-factor/enable", "/auth/login")) as page:
            await sign_in(page, demo, demo.login, demo.password)
            await page.get_by_role("link", name="2段階認証").click()
            await page.get_by_role("button", name="2段階認証を設定する").click()
            await expect(page.get_by_role("img", name="認証アプリで読み取る QR コード")).to_be_visible(timeout=WAIT)
            await look(page, "two-factor-setup")
            secret = await page.get_by_test_id("secret").inner_text()
            # a wrong code is refused beside the field
            await page.get_by_label("確認コード").fill("000000")
            await page.get_by_role("button", name="有効にする").click()
            await expect(page.get_by_role("alert")).to_contain_text("確認コードが正しくありません", timeout=WAIT)
            await page.get_by_label("確認コード").fill(pyotp.TOTP(secret).now())
            await page.get_by_role("button", name="有効にする").click()
            codes = page.get_by_test_id("recovery-codes").locator("li")
            await expect(codes).to_have_count(10, timeout=WAIT)
            await look(page, "two-factor-recovery-codes")
            first_code = await codes.first.inner_text()

            await page.get_by_role("button", name="ログアウト").click()
            await page.locator('input[autocomplete="username"]').fill(demo.login)
            await page.locator('input[autocomplete="current-password"]').fill(demo.password)
            await page.get_by_role("button", name="ログイン").click()
            otp = page.locator('input[autocomplete="one-time-code"]')
            await expect(otp).to_be_visible(timeout=WAIT)
            await expect(page.get_by_role("alert")).to_contain_text("確認コードを入力してください")
            await look(page, "two-factor-sign-in")
            # the phone is not at hand: a recovery code signs in (the app's code of this 30 s was used)
            await otp.fill(first_code)
            await page.get_by_role("button", name="ログイン").click()
            await expect(page.get_by_role("button", name="ログアウト")).to_be_visible(timeout=WAIT)
            await page.get_by_role("link", name="2段階認証").click()
            await expect(page.get_by_text("未使用の予備コード: 9個")).to_be_visible(timeout=WAIT)
        async with console_page(browser, 768, 1024, allowed=("/auth/login",)) as page:
            # the same pages on a tablet, signed in with the next recovery code
            await page.goto(f"{demo.url}/admin/")
            await page.locator('input[autocomplete="username"]').fill(demo.login)
            await page.locator('input[autocomplete="current-password"]').fill(demo.password)
            await page.get_by_role("button", name="ログイン").click()
            otp = page.locator('input[autocomplete="one-time-code"]')
            await expect(otp).to_be_visible(timeout=WAIT)
            await look(page, "two-factor-sign-in")
