"""What the console's Mail to LINE screen needs from the API (国富町 §9(2)(ア)⑥), on SQLite and
PostgreSQL: a preview of a rule being edited on a pasted mail, with the reason it does not match,
and the mail list showing what became of each held mail's delivery after approval or rejection."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from aiohttp import web

from admin_api import delivery_views, mail_views
from admin_api.app import create_admin_app
from admin_api.context import AdminContext
from civic.clock import FrozenClock
from civic.database import Database
from civic.deliveries.services import DeliveryConfig, DeliveryDesk
from civic.staff.audit import Auditor
from civic.staff.models import OperationLog
from tests.attributes.support import NOW
from tests.deliveries.test_mail import iso2022jp
from tests.deliveries.test_views import Tokens, auth

RULE = {"name": "防災", "sender": "@town.midori.example.jp", "subject": "注意報",
        "rewrite": [{"type": "cut_after", "marker": "^-- ?$"}, {"type": "prepend", "text": "【防災みどり】"}]}
PASTED = {"sender": "Bousai@Town.Midori.Example.jp", "subject": "【大雨】注意報のお知らせ",
          "body": "大雨注意報が出ました。\r\n川に近づかないでください。\r\n-- \r\n総務課 0000-00-1111"}


async def _client(aiohttp_client: Any, db: Database) -> Any:
    clock = FrozenClock(NOW)
    desk = DeliveryDesk(DeliveryConfig())
    app = web.Application()
    app.add_subapp("/api", create_admin_app(Tokens(), [mail_views.router, delivery_views.router],
                                            context=AdminContext(db, clock, auditor=Auditor(db, clock),
                                                                 delivery_desk=desk)))
    return await aiohttp_client(app)


async def test_preview_of_a_rule_being_edited_on_a_pasted_mail(aiohttp_client: Any, db: Database) -> None:
    client = await _client(aiohttp_client, db)
    r = await client.post("/api/mail-rules/preview", headers=auth("viewer"), json={"rule": RULE, **PASTED})
    body = await r.json()
    assert r.status == 200 and body["matches"] is True and body["reason"] is None
    assert body["text"] == "【【大雨】注意報のお知らせ】\n【防災みどり】\n大雨注意報が出ました。\n川に近づかないでください。"
    r = await client.post("/api/mail-rules/preview", headers=auth("viewer"),
                          json={"rule": RULE, **PASTED, "sender": "someone@example.com"})
    body = await r.json()
    assert body["matches"] is False and body["reason"] == "差出人が「@town.midori.example.jp」に当てはまりません。"
    assert "大雨注意報が出ました。" in body["text"]  # what would be sent, were it to match
    r = await client.post("/api/mail-rules/preview", headers=auth("viewer"),
                          json={"rule": RULE, **PASTED, "subject": "お祭りのお知らせ"})
    assert (await r.json())["reason"] == "件名が条件（正規表現）に当てはまりません。"
    r = await client.post("/api/mail-rules/preview", headers=auth("viewer"),
                          json={"rule": RULE | {"active": False}, **PASTED})
    assert (await r.json())["reason"].startswith("このルールは無効になっています")
    r = await client.post("/api/mail-rules/preview", headers=auth("viewer"), json={
        "rule": RULE | {"rewrite": [{"type": "prepend", "text": "x"}, {"type": "replace", "pattern": "("}]}, **PASTED})
    error = (await r.json())["error"]
    assert r.status == 422 and error["field"] == "rewrite" and error["message"].startswith("書き換えの手順2")
    r = await client.post("/api/mail-rules/preview", headers=auth("viewer"), json={"rule": RULE | {"subject": "("}})
    assert r.status == 422 and (await r.json())["error"]["field"] == "subject"
    async with db.read() as s:
        assert (await s.exec(sa.select(sa.func.count()).select_from(OperationLog))).one()[0] == 0  # previews log nothing


async def test_held_mails_show_their_delivery_after_approval_and_rejection(aiohttp_client: Any, db: Database) -> None:
    client = await _client(aiohttp_client, db)
    r = await client.post("/api/mail-rules", headers=auth("delivery"), json=RULE | {"needs_approval": True})
    assert r.status == 201
    held = []
    for n in (1, 2):
        r = await client.post("/api/mails", data=iso2022jp(message_id=f"<m{n}@town>"),
                              headers=auth("delivery") | {"Content-Type": "message/rfc822"})
        held.append(await r.json())
        assert r.status == 201 and held[-1]["status"] == "held"
    r = await client.get("/api/mails", headers=auth("viewer"))
    assert [(m["delivery_status"], m["delivery_status_label"]) for m in await r.json()] == [
        ("approval", "承認待ち"), ("approval", "承認待ち")]
    r = await client.post(f"/api/deliveries/{held[0]['delivery_id']}/approve", headers=auth("viewer"))
    assert r.status == 403  # approving needs deliveries.approve
    r = await client.post(f"/api/deliveries/{held[0]['delivery_id']}/approve", headers=auth("admin"))
    assert r.status == 200 and (await r.json())["approved_by"] == "admin-user"
    r = await client.post(f"/api/deliveries/{held[1]['delivery_id']}/cancel", headers=auth("admin"))
    assert r.status == 200
    r = await client.get("/api/mails", headers=auth("viewer"))
    shown = {m["id"]: m for m in await r.json()}
    assert shown[held[0]["id"]]["delivery_status"] == "scheduled"
    assert shown[held[0]["id"]]["delivery_status_label"] == "予約済み"
    assert shown[held[1]["id"]]["delivery_status_label"] == "取り消し"
