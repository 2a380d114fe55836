"""The staff console in headless Chromium against the running demo: sign-in, dashboard, segments,
a viewer's read-only view, axe-core on every page, no JavaScript errors and no failed requests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from playwright.async_api import Browser, Page, expect

from tests.browser import axe_violations, chromium, guard
from tests.console.conftest import Demo, running_demo

WAIT = 15_000
SHOTS = Path("/tmp/console-shots")
SIZES = {"desktop": (1280, 800), "tablet": (768, 1024)}


@contextlib.asynccontextmanager
async def console_page(browser: Browser, width: int, height: int, *,
                       allowed: tuple[str, ...] = (), unreachable: tuple[str, ...] = ()) -> AsyncIterator[Page]:
    """A page whose JavaScript errors, CSP violations, failed requests and HTTP errors fail the test
    (``allowed``: URL endings whose error status the test itself provokes; ``unreachable``: URL
    beginnings the test cuts off, such as a map tile server, whose requests fail as expected)."""
    context = await browser.new_context(locale="ja-JP", viewport={"width": width, "height": height})
    errors: list[str] = []
    page = await context.new_page()
    guard(page, errors)
    # A live stream (server-sent events) is cut off by design when the staff member leaves its page.
    page.on("requestfailed", lambda r: r.url.startswith(unreachable)
            or ("/events?ticket=" in r.url and "ERR_ABORTED" in (r.failure or ""))
            or errors.append(f"failed: {r.url} {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and not r.url.endswith(allowed)
            and errors.append(f"HTTP {r.status}: {r.url}"))
    # Chromium logs every HTTP error status too; those are judged above, with ``allowed``
    page.on("console", lambda m: m.type == "error" and not m.text.startswith("Failed to load resource")
            and errors.append(f"console: {m.text}"))
    yield page
    await context.close()
    assert errors == [], errors


async def sign_in(page: Page, demo: Demo, login: str, password: str) -> None:
    await page.goto(f"{demo.url}/admin/")
    await page.locator('input[autocomplete="username"]').fill(login)
    await page.locator('input[autocomplete="current-password"]').fill(password)
    await page.get_by_role("button", name="ログイン").click()
    await expect(page.get_by_role("button", name="ログアウト")).to_be_visible(timeout=WAIT)


async def look(page: Page, name: str) -> None:
    """No axe-core finding at all (WCAG 2.x A/AA and best practice), and a screenshot to look at."""
    found = await axe_violations(page)
    assert found == [], found
    await asyncio.to_thread(SHOTS.mkdir, exist_ok=True)
    size = page.viewport_size
    await page.screenshot(path=SHOTS / f"{name}-{size['width']}x{size['height']}.png", full_page=True)


async def add_friends(demo: Demo, names: list[str]) -> None:
    sim = demo.url.rsplit(":", 1)[0] + f":{int(demo.url.rsplit(':', 1)[1]) + 101}"
    async with aiohttp.ClientSession() as http:
        for name in names:
            async with http.post(f"{sim}/linesim/api/users", json={"displayName": name, "follow": True}) as r:
                assert r.status == 201, await r.text()
    token = await demo.token(demo.login, demo.password)
    for _ in range(200):
        status, body = await demo.admin_call("POST", "/segments/preview", {"filter": {"type": "all"}}, token=token)
        if status == 200 and body["count"] >= len(names):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the friends never arrived: {body}")


async def test_sign_in_dashboard_and_segment(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        await add_friends(demo, ["山田 花子", "佐藤 一郎", "鈴木 次郎"])
        for size, (w, h) in SIZES.items():
            async with console_page(browser, w, h, allowed=("/auth/login",)) as page:
                await page.goto(f"{demo.url}/admin/")
                await expect(page.get_by_role("heading", name="窓口 管理画面 ログイン")).to_be_visible()
                await look(page, "signin")
                await expect(page.get_by_role("button", name="ログアウト")).to_be_hidden()
                await expect(page.get_by_role("navigation", name="機能")).to_be_hidden()
                # a wrong password: the API's plain Japanese message, shown on the form
                await page.locator('input[autocomplete="username"]').fill(demo.login)
                await page.locator('input[autocomplete="current-password"]').fill("wrong-password")
                await page.get_by_role("button", name="ログイン").click()
                await expect(page.get_by_role("alert")).to_contain_text("ログインIDまたはパスワードが正しくありません", timeout=WAIT)
                await sign_in(page, demo, demo.login, demo.password)
                # the dashboard: charts over the period, and their figures as tables
                await expect(page.get_by_role("heading", name="ダッシュボード", level=1)).to_be_visible()
                await expect(page.locator("svg.chart")).to_have_count(5, timeout=WAIT)
                await expect(page.locator(".kpi").first).to_contain_text("友だち数")
                # LINE's own figures, read through the service's gateway from linesim's insight endpoint
                await expect(page.get_by_test_id("line-figures")).to_contain_text("友だち追加 3人、うちブロック 0人")
                await expect(page.get_by_test_id("delivery-figures")).to_contain_text("配信 0回・送信 0通")
                await look(page, "dashboard")
                async with page.expect_download() as download:
                    await page.get_by_role("button", name="日別の統計をCSVで保存").click()
                saved_csv = Path(await (await download.value).path())
                assert "日付" in await asyncio.to_thread(saved_csv.read_text, encoding="utf-8-sig")
                # segments: build a condition, see the count change, save
                await page.get_by_role("link", name="セグメント").click()
                await expect(page.get_by_role("heading", name="セグメント", level=1)).to_be_visible()
                await look(page, "segments")
                await page.get_by_role("button", name="新しいセグメントを作る").click()
                count = page.get_by_test_id("segment-count")
                await expect(count).to_contain_text("該当する友だち: 3人", timeout=WAIT)
                await page.get_by_role("button", name="条件を追加").click()
                await page.get_by_label("項目").select_option("friend_days")
                await page.get_by_label("から").fill("0")
                await expect(count).to_contain_text("該当する友だち: 3人", timeout=WAIT)
                await page.get_by_label("に当てはまらない人").check()
                await expect(count).to_contain_text("該当する友だち: 0人", timeout=WAIT)
                await look(page, "segment-editor")
                await page.get_by_label("名前").fill(f"テスト{size}")
                await page.get_by_role("button", name="保存する").click()
                await expect(page.get_by_role("status").filter(has_text="保存しました")).to_be_visible(timeout=WAIT)
                await expect(page.get_by_role("cell", name=f"テスト{size}")).to_be_visible()
                # sign out: back to sign-in
                await page.get_by_role("button", name="ログアウト").click()
                await expect(page.get_by_role("heading", name="窓口 管理画面 ログイン")).to_be_visible()
        token = await demo.token(demo.login, demo.password)
        status, saved = await demo.admin_call("GET", "/segments", token=token)
        assert status == 200 and {"テストdesktop", "テストtablet"} <= {s["name"] for s in saved}
        assert saved[0]["filter"]["items"][0]["type"] == "not"


async def test_viewer_sees_no_edit_buttons_and_the_api_refuses(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        admin = await demo.add_staff("mitarou", "閲覧 太郎", "viewer-pass-2026!", "viewer")
        status, _ = await demo.admin_call("POST", "/segments", {"name": "既存", "filter": {"type": "all"}}, token=admin)
        assert status == 201
        async with console_page(browser, 1280, 800) as page:
            await sign_in(page, demo, "mitarou", "viewer-pass-2026!")
            await expect(page.locator("svg.chart")).to_have_count(5, timeout=WAIT)
            await page.get_by_role("link", name="セグメント").click()
            await expect(page.get_by_role("cell", name="既存")).to_be_visible(timeout=WAIT)
            await expect(page.get_by_role("button", name="新しいセグメントを作る")).to_have_count(0)
            await expect(page.get_by_role("button", name="削除")).to_have_count(0)
            await expect(page.get_by_role("button", name="コピー")).to_have_count(0)
            await page.get_by_role("button", name="条件を見る").click()
            await expect(page.get_by_role("button", name="保存する")).to_have_count(0)
            await expect(page.get_by_label("名前")).to_be_disabled()
            await expect(page.get_by_text("閲覧のみの権限のため")).to_be_visible()
            await look(page, "segment-viewer")
        viewer = await demo.token("mitarou", "viewer-pass-2026!")
        status, body = await demo.admin_call("POST", "/segments", {"name": "x", "filter": {"type": "all"}}, token=viewer)
        assert status == 403 and "権限" in body["error"]["message"]
        status, segments = await demo.admin_call("GET", "/segments", token=viewer)
        assert [s["name"] for s in segments] == ["既存"]


async def test_expired_session_returns_to_sign_in_keeping_the_draft(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        async with console_page(browser, 1280, 800, allowed=("/segments/preview", "/auth/logout")) as page:
            await sign_in(page, demo, demo.login, demo.password)
            await page.get_by_role("link", name="セグメント").click()
            await page.get_by_role("button", name="新しいセグメントを作る").click()
            await page.get_by_label("名前").fill("下書きのセグメント")
            await page.get_by_role("button", name="条件を追加").click()
            await expect(page.get_by_test_id("segment-count")).to_contain_text("該当する友だち", timeout=WAIT)
            # the session ends on the server (as after the idle timeout)
            token = await page.evaluate("sessionStorage.getItem('madoguchi.console.token')")
            status, _ = await demo.admin_call("POST", "/auth/logout", token=token)
            assert status in (200, 204)
            await page.get_by_label("名前").fill("下書きのセグメント（続き）")
            await expect(page.get_by_role("status").filter(has_text="有効期限が切れました")).to_be_visible(timeout=WAIT)
            await page.locator('input[autocomplete="username"]').fill(demo.login)
            await page.locator('input[autocomplete="current-password"]').fill(demo.password)
            await page.get_by_role("button", name="ログイン").click()
            await page.get_by_role("link", name="セグメント").click()
            await page.get_by_role("button", name="新しいセグメントを作る").click()
            await expect(page.get_by_label("名前")).to_have_value("下書きのセグメント（続き）", timeout=WAIT)


async def test_copy_and_delete_with_the_in_use_refusal_shown(tmp_path: Path) -> None:
    async with running_demo(tmp_path) as demo, chromium() as browser:
        admin = await demo.token(demo.login, demo.password)
        status, segment = await demo.admin_call("POST", "/segments", {
            "name": "本町", "filter": {"type": "choice", "attribute": "area", "values": ["honmachi"]}}, token=admin)
        assert status == 201
        status, _ = await demo.admin_call("POST", "/deliveries", {
            "title": "本町のお知らせ", "messages": [{"type": "text", "text": "こんにちは"}], "target": "segment",
            "segment_id": segment["id"], "timing": "draft"}, token=admin)
        assert status == 201
        async with console_page(browser, 1280, 800, allowed=(f"/segments/{segment['id']}",)) as page:
            await sign_in(page, demo, demo.login, demo.password)
            await page.get_by_role("link", name="セグメント").click()
            row = page.locator("tr", has=page.get_by_role("cell", name="本町", exact=True))
            await expect(row).to_contain_text("1件", timeout=WAIT)
            # 「やめる」 in the confirmation sends nothing
            await row.get_by_role("button", name="削除").click()
            await expect(page.get_by_role("dialog")).to_contain_text("「本町」を削除します")
            await page.get_by_role("button", name="やめる").click()
            await expect(row).to_have_count(1)
            # confirmed: the API refuses, and says why, beside the list
            await row.get_by_role("button", name="削除").click()
            await page.get_by_role("button", name="削除する").click()
            await expect(page.get_by_role("alert")).to_contain_text("1件の配信", timeout=WAIT)
            await expect(row).to_have_count(1)
            # a copy keeps the conditions (the chosen choice stays ticked)
            await row.get_by_role("button", name="コピー").click()
            await expect(page.get_by_label("名前")).to_have_value("本町のコピー")
            await expect(page.locator('.choices input[value="honmachi"]')).to_be_checked()
            await expect(page.get_by_test_id("segment-count")).to_contain_text("該当する友だち", timeout=WAIT)
            await page.get_by_role("button", name="保存する").click()
            copy = page.locator("tr", has=page.get_by_role("cell", name="本町のコピー", exact=True))
            await expect(copy).to_contain_text("なし", timeout=WAIT)
            await copy.get_by_role("button", name="削除").click()
            await page.get_by_role("button", name="削除する").click()
            await expect(page.get_by_role("status").filter(has_text="削除しました")).to_be_visible(timeout=WAIT)
            await expect(copy).to_have_count(0)
        status, left = await demo.admin_call("GET", "/segments", token=admin)
        assert [s["name"] for s in left] == ["本町"]
