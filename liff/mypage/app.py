"""The my-page: ``create_mypage_app(deps, page)``, an aiohttp sub-app mounted at ``/liff/mypage``.

``GET /`` serves the page (static HTML/JS/CSS, no inline script, strict CSP). Its JSON API (``views``)
acts for the citizen proved one of two ways (``identity`` below):

* inside LINE (or the emulator): ``Authorization: Bearer <LIFF ID token>``, verified by LINE
  (``liff.identity``) — the citizen must be a friend of the town's account;
* on the web: the session cookie an e-mail code opened (``/api/auth/code`` → ``/api/auth/verify``).
  The cookie is ``HttpOnly; SameSite=Strict``, and changes also need the ``X-Mypage: 1`` header (a
  cross-site form cannot send it), so no request from another site acts for the citizen.

``GET|POST /unsubscribe/{token}`` is public: the link in every mail.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from civic.attributes.services import citizen_by_user
from civic.citizens.models import Citizen
from civic.mypage import identity
from civic.rows import pk
from liff.identity import IdTokenUnavailable, security_headers
from liff.mypage.deps import COOKIE, DEPS, WHO, MyPageDeps, Who
from liff.mypage.views import error, identity_problems, routes, unsubscribe
from liff.page import PLAIN_PAGE, LiffPage, page_csp, static_page

__all__ = ["MyPageDeps", "create_mypage_app"]
STATIC = Path(__file__).with_name("static")


@web.middleware
async def who_is_asking(request: web.Request, handler: Any) -> web.StreamResponse:
    if "/api/" not in request.path or "/api/auth/" in request.path:
        return await handler(request)
    deps: MyPageDeps = request.config_dict[DEPS]
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        try:
            user = await deps.verifier.verify(token.strip())
        except IdTokenUnavailable:
            return error(503, "line_unavailable", "LINEに接続できませんでした。しばらくしてからお試しください。")
        if user is None:
            return error(401, "unauthenticated", "LINEのトーク画面からマイページを開き直してください。")
        async with deps.db.read() as s:
            citizen = await citizen_by_user(s, user.user_id)
        if citizen is None or not citizen.is_friend:
            return error(403, "not_friend", "LINE公式アカウントを友だち追加してからお使いください。")
        request[WHO] = Who(pk(citizen), citizen.channel_user_id, "line")
        return await handler(request)
    cookie = request.cookies.get(COOKIE, "")
    if request.method not in ("GET", "HEAD") and request.headers.get("X-Mypage") != "1":
        return error(403, "forbidden", "この操作はマイページの画面から行ってください。")
    async with deps.db.read() as s:
        session = await identity.session_of(s, deps.clock.now(), cookie)
        citizen = await s.get(Citizen, session.citizen_id) if session is not None else None
    if session is None or citizen is None:
        return error(401, "unauthenticated", "ログインしてください。")
    request[WHO] = Who(pk(citizen), citizen.channel_user_id, "web", session.id, session.stepped_up)
    return await handler(request)


def create_mypage_app(deps: MyPageDeps, page: LiffPage = PLAIN_PAGE) -> web.Application:
    app = web.Application(middlewares=[security_headers, identity_problems, who_is_asking], client_max_size=64 * 1024)
    app[DEPS] = deps
    static_page(app, STATIC, page, csp=page_csp(page), title="マイページ")
    app.router.add_routes(routes)
    app.router.add_route("GET", "/unsubscribe/{token}", unsubscribe)
    app.router.add_route("POST", "/unsubscribe/{token}", unsubscribe)
    return app
