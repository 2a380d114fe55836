"""The LIFF form page: ``create_forms_liff_app(deps, verifier, page)``, an aiohttp sub-app mounted at
``/liff/forms`` (the shape every LIFF page has: ``liff.page``).

``GET /?form=<key>`` serves the page (static HTML/JS/CSS, no inline script, strict CSP); the page
calls the JSON API below with ``Authorization: Bearer <LIFF ID token>``, and every call acts for
the ``sub`` LINE returns when it verifies the token — never for a user id the page sends.

* ``GET /api/forms`` — the forms this citizen may answer;
* ``GET /api/forms/{key}`` — the questions and the citizen's current answers (the page opens filled in);
* ``POST /api/forms/{key}`` ``{"answers": {attribute: value}}`` — checked all at once, then stored.

A form limited to a segment (``segment_id``: e.g. for the town's own staff) answers 403 to anyone
outside it. ``deps.on_saved(channel_user_id)`` runs after a successful answer has committed (the
rich-menu publisher's ``relink_citizen``, since segments may have changed). The submitting view
owns its transaction (``deps.db.write()``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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
from liff.identity import IdTokenVerifier
from liff.page import PLAIN_PAGE, USER, LiffPage, liff_app, page_csp, static_page

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
OnSaved = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class FormsDeps:
    db: Database
    clock: Clock
    on_saved: OnSaved | None = None


DEPS = web.AppKey("liff_forms_deps", FormsDeps)


def _error(status: int, code: str, message: str, field: str | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message, "field": field}}, status=status,
                             dumps=lambda o: json.dumps(o, ensure_ascii=False))


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def create_forms_liff_app(deps: FormsDeps, verifier: IdTokenVerifier,
                          page: LiffPage = PLAIN_PAGE) -> web.Application:
    """The page and its API; ``page`` says how it runs (default: in a plain browser, no LIFF SDK)."""
    app = liff_app(verifier, name="フォーム", client_max_size=256 * 1024)
    app[DEPS] = deps
    static_page(app, STATIC, page, csp=page_csp(page), title="受信設定")
    app.router.add_get("/api/forms", list_forms)
    app.router.add_get("/api/forms/{key}", get_form)
    app.router.add_post("/api/forms/{key}", submit)
    return app


async def citizen_of(s: Any, request: web.Request) -> Citizen:
    citizen = await services.citizen_by_user(s, request[USER])
    if citizen is None or not citizen.is_friend:
        raise web.HTTPForbidden(reason="not_friend")
    return citizen


async def may_answer(s: Any, form: forms.FormSpec, citizen: Citizen, clock: Clock) -> bool:
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


async def form_for(s: Any, request: web.Request, clock: Clock) -> tuple[Citizen, forms.FormSpec] | web.Response:
    """The citizen and the form of the URL, or the answer refusing them (not a friend, no such form,
    not for them)."""
    try:
        citizen = await citizen_of(s, request)
        form = await forms.get_form(s, request.match_info["key"])
    except web.HTTPForbidden:
        return not_friend()
    except AttributeProblem:
        return _error(404, "not_found", "このフォームは見つかりません。")
    if not await may_answer(s, form, citizen, clock):
        return _error(403, "not_for_you", "このフォームは現在ご利用いただけません。")
    return citizen, form


async def list_forms(request: web.Request) -> web.Response:
    deps = request.config_dict[DEPS]
    async with deps.db.read() as s:
        try:
            citizen = await citizen_of(s, request)
        except web.HTTPForbidden:
            return not_friend()
        found = [f for f in await forms.list_forms(s, active_only=True) if await may_answer(s, f, citizen, deps.clock)]
    return _json({"forms": [{"key": f.key, "title": f.title, "description": f.description} for f in found]})


async def get_form(request: web.Request) -> web.Response:
    deps = request.config_dict[DEPS]
    async with deps.db.read() as s:
        opened = await form_for(s, request, deps.clock)
        if isinstance(opened, web.Response):
            return opened
        citizen, form = opened
        asked = await forms.questions(s, form)
        answers = await forms.current_answers(s, form, pk(citizen))
    return _json({"form": {"key": form.key, "title": form.title, "description": form.description,
                           "questions": [q.view() for q in asked]}, "answers": answers})


async def submit(request: web.Request) -> web.Response:
    deps = request.config_dict[DEPS]
    try:
        body = loads_json(await request.read())
    except ValueError:
        return _error(400, "invalid_json", "送信内容を読み取れませんでした。もう一度お試しください。")
    answers = body.get("answers") if isinstance(body, dict) else None
    if not isinstance(answers, dict):
        return _error(400, "invalid", "回答（answers）がありません。")
    async with deps.db.write() as s:
        opened = await form_for(s, request, deps.clock)
        if isinstance(opened, web.Response):
            return opened
        citizen, form = opened
        try:
            await forms.submit(s, deps.clock.now(), form, pk(citizen), answers, via="liff")
        except AttributeProblem as exc:
            return _error(422 if exc.kind == "invalid" else 403, exc.code, exc.message, exc.field)
        user = citizen.channel_user_id
    if deps.on_saved is not None:
        try:
            await deps.on_saved(user)
        except Exception:  # the answers are saved; a menu refresh can happen later
            log.exception("forms: after-save hook failed for a citizen")
    return _json({"ok": True, "thanks": form.thanks or "ご回答ありがとうございました。設定を保存しました。"})
