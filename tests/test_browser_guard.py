"""The guarded page of ``tests.browser`` catches what page tests rely on it to catch."""

from __future__ import annotations

import pytest
from aiohttp import web

from tests.browser import axe_violations, phone_page

CSP = "default-src 'self'; script-src 'self'; style-src 'self'"


@pytest.fixture
async def site(aiohttp_server):
    pages = {
        "/inline": '<script>document.title = "ran"</script>',
        "/throws": '<script src="/throws.js"></script>',
        "/opens": '<a href="/inline" target="_blank" id="go">open</a>',
        "/clean": '<main><h1>窓口</h1><button type="button" aria-label="前の月">‹ 前月</button></main>',
    }

    async def page(request: web.Request) -> web.Response:
        body = pages[request.path]
        return web.Response(text=f'<!doctype html><html lang="ja"><head><title>t</title></head><body>{body}</body></html>',
                            content_type="text/html", headers={"Content-Security-Policy": CSP})

    async def throws(_: web.Request) -> web.Response:
        return web.Response(text="window.nothing.here = 1;", content_type="application/javascript")

    app = web.Application()
    for path in pages:
        app.router.add_get(path, page)
    app.router.add_get("/throws.js", throws)
    server = await aiohttp_server(app)
    return f"http://127.0.0.1:{server.port}"


@pytest.mark.parametrize(("path", "expected"), [("/inline", "CSP"), ("/throws", "Cannot set properties of undefined")])
async def test_a_csp_violation_or_a_script_error_fails_the_test(browser, site, path: str, expected: str) -> None:
    with pytest.raises(AssertionError, match=expected):
        async with phone_page(browser) as page:
            await page.goto(site + path)
            await page.wait_for_load_state()


async def test_pages_opened_from_the_page_are_guarded_too(browser, site) -> None:
    with pytest.raises(AssertionError, match="CSP"):
        async with phone_page(browser) as page:
            await page.goto(site + "/opens")
            # Wait for the popup's CSP report itself (it can arrive after its load event on a busy machine).
            async with page.context.expect_event(
                    "console", predicate=lambda m: "Content Security Policy" in m.text) as reported:
                await page.locator("#go").click()
            await reported.value


async def test_axe_runs_under_the_page_csp_with_the_name_mismatch_rule(page, site) -> None:
    await page.goto(site + "/clean")
    [finding] = await axe_violations(page)
    assert finding.startswith("label-content-name-mismatch")
