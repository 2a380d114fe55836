"""Response templates of road-damage reports (回答テンプレート, issue #16), on SQLite and PostgreSQL: seeded with
the texts the console had built in, listed per status, added, changed and deleted by staff holding
``reports.templates`` (one audit entry each), read by anyone with ``reports.read``."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, select

from admin_api import report_views
from admin_api.app import create_admin_app
from admin_api.auth import Principal
from admin_api.context import AdminContext
from civic.clock import FrozenClock
from civic.database import Database
from civic.reports import templates
from civic.reports.models import ReportTemplate
from civic.staff.audit import Auditor
from civic.staff.models import OperationLog
from civic.staff.permissions import BUILTIN_ROLES, grants

NOW = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
ADMIN = {"Authorization": "Bearer admin"}
HANDLER = {"Authorization": "Bearer handler"}


class Tokens:
    async def authenticate(self, token: str, *, remote: str | None) -> Principal | None:
        return {
            "admin": Principal(1, "kanri", "管理者", frozenset({"*"})),
            "handler": Principal(3, "sato", "建設課 佐藤", frozenset({"reports.read", "reports.manage"})),
        }.get(token)


async def _client(aiohttp_client, db: Database):
    clock = FrozenClock(NOW)
    context = AdminContext(db, clock, auditor=Auditor(db, clock))
    return await aiohttp_client(create_admin_app(Tokens(), [report_views.router], context=context))


async def test_the_migration_seeds_the_texts_the_console_had(sqlite_db: Database) -> None:
    async with sqlite_db.read() as s:
        rows = await templates.listing(s)
    assert [(r.status, r.title, r.text) for r in rows] == sorted(
        templates.DEFAULTS, key=lambda d: (d[0], [x for x in templates.DEFAULTS if x[0] == d[0]].index(d)))
    assert all(r.text.endswith("。") for r in rows)  # polite sentences, as the reporter reads them
    async with sqlite_db.write() as s:
        assert await templates.seed_defaults(s, NOW) == 0  # never twice


async def test_templates_listed_added_changed_and_deleted(aiohttp_client, db: Database) -> None:
    async with db.write() as s:
        await templates.seed_defaults(s, NOW)  # PostgreSQL's tables are emptied between tests
    client = await _client(aiohttp_client, db)
    r = await client.get("/reports/templates", params={"status": "done"}, headers=HANDLER)
    assert r.status == 200
    done = await r.json()
    assert [t["title"] for t in done] == ["補修が完了", "安全のための措置"]
    assert done[0]["text"] == "補修が完了しました。ご連絡ありがとうございました。"

    body = {"status": "done", "title": "仮補修", "text": "応急の補修を行いました。本格的な補修の日程は改めてお知らせします。",
            "sort_order": 1}
    assert (await client.post("/reports/templates", json=body, headers=HANDLER)).status == 403
    r = await client.post("/reports/templates", json=body, headers=ADMIN)
    assert r.status == 201, await r.text()
    new = await r.json()
    r = await client.get("/reports/templates", params={"status": "done"}, headers=HANDLER)
    assert [t["title"] for t in await r.json()] == ["仮補修", "補修が完了", "安全のための措置"]  # by sort_order

    r = await client.patch(f"/reports/templates/{new['id']}", json={"text": "  応急の補修を行いました。  "}, headers=ADMIN)
    assert r.status == 200 and (await r.json())["text"] == "応急の補修を行いました。"
    for bad, where in (({"status": "received"}, "status"), ({"text": "   "}, "text"), ({"title": ""}, "title")):
        r = await client.patch(f"/reports/templates/{new['id']}", json=bad, headers=ADMIN)
        assert r.status == 422 and (await r.json())["error"]["field"] == where, bad
    assert (await client.delete(f"/reports/templates/{new['id']}", headers=HANDLER)).status == 403
    assert (await client.delete(f"/reports/templates/{new['id']}", headers=ADMIN)).status == 204
    assert (await client.delete(f"/reports/templates/{new['id']}", headers=ADMIN)).status == 404
    async with db.read() as s:
        assert await s.get(ReportTemplate, new["id"]) is None
        log = (await s.exec(select(OperationLog).where(col(OperationLog.action).startswith("reports.template."))
                            .order_by(col(OperationLog.id)))).all()
    assert [(e.action, e.target_id) for e in log] == [("reports.template.create", str(new["id"])),
                                                      ("reports.template.update", str(new["id"])),
                                                      ("reports.template.delete", str(new["id"]))]

    spec = await (await client.get("/openapi.json", headers=ADMIN)).json()
    paths = {p.split("/reports", 1)[-1]: ops for p, ops in spec["paths"].items() if "/reports/templates" in p}
    assert paths["/templates"]["get"]["x-permission"] == "reports.read"
    assert paths["/templates"]["post"]["x-permission"] == paths["/templates/{id}"]["patch"]["x-permission"] \
        == paths["/templates/{id}"]["delete"]["x-permission"] == "reports.templates"
    admin = next(r for r in BUILTIN_ROLES if r.key == "admin")
    assert grants(admin.permissions, "reports.templates")
