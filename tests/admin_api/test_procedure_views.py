"""Staff API: access counts per life event and channel; opening a counter code."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from admin_api import procedure_views
from admin_api.app import create_admin_app
from admin_api.auth import Principal
from admin_api.context import AdminContext
from civic.clock import FrozenClock
from civic.procedures.household import Address, Household, Person
from civic.procedures.payload import QrKeyring, Ticket, reference
from civic.procedures.services import record_access
from civic.staff.audit import Auditor
from civic.staff.models import OperationLog
from tests.procedures.conftest import CONTENT_DIR

KEY = bytes(range(32))


class Tokens:
    async def authenticate(self, token: str, *, remote: str | None) -> Principal | None:
        return {
            "stats": Principal(1, "stats", "集計担当", frozenset({"procedures.stats"})),
            "counter": Principal(2, "counter", "窓口", frozenset({"procedures.counter"})),
        }.get(token)


async def test_access_counts_per_event_and_channel(aiohttp_client, db) -> None:
    from civic.procedures.loader import load_content

    clock = FrozenClock(datetime(2026, 12, 1, 1, tzinfo=UTC))
    content = load_content(CONTENT_DIR)
    for channel in ["web", "web", "line"]:
        await record_access(db, clock, "tennyu", channel)
    clock.advance(timedelta(days=2))
    await record_access(db, clock, "shibou", "line")
    client = await aiohttp_client(create_admin_app(Tokens(), [procedure_views.router], context=AdminContext(
        db, clock, procedures=content, qr_keys=QrKeyring(KEY))))
    r = await client.get("/procedures/access-counts", headers={"Authorization": "Bearer counter"})
    assert r.status == 403
    r = await client.get("/procedures/access-counts", headers={"Authorization": "Bearer stats"})
    rows = {row["event"]: row for row in await r.json()}
    assert len(rows) == 9 and rows["tennyu"] == {"event": "tennyu", "title": "転入（町外からの引っ越し）", "web": 2,
                                                 "line": 1, "total": 3}
    assert rows["shibou"]["line"] == 1 and rows["shomei"]["total"] == 0
    r = await client.get("/procedures/access-counts", params={"since": "2026-12-02"},
                         headers={"Authorization": "Bearer stats"})
    rows = {row["event"]: row for row in await r.json()}
    assert rows["tennyu"]["total"] == 0 and rows["shibou"]["total"] == 1
    r = await client.get("/procedures/access-counts", params={"since": "2026-12-05", "until": "2026-12-01"},
                         headers={"Authorization": "Bearer stats"})
    assert r.status == 422 and (await r.json())["error"]["field"] == "since"


async def test_the_counter_opens_a_code_through_the_api(aiohttp_client, db) -> None:
    from civic.procedures.loader import load_content

    clock = FrozenClock(datetime(2026, 12, 1, 1, tzinfo=UTC))
    keys = QrKeyring(KEY)
    context = AdminContext(db, clock, auditor=Auditor(db, clock), procedures=load_content(CONTENT_DIR), qr_keys=keys)
    client = await aiohttp_client(create_admin_app(Tokens(), [procedure_views.router], context=context))
    household = Household((Person("山田\u3000花子", "ヤマダ\u3000ハナコ", datetime(1990, 1, 1).date(), "女", "世帯主"),),
                          (Address("current", "8390901", "福岡県みどり郡みどり町中央", "1番地"),))
    text = keys.seal(Ticket("shomei", (171,), {"kind": "jumin"}, household, clock.now()))
    auth = {"Authorization": "Bearer counter"}
    r = await client.post("/procedures/counter/open", json={"texts": [text]}, headers=auth)
    body = await r.json()
    assert r.status == 200 and body["people"][0]["name"] == "山田\u3000花子" and body["procedures"] == [171]
    bad = text[:-2] + ("00" if text[-2:] != "00" else "11")
    r = await client.post("/procedures/counter/open", json={"texts": [bad]}, headers=auth)
    assert r.status == 422 and (await r.json())["error"]["field"] == "texts"
    # Logged like the counter page: who, which code, its kind; never the sealed text or the household.
    async with db.read() as s:
        opened, refused = (await s.exec(select(OperationLog).order_by(OperationLog.id))).all()
    assert (opened.staff_login, opened.action, opened.target_id) == ("counter", "procedures.counter_open", reference(text))
    assert json.loads(opened.after) == {"event": "shomei", "procedures": [171], "issued_at": "2026-12-01T10:00+09:00",
                                        "stale": False, "people": 1, "via": "api"}
    assert (refused.action, refused.target_id) == ("procedures.counter_open_failed", reference(bad))
    assert json.loads(refused.after)["reason"] in {"tampered", "corrupt"}
    logged = str([opened.model_dump(), refused.model_dump()])
    assert [w for w in ("山田", "ヤマダ", "1990", "8390901", "1番地", text, bad) if w in logged] == []
    r = await client.get("/openapi.json")
    assert "/admin/api/v1/procedures/access-counts" in (await r.json())["paths"]
