"""The LIFF booking page: ``create_booking_liff_app(deps, verifier, page)``, an aiohttp sub-app mounted
at ``/liff/booking`` (the shape every LIFF page has: ``liff.page``).

``GET /`` serves the page (static HTML/JS/CSS, no inline script, so a strict CSP holds); the page
calls the JSON API under ``/api/`` (``liff.booking.views``) with ``Authorization: Bearer <LIFF ID
token>``. Every API call verifies the token through the identity middleware and acts for the
``sub`` LINE returns.

Where the page gets the token (see static/booking.js ``idToken()``):
1. inside LINE: the LIFF SDK (``page.sdk_url``) — ``liff.init`` then ``liff.getIDToken()``;
2. without the SDK (the local emulator, offline demo, tests): ``?id_token=…`` in the URL, or
   ``window.MADOGUCHI_ID_TOKEN`` set by a test hook before the page script runs. The token is then
   kept in ``sessionStorage`` and removed from the address bar.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from liff.booking.views import DEPS, BookingDeps, bad_input, routes
from liff.identity import IdTokenVerifier
from liff.page import PLAIN_PAGE, LiffPage, liff_app, page_csp, static_page

__all__ = ["BookingDeps", "create_booking_liff_app"]
STATIC = Path(__file__).with_name("static")


def create_booking_liff_app(deps: BookingDeps, verifier: IdTokenVerifier,
                            page: LiffPage = PLAIN_PAGE) -> web.Application:
    """The page and its API; ``page`` says how it runs (default: in a plain browser, no LIFF SDK)."""
    app = liff_app(verifier, name="予約ページ")
    app.middlewares.append(bad_input)
    app[DEPS] = deps
    static_page(app, STATIC, page, csp=page_csp(page), title="施設予約")
    app.router.add_routes(routes)
    return app
