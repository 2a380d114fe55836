"""Every change a staff member makes writes EXACTLY ONE operation-log entry, in the transaction of the change;
a refused request writes none.

The facility and booking scenarios of ``tests/booking`` and ``tests/facilities`` are replayed against the real
``Auditor`` (rows in ``operation_log``, the one the service wires, both in the routers and the app), with a
middleware counting the rows each request wrote. A recording stand-in without the app's auditor is what hid
the double entries (``facility.create`` and ``facilities.create_facility`` for one facility).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
        area = (await ok("POST", f"/facilities/{fid}/areas", {"code": "east", "name": "東"}))["id"]
        await ok("PATCH", f"/areas/{area}", {"name": "東側"})
        unit = (await ok("POST", f"/facilities/{fid}/units", {"code": "lane", "name": "1コース"}))["id"]
        frame = (await ok("POST", f"/facilities/{fid}/frames", {"time": "9:00-11:00", "label": "午前"}))["id"]
        await ok("PATCH", f"/frames/{frame}", {"label": "朝"})
        fee = (await ok("POST", f"/units/{unit}/fees", {"resident_type": "outside", "per_hour": 600}))["id"]
        await ok("PATCH", f"/fees/{fee}", {"per_hour": 700})
        item = (await ok("POST", f"/facilities/{fid}/equipment", {"code": "board", "name": "ビート板", "quantity": 30,
                                                                   "unit_label": "枚"}))["id"]
        await ok("PATCH", f"/equipment/{item}", {"quantity": 20})
        purpose = (await ok("POST", f"/facilities/{fid}/purposes", {"name": "水泳教室"}))["id"]
        day = (await ok("POST", "/calendar-days", {"facility_id": fid, "day": "2026-12-28", "kind": "closed"}))["id"]
        for path in (f"/calendar-days/{day}", f"/purposes/{purpose}", f"/equipment/{item}", f"/fees/{fee}",
                     f"/frames/{frame}", f"/units/{unit}", f"/areas/{area}"):
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
