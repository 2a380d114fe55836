"""``create_procedures_app``: the 手続きナビ page for browsers and LINE (LIFF), and the staff counter page.

Mounted by the composition root (``bot.service.mount_pages``) at ``/liff/procedures``, with the
service's one ``Auditor``, its ID-token verifier and ``page=LiffPage.of(LIFF_ID_PROCEDURES, "")``.
The page works without a LINE login; an ID token, when the page sends one, is verified through
``liff.identity`` (to count LINE use and send the result to the talk). The views are in ``views``
and ``counter`` and read ``Deps`` (``deps``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from admin_api.auth import Authenticator
from civic.clock import Clock
from civic.database import Database
from civic.procedures.kana import KanaReader, SudachiKanaReader
from civic.procedures.payload import QrKeyring
from civic.procedures.postal import PostalDirectory
from civic.procedures.services import DEFAULT_IDLE, DraftStore
from civic.procedures.tree import Content
from civic.staff.audit import Auditor
from liff.identity import security_headers
from liff.page import PLAIN_PAGE, LiffPage
from liff.procedures import counter, views
from liff.procedures.deps import COUNTER_PERMISSION, DEPS, STATIC, Deps
from liff.procedures.identity import IdTokenVerifier, ResultNotifier
from liff.procedures.themes import THEMES


def _csp(liff_sdk_url: str) -> str:
    script = "'self'"
    connect = "'self'"
    if liff_sdk_url:
        origin = "/".join(liff_sdk_url.split("/")[:3])
        script += f" {origin}"
        connect += " https://api.line.me https://liffsdk.line-scdn.net"
    return (f"default-src 'self'; script-src {script}; connect-src {connect}; img-src 'self' data:; "
            "style-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def create_procedures_app(*, db: Database, clock: Clock, content: Content, qr_keys: QrKeyring,
                          authenticator: Authenticator, auditor: Auditor | None = None, kana_reader: KanaReader | None = None,
                          id_token_verifier: IdTokenVerifier | None = None,
                          result_notifier: ResultNotifier | None = None, idle: timedelta = DEFAULT_IDLE,
                          theme: str | None = None, page: LiffPage = PLAIN_PAGE,
                          qr_max_version: int = 25, staff_login_url: str = "") -> web.Application:
    """The sub-application; every dependency comes in as an argument (no globals, no import-time work).

    ``theme`` overrides the town's base colour (blue/red/green/yellow/purple); ``idle`` is how long
    entries live without activity (§8(6) x); ``page`` with a LIFF id turns on LIFF inside LINE.
    ``staff_login_url`` (the staff API's login) lets the counter page log in with ID and password;
    without it the page asks for a token issued by the staff API. Every opening of a code at the
    counter is written to the staff operation log through ``auditor`` (the service passes the one its
    admin routers share; without one the app makes its own on ``db`` and ``clock``, so openings are
    never unlogged).
    """
    chosen = theme or content.town.theme
    if chosen not in THEMES:
        raise ValueError(f"unknown theme {chosen!r}; choose one of {', '.join(THEMES)}")
    liff_sdk_url = page.sdk_url or ""
    app = web.Application(middlewares=[security_headers, _page_policy(_csp(liff_sdk_url))],
                          client_max_size=6 * 1024 * 1024)
    app[DEPS] = Deps(db, clock, content, qr_keys, authenticator, auditor or Auditor(db, clock),
                     DraftStore(db, clock, idle), PostalDirectory(content.town), kana_reader or SudachiKanaReader(),
                     id_token_verifier, result_notifier, chosen, page.liff_id, liff_sdk_url, qr_max_version,
                     staff_login_url)
    views.add_routes(app)
    counter.add_routes(app)
    app.router.add_static("/static", STATIC, append_version=False)
    return app


def _page_policy(csp: str) -> Any:
    """Every response under the page's CSP; nothing with personal data cached (the emblem and
    static files may be)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        response.headers.setdefault("Content-Security-Policy", csp)
        if request.path.rsplit("/", 1)[-1] not in {"emblem.svg", "image.svg"} and "/static/" not in request.path:
            response.headers.setdefault("Cache-Control", "no-store")  # personal data never cached
        return response

    return middleware


__all__ = ["COUNTER_PERMISSION", "STATIC", "create_procedures_app"]
