"""The my-page's JSON API. Every ``/api/`` call except ``/api/auth/…`` acts for ``request[WHO]``
(``liff.mypage.app.identity``); every lookup by id is scoped to that citizen, so another citizen's
notice, booking, report or to-do answers 404. Views that change something own their transaction."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from aiohttp import web
from sqlmodel import select

from civic.booking.types import Refused, SlotTaken
from civic.citizens.erasure import CitizenNotFound, erase_citizen
from civic.citizens.models import Citizen
from civic.clock import tokyo
from civic.inputs import loads_json
from civic.mypage import channels, identity, outbox, sections, templates
from civic.mypage.deliveries import unsubscribe_url
from civic.mypage.identity import IdentityProblem
from civic.mypage.linking import link_web_citizen
from civic.mypage.models import TOPICS, MyPageEmail
from civic.notify import Notice
from civic.recommendations import services as recommendations
from civic.rows import pk
from liff.booking.views import view_json
from liff.mypage.deps import COOKIE, DEPS, WHO, MyPageDeps, Who

routes = web.RouteTableDef()
PURPOSE_LABEL = {identity.SIGN_IN: "マイページへのログイン", identity.VERIFY: "メールアドレスの確認",
                 identity.STEP_UP: "本人確認"}


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False, default=str))


def error(status: int, code: str, message: str, field: str | None = None) -> web.Response:
    return _json({"error": {"code": code, "message": message, "field": field}}, status)


def not_found() -> web.Response:
    return error(404, "not_found", "見つかりません。")


def deps_of(request: web.Request) -> MyPageDeps:
    return request.config_dict[DEPS]


async def body_of(request: web.Request) -> dict[str, Any]:
    try:
        data = loads_json(await request.read() or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text=json.dumps({"error": {"code": "invalid", "message": "送信内容が正しくありません。",
                                                            "field": "body"}}, ensure_ascii=False),
                                 content_type="application/json")
    return data


def page_path(request: web.Request) -> str:
    """Where the page is mounted (``/liff/mypage``): the session cookie is sent there only."""
    return request.path.split("/api/", 1)[0] or "/"


def _id(request: web.Request, name: str = "id") -> int:
    return int(request.match_info[name])


def problem(exc: IdentityProblem, field: str | None = None) -> web.Response:
    return error(429 if exc.code == "too_many" else 422, exc.code, exc.message, field)


@web.middleware
async def identity_problems(request: web.Request, handler: Any) -> web.StreamResponse:
    """An ``IdentityProblem`` a view lets through (a malformed address) answers 422 / 429."""
    try:
        return await handler(request)
    except IdentityProblem as exc:
        return problem(exc, exc.field)


def needs_second_step(who: Who) -> web.Response | None:
    """Sensitive actions on the web need the second step (TOTP or a code to LINE) first."""
    if who.via == "web" and not who.stepped_up:
        return error(403, "second_step", "大切な操作のため、二段階認証（認証アプリ、またはLINEに届くコード）を行ってください。")
    return None


async def queue_code_mail(deps: MyPageDeps, s: Any, address: str, code: str, purpose: str,
                          citizen_id: int | None) -> None:
    now = deps.clock.now()
    await outbox.enqueue(s, now, to=address, kind="code", citizen_id=citizen_id,
                         dedupe_key=f"code:{identity.address_digest(s, address)[:24]}:{now.timestamp()}",
                         mail=templates.code_mail(deps.mail.town, code, PURPOSE_LABEL[purpose]))


def mail_queued(deps: MyPageDeps) -> None:
    if deps.wake_mail is not None:
        deps.wake_mail()


# ---- signing in on the web --------------------------------------------------------------------

@routes.post("/api/auth/code")
async def send_sign_in_code(request: web.Request) -> web.Response:
    """``{"address"}``: a code to the address. The answer is the same whether or not it is known."""
    deps, body = deps_of(request), await body_of(request)
    address = identity.normalize_address(body.get("address", ""))  # refused: 422 (``identity_problems``)
    async with deps.db.write() as s:
        digest = identity.address_digest(s, address)
        try:
            code = await identity.issue_code(s, deps.clock.now(), digest, identity.SIGN_IN)
        except IdentityProblem as exc:
            return problem(exc, "address")
        await queue_code_mail(deps, s, address, code, identity.SIGN_IN, None)
    mail_queued(deps)
    return _json({"sent": True, "message": "確認コードをお送りしました。メールに記載の6桁の数字を入力してください。"}, 202)


@routes.post("/api/auth/verify")
async def sign_in(request: web.Request) -> web.Response:
    """``{"address", "code"}``: a web session (cookie) for the citizen of the address (new: a web-only one)."""
    deps, body = deps_of(request), await body_of(request)
    address = identity.normalize_address(body.get("address", ""))  # refused: 422 (``identity_problems``)
    async with deps.db.write() as s:
        now = deps.clock.now()
        try:
            await identity.check_code(s, now, identity.address_digest(s, address), identity.SIGN_IN,
                                      str(body.get("code", "")))
        except IdentityProblem as exc:
            refused: web.Response | None = problem(exc, "code")
        else:
            refused = None
            citizen = await identity.web_citizen(s, now, address)
            token = await identity.open_session(s, now, pk(citizen))
    if refused is not None:  # the wrong guess is counted (committed) all the same
        return refused
    response = _json({"ok": True})
    response.set_cookie(COOKIE, token, max_age=int(identity.SESSION_TTL.total_seconds()), path=page_path(request),
                        httponly=True, samesite="Strict", secure=deps.secure_cookies)
    return response


@routes.post("/api/auth/logout")
async def sign_out(request: web.Request) -> web.Response:
    deps = deps_of(request)
    token = request.cookies.get(COOKIE, "")
    if token:
        async with deps.db.write() as s:
            await identity.close_session(s, token)
    response = _json({"ok": True})
    response.del_cookie(COOKIE, path=page_path(request))
    return response


# ---- the overview -----------------------------------------------------------------------------

async def _email_json(email: MyPageEmail | None) -> dict[str, Any] | None:
    if email is None:
        return None
    return {"address": email.address, "verified": email.verified_at is not None,
            "subscribed": email.unsubscribed_at is None}


@routes.get("/api/me")
async def me(request: web.Request) -> web.Response:
    """Everything the first screen shows, in one call: identity, unread count, the sections' first items."""
    deps, who = deps_of(request), request[WHO]
    today = tokyo(deps.clock.now()).date()
    async with deps.db.read() as s:
        email = await identity.email_of(s, who.citizen_id)
        data = {
            "identity": {"via": who.via, "line": identity.is_line_user(who.user_id),
                         "email": await _email_json(email), "totp": bool(email and email.totp_secret),
                         "second_step": who.via == "line" or who.stepped_up},
            "notices": await sections.notices(s, who.citizen_id, limit=20),
            "reports": await sections.reports(s, who.citizen_id, who.user_id),
            "todos": await sections.todos(s, who.citizen_id, today),
            "recommendations": await recommendations.my_page(s, who.citizen_id, today),
            "registered": await sections.registered(s, who.citizen_id),
            "channels": await channels.choices(s, who.citizen_id),
            "topics": TOPICS,
        }
    views = await deps.booking.my_reservations(who.user_id, include_past=True)
    now_day = today
    data["bookings"] = {"upcoming": [view_json(v) for v in views if v.day >= now_day],
                        "past": [view_json(v) for v in reversed(views) if v.day < now_day][:50]}
    return _json(data)


# ---- お知らせ -----------------------------------------------------------------------------------

@routes.get("/api/notices")
async def list_notices(request: web.Request) -> web.Response:
    deps, who = deps_of(request), request[WHO]
    before = request.query.get("before")
    async with deps.db.read() as s:
        data = await sections.notices(s, who.citizen_id, limit=50,
                                      before=int(before) if before and before.isdigit() else None)
    return _json(data)


@routes.post(r"/api/notices/{id:\d+}/read")
async def read_notice(request: web.Request) -> web.Response:
    deps, who = deps_of(request), request[WHO]
    async with deps.db.write() as s:
        row = await sections.mark_read(s, deps.clock.now(), who.citizen_id, _id(request))
        if row is None:
            return not_found()
        data = sections.notice_json(row)
    return _json(data)


# ---- 予約 --------------------------------------------------------------------------------------

@routes.post(r"/api/bookings/{number}/cancel")
async def cancel_booking(request: web.Request) -> web.Response:
    deps, who, number = deps_of(request), request[WHO], request.match_info["number"]
    if await deps.booking.reservation(who.user_id, number) is None:
        return not_found()
    async with deps.db.write() as s:
        booker = await deps.booking.booker_in(s, who.user_id)
        result = await deps.booking.cancel_in(s, booker, number, deps.clock.now())
    if isinstance(result, Refused):
        return error(422, result.violations[0].code, result.message)
    return _json({"number": number, "status": "cancelled"})


@routes.post(r"/api/bookings/{number}/change")
async def change_booking(request: web.Request) -> web.Response:
    deps, who, number = deps_of(request), request[WHO], request.match_info["number"]
    if await deps.booking.reservation(who.user_id, number) is None:
        return not_found()
    body = await body_of(request)
    try:
        day = date.fromisoformat(str(body.get("day")))
        start, end = int(body.get("start_minute", -1)), int(body.get("end_minute", -1))
    except (TypeError, ValueError):
        return error(422, "invalid", "日付と時間を正しく入力してください。", "day")
    async with deps.db.write() as s:
        booker = await deps.booking.booker_in(s, who.user_id)
        result = await deps.booking.reschedule_in(s, booker, number, day=day, start_minute=start, end_minute=end,
                                                  unit_id=None, now=deps.clock.now(), keep_equipment=True)
    if isinstance(result, Refused):
        return error(422, result.violations[0].code, result.message)
    if isinstance(result, SlotTaken):
        return error(409, "slot_taken", result.message + "ほかの時間をお選びください。")
    return _json({"number": result.number, "status": result.status, "fee": result.fee})


# ---- 通報 --------------------------------------------------------------------------------------

@routes.get(r"/api/reports/{id:\d+}")
async def one_report(request: web.Request) -> web.Response:
    deps, who = deps_of(request), request[WHO]
    async with deps.db.read() as s:
        found = await sections.report(s, who.citizen_id, who.user_id, _id(request))
    return _json(found) if found is not None else not_found()


# ---- 手続き ------------------------------------------------------------------------------------

@routes.get("/api/todos")
async def list_todos(request: web.Request) -> web.Response:
    deps, who = deps_of(request), request[WHO]
    async with deps.db.read() as s:
        data = await sections.todos(s, who.citizen_id, tokyo(deps.clock.now()).date())
    return _json({"todos": data})


@routes.post(r"/api/todos/{id:\d+}")
async def tick_todo(request: web.Request) -> web.Response:
    deps, who, body = deps_of(request), request[WHO], await body_of(request)
    async with deps.db.write() as s:
        row = await sections.tick(s, deps.clock.now(), who.citizen_id, _id(request), bool(body.get("done")))
        if row is None:
            return not_found()
        data = sections.todo_json(row, tokyo(deps.clock.now()).date())
    return _json(data)


@routes.delete(r"/api/todos/events/{code}")
async def forget_todos(request: web.Request) -> web.Response:
    deps, who = deps_of(request), request[WHO]
    async with deps.db.write() as s:
        n = await sections.forget_event(s, who.citizen_id, request.match_info["code"])
    return _json({"deleted": n}) if n else not_found()


# ---- 登録情報: channels, e-mail, second step ------------------------------------------------------

@routes.put("/api/channels")
async def set_channels(request: web.Request) -> web.Response:
    deps, who, body = deps_of(request), request[WHO], await body_of(request)
    wanted = {str(k): str(v) for k, v in body.items()}
    async with deps.db.write() as s:
        try:
            data = await channels.set_choices(s, who.citizen_id, wanted)
        except ValueError as exc:
            return error(422, "invalid", "受け取り方法の指定が正しくありません。", str(exc))
    return _json({"channels": data})


@routes.post("/api/email")
async def register_email(request: web.Request) -> web.Response:
    """``{"address"}``: a verification code to a new address (on the web a sensitive action)."""
    deps, who, body = deps_of(request), request[WHO], await body_of(request)
    if (refused := needs_second_step(who)) is not None:
        return refused
    address = identity.normalize_address(body.get("address", ""))  # refused: 422 (``identity_problems``)
    async with deps.db.write() as s:
        owner = await identity.email_by_address(s, address)
        if owner is not None and owner.citizen_id != who.citizen_id:
            other = await s.get(Citizen, owner.citizen_id)
            if other is None or identity.is_line_user(other.channel_user_id) or who.via != "line":
                return error(409, "taken", "このメールアドレスはほかの利用者が登録しています。", "address")
        try:
            code = await identity.issue_code(s, deps.clock.now(), identity.address_digest(s, address),
                                             identity.VERIFY, citizen_id=who.citizen_id)
        except IdentityProblem as exc:
            return problem(exc, "address")
        await queue_code_mail(deps, s, address, code, identity.VERIFY, who.citizen_id)
    mail_queued(deps)
    return _json({"sent": True, "message": "確認コードをお送りしました。"}, 202)


@routes.post("/api/email/verify")
async def verify_email(request: web.Request) -> web.Response:
    """``{"address", "code"}``: the address is the citizen's, verified; when it belonged to a web-only
    citizen and this is a LINE citizen, the two are linked (LINE and the code both proved)."""
    deps, who, body = deps_of(request), request[WHO], await body_of(request)
    address = identity.normalize_address(body.get("address", ""))  # refused: 422 (``identity_problems``)
    linked = False
    async with deps.db.write() as s:
        now = deps.clock.now()
        try:
            used = await identity.check_code(s, now, identity.address_digest(s, address), identity.VERIFY,
                                             str(body.get("code", "")))
            if used.citizen_id != who.citizen_id:
                raise IdentityProblem("expired", "確認コードの有効期限が切れました。もう一度コードを送ってください。")
        except IdentityProblem as exc:
            refused: web.Response | None = problem(exc, "code")
        else:
            refused = None
            owner = await identity.email_by_address(s, address)
            totp = None
            if owner is not None and owner.citizen_id != who.citizen_id:
                totp = await link_web_citizen(s, now, who.citizen_id, owner.citizen_id)
                linked = True
            email = await identity.set_address(s, now, who.citizen_id, address, verified=True)
            if totp and not email.totp_secret:
                email.totp_secret = totp
                s.add(email)
            await outbox.enqueue(s, now, to=address, kind="verified", citizen_id=who.citizen_id,
                                 dedupe_key=f"verified:{who.citizen_id}:{email.digest[:24]}:{now.timestamp()}",
                                 mail=templates.verified_mail(deps.mail.town, unsubscribe_url(
                                     deps.mail.public_base_url, email.unsubscribe_token)))
    if refused is not None:
        return refused
    mail_queued(deps)
    return _json({"ok": True, "linked": linked})


@routes.post("/api/totp/setup")
async def totp_setup(request: web.Request) -> web.Response:
    """A new secret to scan (nothing stored until ``/api/totp/confirm`` proves the app has it)."""
    deps, who = deps_of(request), request[WHO]
    async with deps.db.read() as s:
        email = await identity.email_of(s, who.citizen_id)
    if email is None or email.verified_at is None:
        return error(409, "no_email", "先にメールアドレスを登録・確認してください。")
    if email.totp_secret and (refused := needs_second_step(who)) is not None:
        return refused
    secret = identity.new_totp_secret()
    return _json({"secret": secret, "uri": identity.totp_uri(secret, email.address, deps.issuer)})


@routes.post("/api/totp/confirm")
async def totp_confirm(request: web.Request) -> web.Response:
    deps, who, body = deps_of(request), request[WHO], await body_of(request)
    secret = str(body.get("secret", ""))
    if not identity.totp_ok(secret, str(body.get("code", "")), deps.clock.now()):
        return error(422, "wrong_code", "認証アプリのコードが違います。", "code")
    async with deps.db.write() as s:
        email = await identity.email_of(s, who.citizen_id)
        if email is None:
            return error(409, "no_email", "先にメールアドレスを登録・確認してください。")
        if email.totp_secret and needs_second_step(who) is not None:
            return error(403, "second_step", "二段階認証を行ってから変更してください。")
        email.totp_secret = secret
        s.add(email)
        if who.session_id is not None:
            await identity.step_up(s, deps.clock.now(), who.session_id)
    return _json({"ok": True})


@routes.post("/api/second-step/line")
async def send_line_code(request: web.Request) -> web.Response:
    """A second-step code to the citizen's LINE (web sign-ins of citizens who linked LINE)."""
    deps, who = deps_of(request), request[WHO]
    if deps.line is None or not identity.is_line_user(who.user_id):
        return error(409, "no_line", "LINEと連携していないため、LINEにコードを送れません。")
    async with deps.db.write() as s:
        try:
            code = await identity.issue_code(s, deps.clock.now(), f"citizen:{who.citizen_id}", identity.STEP_UP,
                                             citizen_id=who.citizen_id)
        except IdentityProblem as exc:
            return problem(exc)
        await deps.line.notify(s, Notice(who.user_id, "mypage.second_step",
                                         f"マイページの本人確認コード：{code}\n（10分間有効です。心当たりがない場合は無視してください）"))
    return _json({"sent": True}, 202)


@routes.post("/api/second-step")
async def second_step(request: web.Request) -> web.Response:
    """``{"method": "totp"|"line", "code"}``: sensitive actions are allowed for a while."""
    deps, who, body = deps_of(request), request[WHO], await body_of(request)
    if who.session_id is None:
        return _json({"ok": True})  # inside LINE: LINE already proved the citizen
    code, method = str(body.get("code", "")), body.get("method")
    async with deps.db.write() as s:
        now = deps.clock.now()
        if method == "totp":
            email = await identity.email_of(s, who.citizen_id)
            ok = identity.totp_ok(email.totp_secret if email else None, code, now)
            refused = None if ok else error(422, "wrong_code", "認証アプリのコードが違います。", "code")
        else:
            try:
                await identity.check_code(s, now, f"citizen:{who.citizen_id}", identity.STEP_UP, code)
                refused = None
            except IdentityProblem as exc:
                refused = problem(exc, "code")
        if refused is None:
            await identity.step_up(s, now, who.session_id)
    return refused or _json({"ok": True})


# ---- 退会 --------------------------------------------------------------------------------------

@routes.post("/api/erase")
async def erase_me(request: web.Request) -> web.Response:
    """``{"confirm": true}``: erase everything of the citizen (``civic.citizens.erasure``)."""
    deps, who, body = deps_of(request), request[WHO], await body_of(request)
    if body.get("confirm") is not True:
        return error(422, "confirm", "退会の確認にチェックを入れてください。", "confirm")
    if (refused := needs_second_step(who)) is not None:
        return refused
    async with deps.db.write() as s:
        try:
            erased = await erase_citizen(s, who.citizen_id, deps.clock.now())
        except CitizenNotFound:
            return not_found()
    if deps.after_erasure is not None:
        await deps.after_erasure(erased, who.user_id)
    response = _json({"ok": True, "message": "登録情報を削除しました。ご利用ありがとうございました。"
                                             "LINEの友だちも解除する場合は、トーク画面からブロックしてください。"})
    response.del_cookie(COOKIE, path=page_path(request))
    return response


# ---- unsubscribe (public: the link in every mail) ----------------------------------------------

async def unsubscribe(request: web.Request) -> web.Response:
    """``GET``: a page with one button; ``POST``: no more e-mail to that address (but sign-in codes)."""
    deps, token = deps_of(request), request.match_info["token"]
    async with deps.db.write() as s:
        email = (await s.exec(select(MyPageEmail).where(MyPageEmail.unsubscribe_token == token))).first()
        if email is not None and request.method == "POST" and email.unsubscribed_at is None:
            email.unsubscribed_at = deps.clock.now()
            s.add(email)
    if email is None:
        text, button = "このリンクは無効です。", ""
    elif email.unsubscribed_at is not None:
        text, button = "メールの配信を停止しました。マイページからいつでも再開できます。", ""
    else:
        text, button = "お知らせメールの受け取りを停止します。", (
            '<form method="post"><button type="submit">メールの受け取りを停止する</button></form>')
    page = (f'<!doctype html><html lang="ja"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>メール配信の停止</title></head><body><main>'
            f'<h1>メール配信の停止</h1><p>{text}</p>{button}</main></body></html>')
    return web.Response(text=page, content_type="text/html", charset="utf-8",
                        headers={"Content-Security-Policy": "default-src 'none'; form-action 'self'; "
                                                            "frame-ancestors 'none'", "Cache-Control": "no-store"})

