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
import json
from pathlib import Path

from aiohttp import web

from civic.booking.services import BookingService
from liff.booking.views import USER, add_api_routes
from liff.identity import IdTokenUnavailable, IdTokenVerifier

STATIC = Path(__file__).with_name("static")
SERVICE = web.AppKey("booking_service", BookingService)
VERIFIER = web.AppKey("id_token_verifier", IdTokenVerifier)  # type: ignore[type-abstract]
LIFF_SDK_URL = "https://static.line-scdn.net/liff/edge/2/sdk.js"


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message, "field": None}}, status=status,
                             dumps=lambda o: json.dumps(o, ensure_ascii=False))


@web.middleware
async def _security_headers(request: web.Request, handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


@web.middleware
async def _identity(request: web.Request, handler) -> web.StreamResponse:
    """API calls act for the user LINE vouches for; the page never sends a user id."""
    if "/api/" not in request.path:
        return await handler(request)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _error(401, "unauthenticated", "LINEのトーク画面から予約ページを開き直してください。")
    try:
        user = await request.config_dict[VERIFIER].verify(token.strip())
    except IdTokenUnavailable:
        return _error(503, "line_unavailable", "ただいまLINEとの通信ができません。しばらくしてからお試しください。")
    if user is None:
        return _error(401, "unauthenticated", "ログインの有効期限が切れました。LINEのトーク画面から開き直してください。")
    request[USER] = user.user_id
    return await handler(request)


def create_booking_liff_app(service: BookingService, verifier: IdTokenVerifier, *, liff_id: str = "",
                            sdk_url: str | None = LIFF_SDK_URL, title: str = "施設予約") -> web.Application:
    """The page and its API. ``sdk_url=None`` leaves the LIFF SDK out (emulator, tests)."""
    app = web.Application(middlewares=[_security_headers, _identity])
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
