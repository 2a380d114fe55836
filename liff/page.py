"""One shape for every LIFF page (booking, forms, 手続きナビ; the web chat and the map are public pages
without a login and use only ``static_page``).

A page is an aiohttp sub-app made by its package's ``create_…_app(deps, verifier, page)``:

* ``deps`` — a frozen dataclass of what its views need (``BookingDeps``, ``FormsDeps``, …), stored
  under the page's own typed key; its views are module-level functions that read it with
  ``request.config_dict[KEY]``. Nothing is captured in closures, nothing is looked up late.
* ``verifier`` — the LIFF ID-token verifier (``liff.identity``): ``liff_app`` installs the one identity
  middleware, which answers 401 to ``/api/`` calls without a token LINE vouches for and puts the
  user's id in ``request[USER]``.
* ``page`` — how it runs (``LiffPage``): inside LINE with a LIFF id and the SDK, or in a plain browser
  (the local emulator, tests) when there is no LIFF id.

The composition root (``bot.service.mount_pages``) builds every page this way. The view owns its
transaction: a view that changes something opens ``deps.db.write()`` and calls the civic
services' session-taking functions.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from liff.identity import IdTokenVerifier, id_token_middleware, security_headers

LIFF_SDK_URL = "https://static.line-scdn.net/liff/edge/2/sdk.js"
#: The LINE user the identity middleware verified, on every LIFF page's ``/api/`` requests.
USER = web.RequestKey("liff_user", str)
#: The page's ID-token verifier (each page app holds the service's one verifier).
VERIFIER = web.AppKey("liff_id_token_verifier", IdTokenVerifier)


@dataclass(frozen=True)
class LiffPage:
    """``liff_id`` set: the page runs as a LIFF app and loads the SDK from ``sdk_url``; unset: the
    SDK is left out and the token comes from the URL (the emulator, tests)."""

    liff_id: str = ""
    sdk_url: str | None = None
    title: str = ""

    @classmethod
    def of(cls, liff_id: str, title: str) -> LiffPage:
        return cls(liff_id, LIFF_SDK_URL if liff_id else None, title)

    @property
    def sdk_origin(self) -> str:
        """Where the SDK comes from, for the page's Content-Security-Policy ('' without the SDK)."""
        return "/".join(self.sdk_url.split("/")[:3]) if self.sdk_url else ""


#: A page in a plain browser (the emulator, tests): no LIFF id, no SDK.
PLAIN_PAGE = LiffPage()


def liff_app(verifier: IdTokenVerifier, *, name: str, client_max_size: int = 1024 ** 2) -> web.Application:
    """A LIFF page's sub-app with the security headers and the identity middleware; ``name`` names
    the page in the message that asks the citizen to open it again from LINE."""
    app = web.Application(middlewares=[security_headers, id_token_middleware(VERIFIER, USER, name)],
                          client_max_size=client_max_size)
    app[VERIFIER] = verifier
    return app


#: The maintenance banner every citizen's page loads (``liff/common/maintenance.js``, served by the
#: service at ``/api/maintenance.js``; ``bot.maintenance``).
MAINTENANCE_SCRIPT_FILE = Path(__file__).parent / "common" / "maintenance.js"
MAINTENANCE_TAG = '<script src="/api/maintenance.js" defer></script>'
#: The DOM builder and ID-token code the booking, forms and my-page scripts share (``common/page.js``).
PAGE_SCRIPT_FILE = Path(__file__).parent / "common" / "page.js"


def with_maintenance_banner(page_html: str) -> str:
    """The page with the maintenance banner's script in its head."""
    return page_html.replace("</head>", MAINTENANCE_TAG + "\n</head>", 1)


def static_page(app: web.Application, static: Path, page: LiffPage, *, csp: str, title: str,
                append_version: bool = False) -> None:
    """``GET /`` — ``static/index.html`` with ``{{title}}`` (the page's, else ``title``), ``{{liff_id}}``
    and ``{{sdk_script}}`` filled in, never cached, under ``csp``; ``GET /static/…`` the files;
    ``GET /common/page.js`` the script the citizen pages share."""
    text = (static / "index.html").read_text(encoding="utf-8")
    sdk = f'<script src="{html.escape(page.sdk_url)}"></script>' if page.sdk_url else ""
    text = text.replace("{{title}}", html.escape(page.title or title)).replace("{{liff_id}}", html.escape(page.liff_id))
    text = with_maintenance_banner(text.replace("{{sdk_script}}", sdk))
    headers = {"Content-Security-Policy": csp, "Cache-Control": "no-store"}

    async def index(_: web.Request) -> web.Response:
        return web.Response(text=text, content_type="text/html", charset="utf-8", headers=headers)

    shared = PAGE_SCRIPT_FILE.read_text(encoding="utf-8")

    async def common(_: web.Request) -> web.Response:
        return web.Response(text=shared, content_type="text/javascript", charset="utf-8",
                            headers={"Cache-Control": "no-cache"})

    app.router.add_get("/", index)
    app.router.add_get("/common/page.js", common)
    app.router.add_static("/static", static, append_version=append_version)


def page_csp(page: LiffPage) -> str:
    """The booking and forms pages' policy: own scripts (and LINE's SDK), API calls to us and LINE."""
    return ("default-src 'self'; img-src 'self' data: https:; style-src 'self'; connect-src 'self' https:; "
            f"script-src 'self'{' ' + page.sdk_origin if page.sdk_origin else ''}; frame-ancestors 'none'")


def json_response(data: Any, status: int = 200) -> web.Response:
    import json

    return web.json_response(data, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False, default=str))
