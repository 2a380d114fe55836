"""Views take their dependencies from the ``AdminContext`` on the call (one key of the admin app); a dependency
the service did not wire is a polite 503 naming the feature, never a 500, and logs nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import select

from admin_api import procedure_views, stats_views
from admin_api.app import create_admin_app
from admin_api.auth import Principal
from admin_api.context import AdminContext
from admin_api.keys import ADMIN_CONTEXT
from civic.clock import FrozenClock
from civic.database import Database
from civic.staff.audit import Auditor
from civic.staff.models import OperationLog

NOW = datetime(2026, 12, 1, 1, tzinfo=UTC)


class Tokens:
    async def authenticate(self, token: str, *, remote: str | None) -> Principal | None:
        return {"counter": Principal(2, "counter", "窓口", frozenset({"procedures.counter"})),
                "stats": Principal(3, "stats", "集計担当", frozenset({"stats.read"}))}.get(token)


async def test_the_context_is_one_key_and_a_missing_dependency_is_a_503(aiohttp_client: Any, sqlite_db: Database
                                                                          ) -> None:
    clock = FrozenClock(NOW)
    context = AdminContext(sqlite_db, clock, auditor=Auditor(sqlite_db, clock))  # no QR keys, no LINE insight
    app = create_admin_app(Tokens(), [procedure_views.router, stats_views.router], context=context)
    assert app[ADMIN_CONTEXT] is context and context.bookings.db is sqlite_db  # the booking service, built once
    client = await aiohttp_client(app)
    r = await client.post("/procedures/counter/open", json={"texts": ["x"]}, headers={"Authorization": "Bearer counter"})
    body = await r.json()
    assert r.status == 503 and body["error"]["message"] == "窓口での二次元コードの読み取りはこのサービスでは利用できません。"
    async with sqlite_db.read() as s:
        assert (await s.exec(select(OperationLog))).all() == []
    r = await client.get("/stats/line/followers", params={"day": "2026-11-30"}, headers={"Authorization": "Bearer stats"})
    body = await r.json()
    assert r.status == 200 and body["available"] is False and body["message"] == stats_views.NO_LINE
    only_auditor = create_admin_app(Tokens(), [procedure_views.router], auditor=Auditor(sqlite_db, clock))
    assert only_auditor[ADMIN_CONTEXT].db is sqlite_db and only_auditor[ADMIN_CONTEXT].clock is clock
