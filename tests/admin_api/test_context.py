"""Views take their dependencies from the ``AdminContext`` on the call (one key of the admin app); a dependency
the service did not wire is a polite 503 naming the feature, never a 500, and logs nothing."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path
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


#: The longest a function of ``admin_api`` that registers routes may be (issue #14: no router factory over ~80 lines;
#: views are module-level functions reading ``call.ctx``).
LONGEST_REGISTRAR = 80
_REGISTERING = frozenset({"route", "add_route", "add_get", "add_post", "add_put", "add_patch", "add_delete"})


def long_route_registrars(source: str, name: str = "<module>") -> list[tuple[str, int]]:
    """``(module:function, lines)`` of every function in ``source`` longer than ``LONGEST_REGISTRAR`` lines that
    registers routes (calls ``….route(…)``, ``add_route``, ``add_get`` … anywhere inside it, decorators included)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        registers = any(isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr in _REGISTERING
                        for c in ast.walk(node))
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        if registers and length > LONGEST_REGISTRAR:
            found.append((f"{name}:{node.name}", length))
    return found


def test_no_admin_api_function_that_registers_routes_is_longer_than_80_lines() -> None:
    package = Path(__file__).resolve().parents[2] / "admin_api"
    modules = sorted(package.glob("*.py"))
    assert len(modules) > 20  # the package itself, not an empty directory
    found = [hit for path in modules for hit in long_route_registrars(path.read_text(encoding="utf-8"), path.stem)]
    assert found == [], "views belong at module level (``@router.route`` reading ``call.ctx``), not in a factory"


def test_the_guard_sees_a_router_factory() -> None:
    views = "".join(f"    @router.route('GET', '/v{i}', summary='v', permission=None)\n"
                    f"    async def v{i}(call):\n        return {i}\n\n" for i in range(25))
    factory = f"def some_router(db):\n    router = ApiRouter('x')\n\n{views}    return router\n"
    small = "def small_router(db):\n    router = ApiRouter('x')\n    router.route('GET', '/', summary='', permission=None)\n"
    assert long_route_registrars(factory + small, "m") == [("m:some_router", 104)]
    assert long_route_registrars("def long():\n" + "    x = 1\n" * 100) == []  # long but registering nothing
