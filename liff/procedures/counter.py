"""The staff counter page: open a resident's QR code and print the checklist (§8(6) t, u).

Login is required: the page sends the staff member's bearer token, resolved by the service's
``admin_api.auth.Authenticator``; opening a code needs the ``procedures.counter`` permission.
Every opening, and every code refused, is written to the staff operation log before the answer
leaves (小郡市 spec §12(4) ログ; entries in ``civic.procedures.audit``): a household's data is never
shown without its entry.
"""

from __future__ import annotations

from typing import Any

from aiohttp import BodyPartReader, web

from admin_api.auth import Principal
from civic.clock import tokyo
from civic.inputs import loads_json
from civic.procedures.audit import CounterEntry, opened_entry, refused_entry
from civic.procedures.dates import display
from civic.procedures.navigator import Navigator
from civic.procedures.payload import PayloadError, Ticket, join_texts, reference
from civic.procedures.qr import read_image
from liff.procedures.deps import COUNTER_PERMISSION, DEPS, Deps
from liff.procedures.views import _error, _json, _page, result_json


async def _principal(request: web.Request) -> Principal | web.Response:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _error(401, "unauthenticated", "職員としてログインしてください。")
    principal = await request.app[DEPS].authenticator.authenticate(token.strip(), remote=request.remote)
    if principal is None:
        return _error(401, "unauthenticated", "ログインの有効期限が切れたか、トークンが正しくありません。")
    if not principal.can(COUNTER_PERMISSION):
        return _error(403, "forbidden", f"この操作の権限がありません（必要な権限: {COUNTER_PERMISSION}）。")
    return principal


def ticket_view(deps: Deps, ticket: Ticket) -> dict[str, Any]:
    """What the counter shows: who, where from/to, and the procedures as a checklist."""
    event = deps.content.events.get(ticket.event)
    procedures = []
    if event is not None:
        nav = Navigator(deps.content, event, deps.clock)
        try:
            by_code = {r.code: r for r in nav.result(ticket.answers)}
        except ValueError:
            by_code = {}
        for code in ticket.procedures:
            if code in by_code:
                procedures.append(result_json(by_code[code]))
            elif code in deps.content.catalogue:
                p = deps.content.catalogue[code]
                procedures.append({"code": code, "name": p.name, "place": deps.content.counters[p.counter].place,
                                   "bring": list(p.bring), "deadline": p.deadline.text if p.deadline else "",
                                   "notes": [], "online": [], "form": p.form, "prefilled": p.prefilled})
            else:
                procedures.append({"code": code, "name": f"不明な手続きコード {code}", "place": "", "bring": [],
                                   "deadline": "", "notes": [], "online": [], "form": "", "prefilled": False})
        summary = [{"question": q, "answer": a} for q, a in nav.summary(ticket.answers)]
    else:
        summary = [{"question": k, "answer": v} for k, v in ticket.answers.items()]
    household = None
    if ticket.household is not None:
        today = tokyo(deps.clock.now()).date()
        household = {
            "people": [{"relationship": p.relationship, "name": p.name, "kana": p.kana,
                        "birth_date": display(p.birth_date, with_wareki=True),
                        "age": today.year - p.birth_date.year - ((today.month, today.day) < (p.birth_date.month, p.birth_date.day)),
                        "sex": p.sex} for p in ticket.household.people],
            "addresses": [{"role": a.role, "label": _address_label(event, a.role),
                           "postal_code": f"{a.postal_code[:3]}-{a.postal_code[3:]}" if a.postal_code else "",
                           "text": a.text} for a in ticket.household.addresses],
        }
    issued = tokyo(ticket.issued_at)
    return {"event": {"code": ticket.event, "title": event.title if event else ticket.event},
            "issued_at": f"{display(issued.date())} {issued:%H:%M}", "stale": ticket.stale(deps.clock.now()),
            "procedures": procedures, "summary": summary, "household": household}


def _address_label(event, role: str) -> str:
    if event is not None and event.household is not None:
        for rule in event.household.addresses:
            if rule.role == role:
                return rule.label
    return role


async def counter_page(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    return _page(deps, request, "counter.html", {"page": "counter", "loginUrl": deps.staff_login_url})


async def open_code(request: web.Request) -> web.Response:
    principal = await _principal(request)
    if isinstance(principal, web.Response):
        return principal
    deps = request.app[DEPS]
    texts: list[str] = []
    via = "text"
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):  # a nested multipart has no name: skipped as before
                continue
            if getattr(part, "name", None) == "image":
                via = "image"
                data = await part.read(decode=False)
                texts += read_image(bytes(data))
            elif getattr(part, "name", None) == "text":
                texts += (await part.text()).splitlines()
        if not texts:
            unread = PayloadError("no_code", "画像から二次元コードを読み取れませんでした。明るい場所で撮り直すか、内容を貼り付けてください。")
            await _log(request, principal, refused_entry(unread, None, via=via, parts=0))
            return _error(422, unread.code, unread.message)
    else:
        try:
            body = loads_json(await request.read() or b"{}")
        except ValueError:
            return _error(400, "invalid_json", "リクエストが正しくありません。")
        raw = body.get("texts") if isinstance(body, dict) else None
        if isinstance(raw, str):
            raw = raw.splitlines()
        texts = [str(t) for t in raw] if isinstance(raw, list) else []
    joined: str | None = None
    try:
        joined = join_texts(texts)
        ticket = deps.qr_keys.open(joined)
    except PayloadError as exc:
        await _log(request, principal, refused_entry(exc, joined, via=via, parts=len(texts)))
        return _error(422, exc.code, exc.message)
    await _log(request, principal, opened_entry(ticket, joined, now=deps.clock.now(), via=via))
    return _json({**ticket_view(deps, ticket), "reference": reference(joined)})


async def _log(request: web.Request, principal: Principal, entry: CounterEntry) -> None:
    """One operation-log entry in a transaction of its own, committed before the answer is sent."""
    await request.app[DEPS].auditor.record_alone(principal, entry.action, entry.target, after=entry.after,
                                                 remote=request.remote)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/counter", counter_page, name="counter")
    app.router.add_post("/counter/api/open", open_code)
