"""Every change a staff member makes writes EXACTLY ONE operation-log entry, in the transaction of the change;
a refused request writes none.

The facility and booking scenarios of ``tests/booking`` and ``tests/facilities`` are replayed against the real
``Auditor`` (rows in ``operation_log``, the one the service wires, both in the routers and the app), with a
middleware counting the rows each request wrote. A recording stand-in without the app's auditor is what hid
the double entries (``facility.create`` and ``facilities.create_facility`` for one facility).

``test_every_mutating_route_of_the_service_writes_one_entry_in_its_transaction`` drives every POST/PUT/PATCH/DELETE
of the whole service's OpenAPI document (every router) once and fails on a route it does not know, on a route that
leaves the entry to the framework's safety net (a transaction of its own), and on a missing before/after.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from aiohttp import web
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from admin_api import booking_views, facility_views
from admin_api.app import create_admin_app
from admin_api.context import AdminContext
from admin_api.keys import OPERATIONS
from admin_api.routing import MUTATING
from civic.booking.services import BookingService
from civic.crypto import FieldCipher
from civic.database import Database
from civic.staff.audit import Auditor
from civic.staff.models import OperationLog
from tests.booking import test_admin_api as booking_scenarios
from tests.booking.fakes import AuditEntry, RecordingNotifier
from tests.booking.test_admin_api import MANAGER, Tokens
from tests.booking.town import build_town, citizen
from tests.conftest import _sqlite_copy
from tests.facilities import test_admin_api as facility_scenarios


class RealAuditor(Auditor):
    """The service's auditor (it writes ``operation_log`` rows); it also keeps what it wrote, so the replayed
    scenarios' own assertions on ``audit.actions()`` / ``audit.entries`` still hold."""

    def __init__(self, db: Database, clock: Any) -> None:
        super().__init__(db, clock)
        self.entries: list[AuditEntry] = []

    async def record(self, session: AsyncSession, actor: Any, action: str, target: str,
                     before: Any = None, after: Any = None, remote: str | None = None) -> OperationLog:
        assert session.in_transaction(), "the log entry is written in the change's transaction"
        entry = await super().record(session, actor, action, target, before, after, remote)
        self.entries.append(AuditEntry(actor, action, target, before, after, remote))
        return entry

    def actions(self) -> list[str]:
        return [e.action for e in self.entries]


@dataclass
class Written:
    """Operation-log rows each mutating request wrote: (method, route, status, rows, actions)."""

    requests: list[tuple[str, str, int, int, list[str]]] = field(default_factory=list)


async def _rows(db: Database) -> list[OperationLog]:
    async with db.read() as s:
        return list((await s.exec(select(OperationLog).order_by(OperationLog.id))).all())


def _counting(db: Database, written: Written) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def count(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                    ) -> web.StreamResponse:
        if request.method not in MUTATING:
            return await handler(request)
        before = len(await _rows(db))
        try:
            response = await handler(request)
            status = response.status
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            after = await _rows(db)
            route = request.match_info.route.resource.canonical if request.match_info.route.resource else "?"
            written.requests.append((request.method, route, locals().get("status", 500), len(after) - before,
                                     [r.action for r in after[before:]]))
        return response

    return count


async def _api(db: Database, aiohttp_client: Any, written: Written) -> tuple[Any, Any, RecordingNotifier,
                                                                              RealAuditor, web.Application]:
    town = await build_town(db)
    auditor = RealAuditor(db, town.clock)
    notifier = RecordingNotifier()
    app = create_admin_app(Tokens(), [facility_views.router, booking_views.router],
                           context=AdminContext(db, town.clock, auditor=auditor, booking_notices=notifier))
    app.middlewares.insert(0, _counting(db, written))  # outermost: it sees the error middleware's answers
    return await aiohttp_client(app), town, notifier, auditor, app


BOOKING = [getattr(booking_scenarios, n) for n in dir(booking_scenarios) if n.startswith("test_")]
FACILITY = [getattr(facility_scenarios, n) for n in dir(facility_scenarios) if n.startswith("test_")]


async def _replay(tmp_path: Path, template: Path, cipher: FieldCipher, aiohttp_client: Any,
                  scenario: Callable[..., Awaitable[None]], written: Written) -> web.Application:
    db = Database(_sqlite_copy(template, tmp_path / f"{scenario.__name__}.db"), cipher)
    try:
        client, town, notifier, auditor, app = await _api(db, aiohttp_client, written)
        if scenario in BOOKING:
            await scenario((client, town, notifier, auditor))
        elif scenario.__name__ == "test_thumbnail_and_guide_urls_must_be_https":
            await scenario((client, town, auditor), "http://example.jp/thumb.png")
        else:
            await scenario((client, town, auditor))
        await client.close()
        return app
    finally:
        await db.dispose()


async def _facility_settings(send: Callable[..., Awaitable[Any]], fid: int) -> list[str]:
    """An area, a unit, a frame, a fee, equipment, a purpose and a closed day of facility ``fid``, each made and
    (but the last) changed through ``send(method, path, body)``; returns the paths that delete them."""
    area = (await send("POST", f"/facilities/{fid}/areas", {"code": "east", "name": "東"}))["id"]
    await send("PATCH", f"/areas/{area}", {"name": "東側"})
    unit = (await send("POST", f"/facilities/{fid}/units", {"code": "lane", "name": "1コース"}))["id"]
    await send("PATCH", f"/units/{unit}", {"name": "第1コース"})
    frame = (await send("POST", f"/facilities/{fid}/frames", {"time": "9:00-11:00", "label": "午前"}))["id"]
    await send("PATCH", f"/frames/{frame}", {"label": "朝"})
    fee = (await send("POST", f"/units/{unit}/fees", {"resident_type": "outside", "per_hour": 600}))["id"]
    await send("PATCH", f"/fees/{fee}", {"per_hour": 700})
    item = (await send("POST", f"/facilities/{fid}/equipment", {"code": "board", "name": "ビート板", "quantity": 30,
                                                                "unit_label": "枚"}))["id"]
    await send("PATCH", f"/equipment/{item}", {"quantity": 20})
    purpose = (await send("POST", f"/facilities/{fid}/purposes", {"name": "水泳教室"}))["id"]
    await send("PATCH", f"/purposes/{purpose}", {"name": "水泳教室（初級）"})
    day = (await send("POST", "/calendar-days", {"facility_id": fid, "day": "2026-12-28", "kind": "closed"}))["id"]
    return [f"/calendar-days/{day}", f"/purposes/{purpose}", f"/equipment/{item}", f"/fees/{fee}", f"/frames/{frame}",
            f"/units/{unit}", f"/areas/{area}"]


async def _extra_routes(tmp_path: Path, template: Path, cipher: FieldCipher, aiohttp_client: Any,
                        written: Written) -> None:
    """Valid requests for the routes no replayed scenario changes anything through."""
    db = Database(_sqlite_copy(template, tmp_path / "extra.db"), cipher)
    try:
        client, town, _, _, _ = await _api(db, aiohttp_client, written)

        async def ok(method: str, path: str, body: Any = None) -> Any:
            r = await client.request(method, path, json=body, headers=MANAGER)
            assert r.status < 300, (method, path, r.status, await r.text())
            return await r.json() if r.content_type == "application/json" else None

        fid = (await ok("POST", "/facilities", {"code": "pool", "name": "町民プール", "category": "pool"}))["id"]
        for path in await _facility_settings(ok, fid):
            await ok("DELETE", path)
        booker = (await ok("POST", "/bookers", {"channel_user_id": "U8", "name": "みどりFC",
                                                 "resident_type": "resident"}))["id"]
        await ok("PATCH", f"/bookers/{booker}", {"name": "みどりフットボールクラブ"})
        member = citizen("U5", attributes=frozenset({"registered_group"}))
        made = await BookingService(town.db, town.clock).reserve(
            town.request("gym.event", purpose="大会・行事", activity="町内大会"), member)
        [pending] = (await (await client.get("/bookings", params={"q": made.number}, headers=MANAGER)).json())["items"]
        await ok("POST", f"/bookings/{pending['id']}/reject", {"reason": "同日に町の行事があるため"})
        await client.close()
    finally:
        await db.dispose()


async def test_every_facility_and_booking_change_writes_exactly_one_entry(
        tmp_path: Path, sqlite_template: Path, cipher: FieldCipher, aiohttp_client: Any) -> None:
    written = Written()
    app: web.Application | None = None
    for scenario in BOOKING + FACILITY:
        app = await _replay(tmp_path, sqlite_template, cipher, aiohttp_client, scenario, written)
    await _extra_routes(tmp_path, sqlite_template, cipher, aiohttp_client, written)
    assert app is not None
    wrong = [(m, route, status, n, actions) for m, route, status, n, actions in written.requests
             if n != (1 if status < 300 and (m, route) not in NOT_CHANGING else 0)]
    assert wrong == [], "each successful change writes one entry, each refused request none"
    changed = {(m, route) for m, route, status, _, _ in written.requests if status < 300}
    mutating = {(op.method, re.sub(r"\{(\w+):[^}]+\}", r"{\1}", op.path)) for op in app[OPERATIONS] if op.method in MUTATING} - NOT_CHANGING
    missing = sorted(mutating - changed)
    assert missing == [], f"not exercised: {missing}"


#: POSTs that change nothing (a quote, a preview): no entry, by design.
NOT_CHANGING = {("POST", "/bookings/quote")}


async def test_a_facility_created_once_is_logged_once(
        tmp_path: Path, sqlite_template: Path, cipher: FieldCipher, aiohttp_client: Any) -> None:
    written = Written()
    db = Database(_sqlite_copy(sqlite_template, tmp_path / "one.db"), cipher)
    try:
        client, _, _, _, _ = await _api(db, aiohttp_client, written)
        r = await client.post("/facilities", json={"code": "pool", "name": "町民プール", "category": "pool"},
                              headers=MANAGER)
        assert r.status == 201
        rows = await _rows(db)
        assert [(e.action, e.target_type, e.staff_login) for e in rows] == [("facility.create", "facility", "kanri")]
        assert rows[0].before is None and '"name": "町民プール"' in (rows[0].after or "")
        r = await client.post("/facilities", json={"code": "pool", "name": "町民プール", "category": "pool"},
                              headers=MANAGER)
        assert r.status == 409 and len(await _rows(db)) == 1  # refused: nothing logged
        async with db.read() as s:
            assert (await s.exec(select(func.count()).select_from(OperationLog))).one() == 1
        await client.close()
    finally:
        await db.dispose()


async def test_scenario_and_faq_changes_are_logged_once_in_their_transaction(
        monkeypatch: Any, sqlite_db: Database, aiohttp_client: Any) -> None:
    """The scenario and FAQ views relied on the framework's safety net (an entry in a transaction of its own,
    named after the handler): now each change writes its entry with the change, with before/after."""
    from civic.clock import FrozenClock
    from tests.dialogues import test_faq_views as faq_tests
    from tests.dialogues import test_scenarios as scenario_tests

    written = Written()
    auditor = RealAuditor(sqlite_db, FrozenClock(scenario_tests.NOW))
    apps: list[web.Application] = []

    def admin_app(tokens: Any, routers: Any, **kw: Any) -> web.Application:
        app = create_admin_app(tokens, routers, auditor=auditor, **kw)
        app.middlewares.insert(0, _counting(sqlite_db, written))
        apps.append(app)
        return app

    monkeypatch.setattr(scenario_tests, "create_admin_app", admin_app)
    monkeypatch.setattr(faq_tests, "create_admin_app", admin_app)
    await scenario_tests.test_admin_api(aiohttp_client, sqlite_db)
    client = await aiohttp_client(apps[0])
    r = await client.post("/scenarios", headers={"Authorization": "Bearer editor"}, json={
        "key": "pets", "title": "ペットの登録", "start": "root", "nodes": {"root": {"messages": ["犬の登録は住民課です。"]}}})
    assert r.status == 201, await r.text()
    for step in ("publish", "unpublish"):
        r = await client.post(f"/scenarios/{(await r.json())['id']}/{step}", headers={"Authorization": "Bearer chief"})
        assert r.status == 200, await r.text()
    await faq_tests.test_stats_answers_and_unanswered(aiohttp_client, sqlite_db)

    wrong = [(m, route, status, n, actions) for m, route, status, n, actions in written.requests
             if n != (1 if status < 300 else 0)]
    assert wrong == [], "each successful change writes one entry, each refused request none"
    assert auditor.actions() == ["scenarios.import", "scenarios.publish", "scenarios.update", "scenarios.delete",
                                 "scenarios.create", "scenarios.publish", "scenarios.unpublish", "faq.resolve"]
    [update] = [e for e in await _rows(sqlite_db) if e.action == "scenarios.update"]
    before, after = json.loads(update.before or "{}"), json.loads(update.after or "{}")
    assert before["published_version"] == 1 and not before["unpublished_changes"] and after["unpublished_changes"]
    assert (update.target_type, update.target_id, update.staff_login) == ("scenario", str(before["id"]), "sato")
    mutating = {(op.method, re.sub(r"\{(\w+):[^}]+\}", r"{\1}", op.path)) for app in apps for op in app[OPERATIONS]
                if op.method in MUTATING}
    changed = {(m, route) for m, route, status, _, _ in written.requests if status < 300}
    assert sorted(mutating - changed) == []


# ---- the whole service: every mutating route of its OpenAPI document ------------------------------------------


@dataclass
class Whole:
    app: web.Application
    client: Any
    town: Any
    settings: Any


@pytest.fixture
async def whole(aiohttp_client: Any, sqlite_db: Database, knowledge: Any, monkeypatch: Any) -> AsyncIterator[Whole]:
    """The service as ``serve`` builds it (every router, the real ``Auditor``), both LINE accounts played by
    linesim, on the booking tests' town, with cheap password hashing."""
    from argon2 import PasswordHasher

    from bot.service import build_service
    from bot.settings import LineAccount
    from civic.staff import passwords
    from linesim.driver import run_linesim
    from tests.bot.helpers import make_settings
    from tests.richmenus.line_view import CHANNELS, sim_config

    monkeypatch.setattr(passwords, "PasswordHasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    async with run_linesim(sim_config()) as sim:
        accounts = {name: LineAccount(name, secret, token, sim.url, sim.url) for name, (secret, token) in CHANNELS.items()}
        settings = make_settings(sqlite_db.url, api_base_url=sim.url, line=accounts["production"],
                                 test_line=accounts["test"])
        town = await build_town(sqlite_db)
        app = build_service(settings, knowledge=knowledge, clock=town.clock)
        yield Whole(app, await aiohttp_client(app), town, settings)


#: POSTs of the service that change nothing (a quote, previews): no entry, by design.
PREVIEWS = {("POST", "/bookings/quote"), ("POST", "/richmenus/preview"), ("POST", "/segments/preview"),
            ("POST", "/mail-rules/{rule_id}/preview"), ("POST", "/mail-rules/preview"),
            ("POST", "/recommendations/preview")}
#: Changes with no "before" (an action on a thing rather than an edit of it) although not a creation.
NO_BEFORE = {("POST", "/auth/login"), ("POST", "/auth/logout"), ("POST", "/auth/password"),
             ("POST", "/staff/{staff_id}/password"), ("POST", "/staff/{staff_id}/unlock"),
             ("POST", "/auth/two-factor/setup"), ("POST", "/auth/two-factor/enable"),
             ("POST", "/auth/two-factor/recovery-codes"),
             ("POST", "/procedures/counter/open"), ("POST", "/calendar-days/import"), ("POST", "/deliveries/import"),
             ("POST", "/deliveries/runs/{run_id}/retry"), ("POST", "/mails"), ("POST", "/scenarios/import"),
             ("POST", "/faq/import"), ("POST", "/garbage/import"),
             # which of a citizen's attributes staff set, never the values (personal data): no before
             ("PUT", "/citizens/{citizen_id}/attributes"),
             # an erasure logs row counts per table, never what was erased (personal data): no before
             ("DELETE", "/citizens/{citizen_id}")}


async def test_every_mutating_route_of_the_service_writes_one_entry_in_its_transaction(
        whole: Whole, monkeypatch: Any) -> None:
    """Every POST/PUT/PATCH/DELETE of the service's OpenAPI document, driven once with a valid request through
    the real ``Auditor``: exactly one ``operation_log`` row, written by the route in the change's transaction
    (never by the framework's safety net), with before/after where the change has them."""
    from admin_api import routing
    from admin_api.app import PREFIX
    from bot.appkeys import CLOCK, DATABASE
    from civic.citizens.models import Citizen
    from civic.deliveries.models import Delivery, DeliveryBatch, DeliveryRun
    from civic.faq.models import UnansweredQuestion
    from civic.procedures.household import Address, Household, Person
    from civic.procedures.payload import QrKeyring, Ticket
    from civic.reports.services import submit_report
    from civic.staff.services import create_staff
    from tests.admin_api.test_audit_routes import _png
    from tests.deliveries.test_mail import iso2022jp
    from tests.richmenus.conftest import TILES

    app, client, town = whole.app, whole.client, whole.town
    db, clock = app[DATABASE], app[CLOCK]
    by_framework: list[tuple[str, str]] = []
    original_fallback = routing._audit_fallback

    async def fallback(op: Any, call: Any) -> None:
        by_framework.append((op.method, op.path))
        await original_fallback(op, call)

    monkeypatch.setattr(routing, "_audit_fallback", fallback)
    original_record = Auditor.record

    async def record(self: Auditor, session: AsyncSession, *args: Any, **kw: Any) -> OperationLog:
        assert session.in_transaction(), "the log entry is written in a transaction"
        return await original_record(self, session, *args, **kw)

    monkeypatch.setattr(Auditor, "record", record)

    document = await (await client.get(f"{PREFIX}/openapi.json")).json()
    mutating = {(m.upper(), path.removeprefix(PREFIX)) for path, ops in document["paths"].items() for m in ops
                if m.upper() in MUTATING} - PREVIEWS
    await create_staff(db, clock, "kanri", "staff-pass-2026", "管理", "admin")
    login = await client.post(f"{PREFIX}/auth/login", json={"login": "kanri", "password": "staff-pass-2026"})
    auth = {"Authorization": f"Bearer {(await login.json())['token']}"}
    done: dict[tuple[str, str], OperationLog] = {}

    async def call(method: str, path: str, json: Any = None, *, data: bytes | None = None,
                   content_type: str | None = None, headers: dict[str, str] | None = None, expect: int | None = None,
                   params: dict[str, str] | None = None) -> Any:
        before = len(await _rows(db))
        sent = {**(auth if headers is None else headers), **({"Content-Type": content_type} if content_type else {})}
        r = await client.request(method, PREFIX + path, json=json, data=data, headers=sent, params=params)
        assert (r.status == expect) if expect else r.status < 300, (method, path, r.status, await r.text())
        written = (await _rows(db))[before:]
        route = r.request_info.url.path  # matched below against the document's templates
        template = next((t for m, t in mutating | PREVIEWS if m == method and re.fullmatch(
            re.sub(r"\\\{\w+\\\}", r"[^/]+", re.escape(t)), route.removeprefix(PREFIX))), route)
        assert len(written) == 1, f"{method} {template} wrote {[e.action for e in written]}"
        done[(method, template)] = written[0]
        return await r.json() if r.content_type == "application/json" else None

    # staff, roles, sign-in
    role = await call("POST", "/roles", {"key": "kouhou", "name": "広報担当", "permissions": ["stats.read"]})
    await call("PATCH", f"/roles/{role['id']}", {"name": "広報"})
    staff = await call("POST", "/staff", {"login": "sato", "display_name": "佐藤", "password": "kunitomi pw 1",
                                          "role_id": role["id"]})
    await call("PATCH", f"/staff/{staff['id']}", {"display_name": "佐藤 一郎", "role_id": 5})
    await call("POST", f"/staff/{staff['id']}/password", {"password": "another password"})
    await call("POST", f"/staff/{staff['id']}/unlock")
    await call("DELETE", f"/roles/{role['id']}")
    await create_staff(db, clock, "etsuran", "staff-pass-2026", "閲覧", "viewer")
    token = (await (await client.post(f"{PREFIX}/auth/login", json={"login": "etsuran", "password": "staff-pass-2026"}
                                      )).json())["token"]
    viewer = {"Authorization": f"Bearer {token}"}
    await call("POST", "/auth/password", {"current_password": "staff-pass-2026", "new_password": "a new pw 2026"},
               headers=viewer)
    await call("POST", "/auth/logout", headers=viewer)
    await call("POST", "/auth/login", {"login": "etsuran", "password": "a new pw 2026"}, headers={})
    # two-factor sign-in: set up, new recovery codes, turn off; a reset by an administrator; a role requiring it
    secret = (await call("POST", "/auth/two-factor/setup"))["secret"]
    totp = pyotp.TOTP(secret)
    await call("POST", "/auth/two-factor/enable", {"code": totp.at(clock.now())})
    codes = await call("POST", "/auth/two-factor/recovery-codes",
                       {"code": totp.at(clock.now() + timedelta(seconds=30))})
    # the town's clock stands still and each app code is good once: a recovery code turns it off
    await call("POST", "/auth/two-factor/disable", {"code": codes["recovery_codes"][0]})
    await call("POST", f"/staff/{staff['id']}/two-factor/reset")
    viewer_role = next(r for r in await (await client.get(f"{PREFIX}/roles", headers=auth)).json() if r["key"] == "viewer")
    await call("PUT", f"/roles/{viewer_role['id']}/two-factor", {"required": False})

    # rich menus
    group = await call("POST", "/richmenu-groups", {"name": "町のメニュー"})
    await call("PATCH", f"/richmenu-groups/{group['id']}", {"name": "みどり町メニュー"})
    menu = await call("POST", "/richmenus", {"name": "メイン", "chat_bar_text": "メニュー", "group_id": group["id"],
                                             "tab_label": "メニュー", "layout": {"tiles": TILES}})
    await call("PATCH", f"/richmenus/{menu['id']}", {"chat_bar_text": "町の窓口"})
    own = await call("POST", "/richmenus", {"name": "自作", "chat_bar_text": "自作", "size": {"width": 2500, "height": 843},
                                            "areas": [{"bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                                                       "action": {"type": "message", "text": "こんにちは"}}]})
    await call("PUT", f"/richmenus/{own['id']}/image", data=_png(), content_type="image/png")
    for account in ("test", "production"):
        await call("PUT", f"/richmenu-accounts/{account}/targets", {"default_menu_id": menu["id"]})
        await call("POST", f"/richmenu-accounts/{account}/publish")
        await call("POST", f"/richmenu-accounts/{account}/retry")
        await call("POST", f"/richmenu-accounts/{account}/releases/1/rollback")
    await call("POST", "/richmenu-accounts/production/promote")
    await call("DELETE", f"/richmenus/{own['id']}")
    empty = await call("POST", "/richmenu-groups", {"name": "空"})
    await call("DELETE", f"/richmenu-groups/{empty['id']}")

    # facilities and their settings
    fid = (await call("POST", "/facilities", {"code": "pool", "name": "町民プール", "category": "pool"}))["id"]
    await call("PATCH", f"/facilities/{fid}", {"name": "町民温水プール"})
    await call("PUT", f"/facilities/{fid}/hours", {"weekday": "9:00-21:00"})
    settings = await _facility_settings(call, fid)
    await call("POST", "/calendar-days/import", data="日付,施設コード,室場コード,区分,時間帯,理由\r\n2026-12-29,pool,,closed,,年末\r\n"
               .encode(), content_type="text/csv")
    for path in [*settings, f"/facilities/{fid}"]:
        await call("DELETE", path)

    # bookings, waitlist, bookers
    booking = await call("POST", "/bookings", booking_scenarios.proxy_body(town))
    await call("PATCH", f"/bookings/{booking['id']}", {"time": "13:00-17:00", "reason": "午前は点検のため"})
    await call("POST", f"/bookings/{booking['id']}/cancel", {"reason": "大会のため"})
    group_member = citizen("U5", attributes=frozenset({"registered_group"}))
    svc = app_bookings(app)
    for number, step in ((0, "approve"), (1, "reject")):
        made = await svc.reserve(town.request("gym.event", day=date(2026, 12, 12 + 7 * number), purpose="大会・行事",
                                              activity="町内大会"), group_member)
        [pending] = (await (await client.get(f"{PREFIX}/bookings", params={"q": made.number}, headers=auth)
                            ).json())["items"]
        await call("POST", f"/bookings/{pending['id']}/{step}", {"reason": "同日に町の行事があるため"} if number else None)
    taken = await svc.reserve(town.request("gym.half-a", day=date(2026, 12, 20)), citizen("U6"))
    assert getattr(taken, "number", None), taken
    await svc.join_waitlist(town.request("gym.half-a", day=date(2026, 12, 20)), citizen("U7"))
    [entry] = await (await client.get(f"{PREFIX}/waitlist", headers=auth)).json()
    await call("POST", f"/waitlist/{entry['id']}/cancel")
    booker = await call("POST", "/bookers", {"channel_user_id": "U8", "name": "みどりFC", "resident_type": "resident"})
    await call("PATCH", f"/bookers/{booker['id']}", {"name": "みどりフットボールクラブ"})
    await call("DELETE", f"/bookers/{booker['id']}")

    # attributes, forms, a citizen's settings, segments
    await call("POST", "/attributes", {"key": "club", "label": "クラブ", "kind": "single",
                                       "choices": [{"value": "go", "label": "囲碁"}]})
    await call("PATCH", "/attributes/club", {"label": "所属クラブ"})
    form = await call("POST", "/forms", {"key": "club_survey", "title": "クラブ調査",
                                         "items": [{"attribute": "club", "required": True}]})
    await call("PATCH", f"/forms/{form['id']}", {"title": "所属クラブの調査"})
    await call("DELETE", f"/forms/{form['id']}")
    async with db.write() as s:
        person = Citizen(channel_user_id="U" + "c" * 32, is_friend=True, followed_at=clock.now(), created_at=clock.now())
        s.add(person)
        await s.flush()
        citizen_id = person.id
    await call("PUT", f"/citizens/{citizen_id}/attributes", {"values": {"club": "go"}})
    segment = await call("POST", "/segments", {"name": "囲碁", "filter": {"type": "choice", "attribute": "club",
                                                                         "values": ["go"]}})
    await call("PATCH", f"/segments/{segment['id']}", {"name": "囲碁クラブ"})
    await call("DELETE", f"/segments/{segment['id']}")
    rule = await call("POST", "/recommendations", {"title": "囲碁教室", "filter": {"type": "choice", "attribute": "club",
                                                                              "values": ["go"]}})
    await call("PATCH", f"/recommendations/{rule['id']}", {"title": "囲碁教室のご案内"})
    await call("DELETE", f"/recommendations/{rule['id']}")

    # deliveries and mail
    text = [{"type": "text", "text": "秋祭りのお知らせです。"}]
    delivery = await call("POST", "/deliveries", {"title": "秋祭り", "messages": text, "timing": "draft"})
    await call("PUT", f"/deliveries/{delivery['id']}", {"title": "秋祭り（改）", "messages": text, "timing": "draft"})
    await call("POST", f"/deliveries/{delivery['id']}/test")
    await call("POST", f"/deliveries/{delivery['id']}/cancel")
    await call("POST", "/deliveries/import", data="タイトル,本文,繰り返し,時刻,開始日\r\nA,本文,毎週 月,7:00,2026-12-01\r\n".encode(),
               content_type="text/csv")
    now = clock.now()
    async with db.write() as s:
        sent = Delivery(title="済", messages='[{"type": "text", "text": "済"}]', target="all", timing="now",
                        status="finished", created_by="kanri", created_at=now, updated_at=now)
        s.add(sent)
        await s.flush()
        run = DeliveryRun(delivery_id=sent.id, due_at=now, status="done", channel="production", key_seed="k-1",
                          messages=sent.messages,
                          targeted=1, succeeded=0, created_at=now)
        s.add(run)
        await s.flush()
        s.add(DeliveryBatch(run_id=run.id, number=0, recipients='["U1"]', size=1, retry_key="r-1", status="failed",
                            error="LINE が 500 を返しました"))
        run_id = run.id
    await call("POST", f"/deliveries/runs/{run_id}/retry")
    rule = await call("POST", "/mail-rules", {"name": "防災", "sender": "@town.midori.example.jp", "needs_approval": True})
    await call("PUT", f"/mail-rules/{rule['id']}", {"name": "防災メール", "sender": "@town.midori.example.jp",
                                                     "needs_approval": True})
    mail = await call("POST", "/mails", data=iso2022jp(message_id="<held>"), content_type="message/rfc822")
    await call("POST", f"/deliveries/{mail['delivery_id']}/approve")
    await call("DELETE", f"/mail-rules/{rule['id']}")

    # reports, FAQ, scenarios, procedures
    async with db.write() as s:
        report = await submit_report(s, category="road_surface", description="穴があいています", latitude=35.679,
                                     longitude=139.763, address="本町1丁目", reporter="U1", photo_id=None, now=now)
        question = UnansweredQuestion(question="犬の登録はどこで？", channel="line", at=now)
        s.add(question)
        await s.flush()
        report_id, question_id = report.id, question.id
    await call("POST", f"/reports/{report_id}/status", {"status": "in_progress", "note": "明日補修します"})
    await call("PUT", f"/reports/{report_id}/publication", {})
    await call("DELETE", f"/reports/{report_id}/publication")
    await call("PUT", f"/reports/{report_id}/department", {"department": "土木課"})
    await call("POST", f"/faq/unanswered/{question_id}", {"status": "answered", "note": "FAQ に追加しました"})
    # the FAQ and the garbage dictionary edited live (issue #16)
    from tests.admin_api.test_content_api import multipart
    entry = await call("POST", "/faq/entries", {"question": "犬の登録はどこでできますか", "answer": "住民課です。",
                                                 "status": "published"})
    await call("PATCH", f"/faq/entries/{entry['id']}", {"answer": "環境課です。"})
    await call("DELETE", f"/faq/entries/{entry['id']}")
    await call("POST", "/faq/import", data="question,answer\r\n猫の登録は,ありません\r\n".encode(), content_type="text/csv")
    body, ctype = multipart({"target": "label,name\r\n燃やすごみ,紙くず\r\n".encode(), "mode": "merge"})
    await call("POST", "/garbage/import", data=body, content_type=ctype)
    item = await call("POST", "/garbage/items", {"name": "割りばし", "category": "燃やすごみ"})
    await call("PATCH", f"/garbage/items/{item['id']}", {"notes": "短く折ってください"})
    await call("DELETE", f"/garbage/items/{item['id']}")
    # categories and collection areas and days as forms (issue #16)
    await call("POST", "/garbage/categories", {"label": "小型家電", "description": "回収箱へ。"})
    await call("PATCH", "/garbage/categories/小型家電", {"label": "小型家電製品"})
    await call("POST", "/garbage/areas", {"name": "みどり台", "days": {"燃やすごみ": "月 木", "小型家電製品": "土2"}})
    await call("PATCH", "/garbage/areas/みどり台", {"days": {"燃やすごみ": "火 金"}})
    await call("DELETE", "/garbage/areas/みどり台")
    await call("DELETE", "/garbage/categories/小型家電製品")
    # the 手続きナビ trees (issue #16): a draft saved, then published; another life event deleted
    tree = (Path(__file__).parents[2] / "content/midori/procedures/events/shomei.yaml").read_text(encoding="utf-8")
    await call("PUT", "/procedures/events/shomei/draft", {"source": tree.replace("どの証明書", "どちらの証明書", 1)})
    await call("POST", "/procedures/events/shomei/publish")
    await call("DELETE", "/procedures/events/shibou")
    # response templates of road-damage reports (issue #16)
    reply = await call("POST", "/reports/templates", {"status": "done", "title": "仮補修", "text": "応急の補修を行いました。"})
    await call("PATCH", f"/reports/templates/{reply['id']}", {"sort_order": 5})
    await call("DELETE", f"/reports/templates/{reply['id']}")
    async with db.write() as s:
        other = UnansweredQuestion(question="ドローンは飛ばせますか", channel="line", at=now)
        s.add(other)
        await s.flush()
        other_id = other.id
    await call("POST", "/faq/unanswered/groups/resolve", {"question_ids": [other_id], "action": "dismiss"})
    # NLU examples (issue #16): added, removed, Rasa YAML in, a retrain (judged on the held-back part)
    example = await call("POST", "/nlu/examples", {"intent": "procedure_nav", "text": "住所が変わったらどうすればいい"})
    await call("DELETE", f"/nlu/examples/{example['id']}")
    await call("POST", "/nlu/import", {"yaml": "nlu:\n- intent: greet\n  examples: |\n"
                                               + "".join(f"    - {t}\n" for t in ("こんにちは", "おはよう", "こんばんは", "どうも", "やあ"))
                                               + "- intent: thanks\n  examples: |\n"
                                               + "".join(f"    - {t}\n" for t in ("ありがとう", "助かりました", "どうもありがとう",
                                                                                   "感謝します", "ありがとうございます"))})
    await call("POST", "/nlu/retrain")
    tree = {"title": "ペットの登録", "start": "root", "nodes": {"root": {"messages": ["犬の登録は住民課です。"]}}}
    scenario = await call("POST", "/scenarios", {"key": "pets", **tree})
    await call("PUT", f"/scenarios/{scenario['id']}", {**tree, "title": "犬の登録"})
    await call("POST", f"/scenarios/{scenario['id']}/publish")
    await call("POST", f"/scenarios/{scenario['id']}/unpublish")
    await call("DELETE", f"/scenarios/{scenario['id']}")
    await call("POST", "/scenarios/import", {"yaml": "key: cats\ntitle: 猫\nstart: root\nnodes:\n  root:\n"
                                                     "    messages: [猫の登録はありません。]\n"})
    window = {"starts_at": (now + timedelta(days=1)).isoformat(), "ends_at": (now + timedelta(days=1, hours=2)).isoformat(),
              "message": "点検のため停止します。"}
    await call("PUT", "/maintenance", window)
    await call("PUT", "/maintenance", {**window, "message": "点検のため予約を停止します。"})  # the second has a before
    await call("DELETE", "/maintenance")
    keys = QrKeyring(whole.settings.qr_key_bytes())
    household = Household((Person("山田\u3000花子", "ヤマダ\u3000ハナコ", date(1990, 1, 1), "女", "世帯主"),),
                          (Address("current", "8390901", "福岡県みどり郡みどり町中央", "1番地"),))
    sealed = keys.seal(Ticket("shomei", (171,), {"kind": "jumin"}, household, now))
    await call("POST", "/procedures/counter/open", {"texts": [sealed]})

    # hand-overs (有人チャット, issue #17)
    from civic.handover import services as handovers
    async with db.write() as s:
        handover, _ = await handovers.request(s, "U" + "h" * 32, channel="production", now=now)
        handover_id = handover.id
    await call("POST", f"/handovers/{handover_id}/assign")
    await call("POST", f"/handovers/{handover_id}/messages", {"text": "お待たせしました。"})
    await call("POST", f"/handovers/{handover_id}/transfer", {"department": "住民課"})
    await call("POST", f"/handovers/{handover_id}/close")
    await call("POST", "/handovers/stream-ticket")
    template = await call("POST", "/handover-templates", {"title": "あいさつ", "text": "お問い合わせありがとうございます。"})
    await call("PUT", f"/handover-templates/{template['id']}", {"title": "あいさつ", "text": "ありがとうございます。"})
    await call("DELETE", f"/handover-templates/{template['id']}")

    # an image for deliveries; a citizen erased on request (the first call only asks for confirmation)
    await call("POST", "/images", data=_png(1200, 800), content_type="image/png")
    asked = await client.delete(f"{PREFIX}/citizens/{citizen_id}", headers=auth)
    assert asked.status == 428
    await call("DELETE", f"/citizens/{citizen_id}", params={"confirm": (await asked.json())["confirm"]})
    # 防災モード (issue #22): the switch, the menus prepared for it, a shelter
    await call("PUT", "/disaster-mode", {"mode": "alert", "reason": "大雨警報", "confirm": True})
    await call("PUT", "/disaster-mode/menus/disaster/production", {"default_menu_id": None})
    async with db.write() as s:
        from civic.disaster.content import seed_shelters
        [shelter_id] = await seed_shelters(s, [{"code": "shelter-x", "name": "避難所", "location": [35.0, 135.0],
                                                "capacity": 10}], now)
    await call("PUT", f"/shelters/{shelter_id}", {"state": "open", "occupancy": 3})
    await call("POST", "/shelters/import", data=("code,name,latitude,longitude\r\nshelter-y,避難所Y,35.0,135.0\r\n")
               .encode(), content_type="text/csv")
    # 安否確認 (issue #22): sent (an urgent delivery), then closed
    check = await call("POST", "/safety-checks", {"title": "安否確認", "question": "状況を教えてください。"})
    await call("POST", f"/safety-checks/{check['id']}/close")

    assert sorted(mutating - set(done)) == [], "every mutating route of the document is driven"
    assert by_framework == [], "each route writes its own entry in its transaction, not the framework's safety net"
    missing = [(m, t, e.action) for (m, t), e in done.items()
               if (m in ("PATCH", "PUT") or m == "DELETE") and (m, t) not in NO_BEFORE
               and e.before is None]
    missing += [(m, t, e.action) for (m, t), e in done.items() if m in ("POST", "PUT", "PATCH")
                and (m, t) not in NO_BEFORE and e.after is None]
    assert missing == [], "before/after where the change has them"


def app_bookings(app: web.Application) -> Any:
    from bot.appkeys import BOOKING

    return app[BOOKING]
