"""The resident's side: the page, the question-by-question API, household entry and the QR code."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from aiohttp import web

from civic.attributes.services import citizen_by_user
from civic.clock import tokyo
from civic.inputs import loads_json
from civic.mypage.sections import SavedProcedure, save_results
from civic.procedures.household import check_household, household_to_dict
from civic.procedures.navigator import NavigationState, Navigator, ProcedureResult, ValidationProblem
from civic.procedures.payload import Ticket
from civic.procedures.qr import render
from civic.procedures.services import Draft, record_access
from civic.procedures.text import format_result_text
from civic.procedures.tree import LifeEvent, Question
from civic.rows import pk
from liff.page import with_maintenance_banner
from liff.procedures.deps import DEPS, STATIC, Deps
from liff.procedures.themes import THEMES

EXPIRED = "安全のため、一定時間操作がなかった入力内容は消去しました。お手数ですが、最初からやり直してください。"


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def _error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    return _json({"error": {"code": code, "message": message, **extra}}, status)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = loads_json(await request.read())
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text=json.dumps({"error": {
            "code": "invalid_json", "message": "送信内容を読み取れませんでした。画面を開き直してお試しください。"}},
            ensure_ascii=False), content_type="application/json")
    return data


# ---- JSON shapes ---------------------------------------------------------------------------------

def question_json(nav: Navigator, q: Question) -> dict[str, Any]:
    low, high = nav.date_bounds(q) if q.kind == "date" else (None, None)
    return {"id": q.id, "text": q.text, "help": q.help, "kind": q.kind, "required": q.required,
            "depth": nav.depth(q.id), "options": [{"value": o.value, "label": o.label} for o in q.options],
            "min": low.isoformat() if low else None, "max": high.isoformat() if high else None}


def step_json(nav: Navigator, state: NavigationState) -> dict[str, Any]:
    q = nav.next_question(state.answers)
    return {"question": question_json(nav, q) if q else None, "progress": nav.progress(state.answers),
            "answered": len(state.answers), "done": q is None}


def result_json(r: ProcedureResult) -> dict[str, Any]:
    return {"code": r.code, "name": r.name, "form": r.form, "prefilled": r.prefilled, "place": r.counter.place,
            "floor": r.counter.floor, "external": r.counter.external, "counter_note": r.counter.note,
            "phone": r.counter.phone, "bring": list(r.bring), "deadline": r.deadline_display,
            "deadline_date": r.deadline_date.isoformat() if r.deadline_date else None, "overdue": r.overdue,
            "online": [{"name": o.name, "url": o.url, "note": o.note} for o in r.online],
            "notes": list(r.notes), "explanation": r.explanation}


def household_spec_json(deps: Deps, event: LifeEvent, answers: dict[str, str]) -> dict[str, Any] | None:
    spec = event.household
    if spec is None:
        return None
    return {"title": spec.title, "max_people": spec.max_people, "relationships": list(deps.content.relationships),
            "addresses": [{"role": a.role, "label": a.label, "in_town": a.in_town,
                           "abroad": bool(a.abroad_when and a.abroad_when.holds(answers))} for a in spec.addresses]}


# ---- the page ------------------------------------------------------------------------------------

def _page(deps: Deps, request: web.Request, file: str, extra: dict[str, Any]) -> web.Response:
    theme = request.query.get("theme", deps.theme)
    theme = theme if theme in THEMES else deps.theme
    town = deps.content.town
    base = request.app.router["index"].url_for().path.rstrip("/")
    config = {"base": base, "town": town.name,
              "office": town.office, "hours": town.hours, "phone": town.phone, "theme": theme,
              "idleSeconds": int(deps.drafts.idle.total_seconds()), "liffId": deps.liff_id,
              "themes": {k: t.label for k, t in THEMES.items()}, **extra}
    text = with_maintenance_banner((STATIC / file).read_text(encoding="utf-8"))
    config_json = json.dumps(config, ensure_ascii=False).replace("<", "\\u003c")
    replacements = {
        "{{base}}": html.escape(base), "{{town}}": html.escape(town.name), "{{theme}}": theme, "{{config}}": config_json, "{{office}}": html.escape(town.office),
        "{{liff_sdk}}": (f'<script src="{html.escape(deps.liff_sdk_url)}"></script>' if deps.liff_sdk_url else ""),
    }
    for key, value in replacements.items():
        text = text.replace(key, value)
    return web.Response(text=text, content_type="text/html", charset="utf-8")


async def index(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    events = [{"code": e.code, "label": e.label, "title": e.title, "summary": e.summary}
              for e in deps.content.ordered_events()]
    return _page(deps, request, "index.html", {"events": events})


async def theme_css(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in THEMES:
        raise web.HTTPNotFound()
    return web.Response(text=THEMES[name].css(), content_type="text/css")


async def town_file(request: web.Request) -> web.FileResponse:
    deps = request.app[DEPS]
    which = request.match_info["which"]
    name = deps.content.town.emblem if which == "emblem" else deps.content.town.image
    path = Path(deps.content.directory) / name if name else None
    if path is None or path.suffix != ".svg" or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Content-Type": "image/svg+xml", "Cache-Control": "max-age=3600"})


# ---- navigation API ------------------------------------------------------------------------------

async def _channel(deps: Deps, id_token: Any) -> tuple[str, str | None]:
    if id_token and deps.verifier is not None:
        user = await deps.verifier.verify(str(id_token))
        if user is not None:
            return "line", user.user_id
    return "web", None


def replay(nav: Navigator, answers: Any) -> NavigationState:
    """The answers given elsewhere (the talk's 手続きナビ), taken in asking order through the same
    checks as on the page; the first one missing or refused is where the page goes on."""
    state = nav.start()
    if not isinstance(answers, dict):
        return state
    while (q := nav.next_question(state.answers)) is not None and q.id in answers:
        taken = nav.answer(state, q.id, str(answers[q.id]))
        if isinstance(taken, ValidationProblem):
            break
        state = taken
    return state


async def start(request: web.Request) -> web.Response:
    """``{"event", "id_token"?, "answers"?}``: a new draft; ``answers`` (question id → value) carries
    over what the resident already answered in the talk, so the page opens where they left off."""
    deps = request.app[DEPS]
    body = await _body(request)
    event = deps.content.events.get(str(body.get("event", "")))
    if event is None:
        return _error(404, "unknown_event", "その手続きは見つかりません。")
    channel, _ = await _channel(deps, body.get("id_token"))
    await record_access(deps.db, deps.clock, event.code, channel)
    token = await deps.drafts.create(event.code, channel)
    nav = Navigator(deps.content, event, deps.clock)
    state = replay(nav, body.get("answers"))
    if state.answers:
        await deps.drafts.save(token, answers=state.answers)
    return _json({"token": token, "event": {"code": event.code, "title": event.title},
                  "step": step_json(nav, state)}, 201)


async def _draft(request: web.Request) -> tuple[Deps, str, Draft, Navigator] | web.Response:
    deps = request.app[DEPS]
    token = request.match_info["token"]
    draft = await deps.drafts.load(token)
    if draft is None or draft.event not in deps.content.events:
        return _error(410, "expired", EXPIRED)
    return deps, token, draft, Navigator(deps.content, deps.content.event(draft.event), deps.clock)


async def answer(request: web.Request) -> web.Response:
    found = await _draft(request)
    if isinstance(found, web.Response):
        return found
    deps, token, draft, nav = found
    body = await _body(request)
    state = nav.answer(NavigationState(draft.event, draft.answers), str(body.get("question_id", "")),
                       body.get("value"))
    if isinstance(state, ValidationProblem):
        return _error(422, state.code, state.message, question_id=state.question_id)
    await deps.drafts.save(token, answers=state.answers)
    return _json({"step": step_json(nav, state)})


async def back(request: web.Request) -> web.Response:
    found = await _draft(request)
    if isinstance(found, web.Response):
        return found
    deps, token, draft, nav = found
    state = nav.back(NavigationState(draft.event, draft.answers))
    await deps.drafts.save(token, answers=state.answers)
    return _json({"step": step_json(nav, state)})


async def result(request: web.Request) -> web.Response:
    found = await _draft(request)
    if isinstance(found, web.Response):
        return found
    deps, _token, draft, nav = found
    missing = nav.missing(draft.answers)
    if missing:
        return _error(409, "incomplete", "まだ回答していない質問があります。", missing=missing)
    results = nav.result(draft.answers)
    return _json({"event": {"code": nav.event.code, "title": nav.event.title},
                  "results": [result_json(r) for r in results],
                  "summary": [{"question": q, "answer": a} for q, a in nav.summary(draft.answers)],
                  "household": household_spec_json(deps, nav.event, draft.answers),
                  "entered": draft.household,
                  "text": format_result_text(nav.event, results, deps.content.town)})


async def household(request: web.Request) -> web.Response:
    found = await _draft(request)
    if isinstance(found, web.Response):
        return found
    deps, token, draft, nav = found
    if nav.event.household is None:
        return _error(404, "no_household", "この手続きでは、世帯の事前入力はありません。")
    body = await _body(request)
    checked = check_household(nav.event.household, body.get("household"), answers=draft.answers,
                              town=deps.content.town, postal=deps.postal, today=nav.today(),
                              relationships=deps.content.relationships)
    if isinstance(checked, list):
        return _json({"error": {"code": "invalid", "message": "入力内容を確認してください。",
                                "problems": [{"field": p.field, "message": p.message} for p in checked]}}, 422)
    data = household_to_dict(checked)
    await deps.drafts.save(token, household=data)
    return _json({"household": data})


async def issue_qr(request: web.Request) -> web.Response:
    """Seal the result and the household into the QR code, then forget them (§8(6) t, u, v, w)."""
    deps = request.app[DEPS]
    token = request.match_info["token"]
    body = await _body(request)
    draft = await deps.drafts.load(token)
    if draft is None or draft.event not in deps.content.events:
        return _error(410, "expired", EXPIRED)
    nav = Navigator(deps.content, deps.content.event(draft.event), deps.clock)
    if nav.missing(draft.answers):
        return _error(409, "incomplete", "まだ回答していない質問があります。")
    if nav.event.household is not None and not draft.household:
        return _error(409, "no_household", "世帯の情報を入力してください。")
    household = None
    if draft.household and nav.event.household is not None:  # saved only while the event asks for one
        checked = check_household(nav.event.household, draft.household, answers=draft.answers,
                                  town=deps.content.town, postal=deps.postal, today=nav.today(),
                                  relationships=deps.content.relationships)
        if isinstance(checked, list):
            return _error(409, "invalid_household", "世帯の情報を確認してください。")
        household = checked
    taken = await deps.drafts.take(token)  # from here on the server holds nothing of the entries
    if taken is None:
        return _error(410, "expired", EXPIRED)
    results = nav.result(draft.answers)
    ticket = Ticket(draft.event, tuple(r.code for r in results), dict(draft.answers), household, deps.clock.now())
    codes = render(deps.qr_keys.seal(ticket), max_version=deps.qr_max_version)
    notified = False
    channel, line_user = await _channel(deps, body.get("id_token"))
    if line_user and deps.notifier is not None:
        text = format_result_text(nav.event, results, deps.content.town)
        if household is not None:
            text += f"\n\n世帯{len(household.people)}人分の事前入力を二次元コードにしました。来庁時に窓口でご提示ください。"
        await deps.notifier.send_result(line_user, text)
        notified = True
    return _json({"codes": [{"svg": c.svg, "version": c.version, "modules": c.modules, "text": c.text}
                            for c in codes],
                  "issued_on": tokyo(ticket.issued_at).date().isoformat(),
                  "wiped": True, "notified_line": notified, "channel": channel})


async def save_to_mypage(request: web.Request) -> web.Response:
    """``{"id_token"}``: the result as to-dos on the citizen's my-page (``civic.mypage``), only when they
    ask — what to do, where, what to bring, by when; never their answers' household data."""
    found = await _draft(request)
    if isinstance(found, web.Response):
        return found
    deps, _token, draft, nav = found
    body = await _body(request)
    _, line_user = await _channel(deps, body.get("id_token"))
    if line_user is None:
        return _error(401, "unauthenticated", "LINEのトーク画面から開くと、マイページに保存できます。")
    if nav.missing(draft.answers):
        return _error(409, "incomplete", "まだ回答していない質問があります。")
    saved = [SavedProcedure(r.code, r.name, r.counter.place,
                            tuple(r.bring), r.deadline_display, r.deadline_date) for r in nav.result(draft.answers)]
    async with deps.db.write() as s:
        citizen = await citizen_by_user(s, line_user)
        if citizen is None:
            return _error(403, "not_friend", "LINE公式アカウントを友だち追加してからお使いください。")
        n = await save_results(s, deps.clock.now(), pk(citizen), nav.event.code, nav.event.title, saved)
    return _json({"saved": n})


async def touch(request: web.Request) -> web.Response:
    found = await _draft(request)  # loading restarts the idle time
    if isinstance(found, web.Response):
        return found
    return web.Response(status=204)


async def discard(request: web.Request) -> web.Response:
    await request.app[DEPS].drafts.discard(request.match_info["token"])
    return web.Response(status=204)


# ---- input helpers (§8(6) n, o) ------------------------------------------------------------------

async def kana(request: web.Request) -> web.Response:
    import asyncio

    name = request.query.get("name", "")[:40]
    reading = await asyncio.to_thread(request.app[DEPS].kana.reading, name) if name.strip() else ""
    return _json({"kana": reading})


async def postal(request: web.Request) -> web.Response:
    found = request.app[DEPS].postal.lookup(request.query.get("code", ""))
    if found is None:
        return _error(404, "not_found", "その郵便番号は見つかりません。ご確認ください。")
    return _json({"postal_code": found.postal_code, "region": found.region, "in_town": found.in_town})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/", index, name="index")
    r.add_get("/theme/{name}.css", theme_css)
    r.add_get("/town/{which:emblem|image}.svg", town_file)
    r.add_post("/api/sessions", start)
    r.add_post("/api/sessions/{token}/answer", answer)
    r.add_post("/api/sessions/{token}/back", back)
    r.add_get("/api/sessions/{token}/result", result)
    r.add_put("/api/sessions/{token}/household", household)
    r.add_post("/api/sessions/{token}/qr", issue_qr)
    r.add_post("/api/sessions/{token}/touch", touch)
    r.add_post("/api/sessions/{token}/save", save_to_mypage)
    r.add_delete("/api/sessions/{token}", discard)
    r.add_get("/api/kana", kana)
    r.add_get("/api/postal", postal)
