"""The LIFF booking page: ``create_booking_liff_app(...)``, an aiohttp sub-app mounted at ``/liff/booking``.

``GET /`` serves the page (static HTML/JS/CSS, no inline script, so a strict CSP holds); the page
calls the JSON API under ``/api/`` with ``Authorization: Bearer <LIFF ID token>``. Every API call
verifies the token through ``IdTokenVerifier`` and acts for the ``sub`` LINE returns.

Where the page gets the token (see static/booking.js ``idToken()``):
1. inside LINE: the LIFF SDK (``sdk_url``) — ``liff.init`` then ``liff.getIDToken()``;
2. without the SDK (the local emulator, offline demo, tests): ``?id_token=…`` in the URL, or
   ``window.MADOGUCHI_ID_TOKEN`` set by a test hook before the page script runs. The token is then
   kept in ``sessionStorage`` and removed from the address bar.
"""

from __future__ import annotations

import html
from pathlib import Path

from aiohttp import web

from civic.booking.services import BookingService
from liff.booking.views import USER, add_api_routes
from liff.identity import IdTokenVerifier, id_token_middleware, security_headers

STATIC = Path(__file__).with_name("static")
SERVICE = web.AppKey("booking_service", BookingService)
VERIFIER = web.AppKey("id_token_verifier", IdTokenVerifier)
LIFF_SDK_URL = "https://static.line-scdn.net/liff/edge/2/sdk.js"


def create_booking_liff_app(service: BookingService, verifier: IdTokenVerifier, *, liff_id: str = "",
                            sdk_url: str | None = LIFF_SDK_URL, title: str = "施設予約") -> web.Application:
    """The page and its API. ``sdk_url=None`` leaves the LIFF SDK out (emulator, tests)."""
    app = web.Application(middlewares=[security_headers, id_token_middleware(VERIFIER, USER, "予約ページ")])
    app[SERVICE] = service
    app[VERIFIER] = verifier
    sdk = f'<script src="{html.escape(sdk_url)}"></script>' if sdk_url else ""
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    page = page.replace("{{title}}", html.escape(title)).replace("{{liff_id}}", html.escape(liff_id))
    page = page.replace("{{sdk_script}}", sdk)
    csp = ("default-src 'self'; img-src 'self' data: https:; style-src 'self'; connect-src 'self' https:; "
           "script-src 'self'" + (f" {sdk_url.split('/liff/')[0]}" if sdk_url else "") + "; frame-ancestors 'none'")

    async def index(_: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html", charset="utf-8",
                            headers={"Content-Security-Policy": csp, "Cache-Control": "no-store"})

    app.router.add_get("/", index)
    app.router.add_static("/static", STATIC)
    add_api_routes(app, lambda request: request.config_dict[SERVICE])

    async def close_verifier(_: web.Application) -> None:
        close = getattr(verifier, "close", None)
        if close is not None:
            await close()

    app.on_cleanup.append(close_verifier)
    return app
