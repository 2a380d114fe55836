"""The LIFF form page: ``create_forms_liff_app(...)``, an aiohttp sub-app mounted at ``/liff/forms``.

``GET /?form=<key>`` serves the page (static HTML/JS/CSS, no inline script, strict CSP); the page
calls the JSON API below with ``Authorization: Bearer <LIFF ID token>``, and every call acts for
the ``sub`` LINE returns when it verifies the token — never for a user id the page sends.

* ``GET /api/forms`` — the forms this citizen may answer;
* ``GET /api/forms/{key}`` — the questions and the citizen's current answers (the page opens filled in);
* ``POST /api/forms/{key}`` ``{"answers": {attribute: value}}`` — checked all at once, then stored.

A form limited to a segment (``segment_id``: e.g. for the town's own staff) answers 403 to anyone
outside it. ``on_saved(channel_user_id)`` runs after a successful answer (e.g. the rich-menu
publisher's ``relink_citizen``, since segments may have changed).
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from civic.attributes import forms, services
from civic.attributes.errors import AttributeProblem
from civic.citizens.models import Citizen
from civic.clock import Clock
from civic.database import Database
from civic.inputs import loads_json
from civic.rows import pk
from civic.segments import services as segments
from civic.segments.errors import SegmentProblem
from liff.identity import IdTokenVerifier, id_token_middleware, security_headers

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
LIFF_SDK_URL = "https://static.line-scdn.net/liff/edge/2/sdk.js"
USER = web.RequestKey("forms_user", str)
VERIFIER = web.AppKey("forms_id_token_verifier", IdTokenVerifier)
OnSaved = Callable[[str], Awaitable[None]]


def _error(status: int, code: str, message: str, field: str | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message, "field": field}}, status=status,
                             dumps=lambda o: json.dumps(o, ensure_ascii=False))


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def create_forms_liff_app(db: Database, clock: Clock, verifier: IdTokenVerifier, *, liff_id: str = "",
                          sdk_url: str | None = LIFF_SDK_URL, on_saved: OnSaved | None = None,
                          title: str = "受信設定") -> web.Application:
    """The page and its API. ``sdk_url=None`` leaves the LIFF SDK out (emulator, tests)."""
    app = web.Application(middlewares=[security_headers, id_token_middleware(VERIFIER, USER, "フォーム")], client_max_size=256 * 1024)
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

    async def citizen_of(s: Any, request: web.Request) -> Citizen:
        citizen = await services.citizen_by_user(s, request[USER])
        if citizen is None or not citizen.is_friend:
            raise web.HTTPForbidden(reason="not_friend")
        return citizen

    async def may_answer(s: Any, form: forms.FormSpec, citizen: Citizen) -> bool:
        if not form.active:
            return False
        if form.segment_id is None:
            return True
        try:
            node = await segments.segment_filter(s, form.segment_id)
        except SegmentProblem:  # the segment was deleted: nobody may answer until staff fix the form
            return False
        return await segments.is_member(s, node, segments.today_in_tokyo(clock.now()), pk(citizen))

    def not_friend() -> web.Response:
        return _error(403, "not_friend", "LINE公式アカウントを友だち追加してからお使いください。")

    async def list_forms(request: web.Request) -> web.Response:
        async with db.read() as s:
            try:
                citizen = await citizen_of(s, request)
            except web.HTTPForbidden:
                return not_friend()
            found = [f for f in await forms.list_forms(s, active_only=True) if await may_answer(s, f, citizen)]
        return _json({"forms": [{"key": f.key, "title": f.title, "description": f.description} for f in found]})

    async def get_form(request: web.Request) -> web.Response:
        async with db.read() as s:
            try:
                citizen = await citizen_of(s, request)
                form = await forms.get_form(s, request.match_info["key"])
            except web.HTTPForbidden:
                return not_friend()
            except AttributeProblem:
                return _error(404, "not_found", "このフォームは見つかりません。")
            if not await may_answer(s, form, citizen):
                return _error(403, "not_for_you", "このフォームは現在ご利用いただけません。")
            asked = await forms.questions(s, form)
            answers = await forms.current_answers(s, form, pk(citizen))
        return _json({"form": {"key": form.key, "title": form.title, "description": form.description,
                               "questions": [q.view() for q in asked]}, "answers": answers})

    async def submit(request: web.Request) -> web.Response:
        try:
            body = loads_json(await request.read())
        except ValueError:
            return _error(400, "invalid_json", "送信内容を読み取れませんでした。もう一度お試しください。")
        answers = body.get("answers") if isinstance(body, dict) else None
        if not isinstance(answers, dict):
            return _error(400, "invalid", "回答（answers）がありません。")
        async with db.write() as s:
            try:
                citizen = await citizen_of(s, request)
                form = await forms.get_form(s, request.match_info["key"])
            except web.HTTPForbidden:
                return not_friend()
            except AttributeProblem:
                return _error(404, "not_found", "このフォームは見つかりません。")
            if not await may_answer(s, form, citizen):
                return _error(403, "not_for_you", "このフォームは現在ご利用いただけません。")
            try:
                await forms.submit(s, clock.now(), form, pk(citizen), answers, via="liff")
            except AttributeProblem as exc:
                return _error(422 if exc.kind == "invalid" else 403, exc.code, exc.message, exc.field)
            user = citizen.channel_user_id
        if on_saved is not None:
            try:
                await on_saved(user)
            except Exception:  # the answers are saved; a menu refresh can happen later
                log.exception("forms: after-save hook failed for a citizen")
        return _json({"ok": True, "thanks": form.thanks or "ご回答ありがとうございました。設定を保存しました。"})

    app.router.add_get("/", index)
    app.router.add_get("/api/forms", list_forms)
    app.router.add_get("/api/forms/{key}", get_form)
    app.router.add_post("/api/forms/{key}", submit)
    app.router.add_static("/static", STATIC, append_version=False)
    return app
