"""The staff API for attributes, forms, segments and deliveries, and the public click redirect."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from aiohttp import web

from admin_api import attribute_views, delivery_views, segment_views
from admin_api.app import create_admin_app
from admin_api.auth import Principal
from admin_api.context import AdminContext
from admin_api.delivery_views import create_redirect_app
from civic.clock import FrozenClock
from civic.database import Database
from civic.deliveries.services import DeliveryConfig, DeliveryDesk
from civic.staff.audit import Auditor
from civic.staff.models import OperationLog
from tests.attributes.support import NOW, install_demo
from tests.deliveries.conftest import Line
from tests.deliveries.test_sending import dispatcher

PRINCIPALS = {
    "admin": Principal(1, "admin-user", "管理者", frozenset({"*"})),
    "delivery": Principal(2, "delivery-user", "配信担当", frozenset({"*.read", "deliveries.*", "segments.*"})),
    "viewer": Principal(3, "viewer-user", "閲覧者", frozenset({"*.read"})),
}


class Tokens:
    async def authenticate(self, token: str, *, remote: str | None) -> Principal | None:
        return PRINCIPALS.get(token)


def auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {role}"}


async def _client(aiohttp_client: Any, db: Database, clock: FrozenClock, woken: list[int] | None = None):
    desk = DeliveryDesk(DeliveryConfig())
    routers = [attribute_views.router, segment_views.router, delivery_views.router]
    context = AdminContext(db, clock, auditor=Auditor(db, clock), delivery_desk=desk,
                           wake_deliveries=(lambda: woken.append(1)) if woken is not None else None)
    app = web.Application()
    app.add_subapp("/admin/api/v1", create_admin_app(Tokens(), routers, context=context))
    app.add_subapp("/r", create_redirect_app(db, clock))
    return await aiohttp_client(app)


async def test_attributes_forms_and_a_citizens_settings(aiohttp_client: Any, db: Database, line: Line) -> None:
    await install_demo(db)
    (user,) = await line.citizens(db, 1)
    client = await _client(aiohttp_client, db, FrozenClock(NOW))
    api = "/admin/api/v1"
    r = await client.get(f"{api}/attributes", headers=auth("viewer"))
    body = await r.json()
    assert r.status == 200 and len(body) >= 25 and body[0]["kind_label"]
    r = await client.post(f"{api}/attributes", headers=auth("viewer"), json={"key": "club", "label": "クラブ", "kind": "text"})
    assert r.status == 403
    r = await client.post(f"{api}/attributes", headers=auth("delivery"), json={
        "key": "club", "label": "クラブ", "kind": "single", "choices": [{"value": "go", "label": "囲碁"}]})
    assert r.status == 201 and (await r.json())["choices"] == [{"value": "go", "label": "囲碁"}]
    r = await client.post(f"{api}/attributes", headers=auth("delivery"), json={"key": "x1", "label": "x", "kind": "single"})
    assert r.status == 422 and (await r.json())["error"]["field"] == "choices"
    r = await client.post(f"{api}/forms", headers=auth("delivery"), json={
        "key": "club_survey", "title": "クラブ調査", "items": [{"attribute": "club", "required": True}]})
    assert r.status == 201 and (await r.json())["responses"] == 0
    # One citizen's settings: personal data, so personal.view as well.
    async with db.read() as s:
        (cid,) = (await s.exec(sa.text("SELECT id FROM citizen"))).one()
    path = f"{api}/citizens/{cid}/attributes"
    r = await client.put(path, headers=auth("delivery"), json={"values": {"area": "honmachi"}})
    assert r.status == 403 and "personal.view" in (await r.json())["error"]["message"]
    r = await client.put(path, headers=auth("admin"), json={"values": {"area": "寺町", "birth_date": "1980-04-01"}})
    values = {v["key"]: v for v in (await r.json())["values"]}
    assert r.status == 200 and values["area"]["value"] == "teramachi" and values["area"]["text"] == "寺町"
    assert values["birth_date"]["value"] == "1980-04-01"
    r = await client.put(path, headers=auth("admin"), json={"values": {"area": "月面"}})
    assert r.status == 422 and (await r.json())["error"]["field"] == "area"
    async with db.read() as s:
        logs = (await s.exec(sa.select(OperationLog).where(OperationLog.action == "attributes.set_citizen"))).all()
    assert len(logs) == 1 and "1980" not in (logs[0][0].after or "")  # which attributes, never the values
    assert user


async def test_segments_preview_and_in_use(aiohttp_client: Any, db: Database, line: Line) -> None:
    await install_demo(db)
    await line.citizens(db, 3)
    await line.citizens(db, 1, test=True)
    client = await _client(aiohttp_client, db, FrozenClock(NOW))
    api = "/admin/api/v1"
    r = await client.post(f"{api}/segments/preview", headers=auth("viewer"), json={"filter": {"type": "all"}, "sample": 2})
    body = await r.json()
    assert r.status == 200 and body["count"] == 3 and body["test_accounts"] == 1
    assert all(p["user"].startswith("利用者-") and p["display_name"] is None for p in body["sample"])  # no personal.view
    r = await client.post(f"{api}/segments/preview", headers=auth("admin"), json={"filter": {"type": "all"}, "sample": 1})
    assert (await r.json())["sample"][0]["user"].startswith("U")
    r = await client.post(f"{api}/segments", headers=auth("delivery"), json={
        "name": "本町", "filter": {"type": "choice", "attribute": "area", "values": ["nowhere"]}})
    assert r.status == 422 and (await r.json())["error"]["field"] == "filter.values.0"
    r = await client.post(f"{api}/segments", headers=auth("delivery"), json={
        "name": "本町", "filter": {"type": "choice", "attribute": "area", "values": ["honmachi"]}})
    segment = await r.json()
    assert r.status == 201
    r = await client.post(f"{api}/deliveries", headers=auth("delivery"), json={
        "title": "本町のお知らせ", "messages": [{"type": "text", "text": "こんにちは"}], "target": "segment",
        "segment_id": segment["id"], "timing": "draft"})
    assert r.status == 201 and (await r.json())["estimate"] == 0
    r = await client.delete(f"{api}/segments/{segment['id']}", headers=auth("delivery"))
    assert r.status == 409 and "1件の配信" in (await r.json())["error"]["message"]


async def test_deliveries_end_to_end_through_the_api(aiohttp_client: Any, db: Database, line: Line) -> None:
    clock = FrozenClock(NOW)
    users = await line.citizens(db, 25)
    testers = await line.citizens(db, 1, test=True)
    woken: list[int] = []
    client = await _client(aiohttp_client, db, clock, woken)
    api = "/admin/api/v1"
    flex = {"type": "flex", "altText": "イベントのご案内", "contents": {"type": "bubble", "body": {
        "type": "box", "layout": "vertical", "contents": [{"type": "text", "text": "秋祭り"}]}, "footer": {
        "type": "box", "layout": "vertical", "contents": [{"type": "button", "action": {
            "type": "uri", "label": "詳しく", "uri": "https://www.town.midori.example.jp/matsuri"}}]}}}
    r = await client.post(f"{api}/deliveries", headers=auth("delivery"), json={
        "title": "秋祭り", "messages": [flex, {"type": "text", "text": "ぜひお越しください"}], "timing": "now"})
    created = await r.json()
    assert r.status == 201 and created["status"] == "scheduled" and created["estimate"] == 25 and woken == [1]
    assert created["urgent"] is False
    bad = dict(flex, contents={"type": "bubble", "body": {"type": "box", "layout": "diagonal", "contents": []}})
    r = await client.post(f"{api}/deliveries", headers=auth("delivery"), json={"title": "x", "messages": [bad]})
    assert r.status == 422 and (await r.json())["error"]["field"] == "messages.0"
    r = await client.post(f"{api}/deliveries/{created['id']}/test", headers=auth("delivery"))
    assert r.status == 200
    await dispatcher(db, clock, line).tick()
    assert len(line.test_sim.messages(testers[0])) == 2 and all(len(line.sim.messages(u)) == 2 for u in users)
    uri = line.sim.messages(users[0])[0]["contents"]["footer"]["contents"][0]["action"]["uri"]
    assert uri.startswith("https://town.example/r/")
    r = await client.get("/r/" + uri.rsplit("/", 1)[1], allow_redirects=False)
    assert r.status == 302 and r.headers["Location"] == "https://www.town.midori.example.jp/matsuri"
    assert (await client.get("/r/unknown", allow_redirects=False)).status == 404
    r = await client.get(f"{api}/deliveries/history", headers=auth("viewer"))
    (run,) = await r.json()
    assert (run["title"], run["targeted"], run["succeeded"], run["clicks"], run["message_kinds"]) == (
        "秋祭り", 25, 25, 1, "Flex+テキスト")
    assert run["opened"] is None and run["open_note"]
    r = await client.get(f"{api}/deliveries/history.csv", headers=auth("viewer"))
    raw = await r.read()
    assert raw.startswith("\ufeff".encode()) and "秋祭り" in raw.decode("utf-8-sig") and b"\r\n" in raw
    r = await client.get(f"{api}/deliveries/runs/{run['run_id']}", headers=auth("viewer"))
    assert (await r.json())["links"][0]["clicks"] == 1
    r = await client.get(f"{api}/deliveries/totals", headers=auth("viewer"))
    assert (await r.json())["sent"] == 25
    r = await client.post(f"{api}/deliveries/runs/{run['run_id']}/retry", headers=auth("delivery"))
    assert r.status == 409  # nothing failed
    r = await client.post(f"{api}/deliveries/{created['id']}/cancel", headers=auth("viewer"))
    assert r.status == 403


async def test_an_urgent_delivery_through_the_api(aiohttp_client: Any, db: Database, line: Line) -> None:
    clock = FrozenClock(NOW)
    users = await line.citizens(db, 3)
    client = await _client(aiohttp_client, db, clock, [])
    r = await client.post("/admin/api/v1/deliveries", headers=auth("delivery"), json={
        "title": "避難指示", "messages": [{"type": "text", "text": "【緊急】避難してください"}], "urgent": True})
    assert r.status == 201 and (await r.json())["urgent"] is True
    await dispatcher(db, clock, line).tick()
    assert [c.path for c in line.sim.calls("/v2/bot/message")] == ["/v2/bot/message/broadcast"]
    assert all(len(line.sim.messages(u)) == 1 for u in users)


async def test_csv_import_and_template(aiohttp_client: Any, db: Database) -> None:
    client = await _client(aiohttp_client, db, FrozenClock(NOW))
    api = "/admin/api/v1"
    r = await client.get(f"{api}/deliveries/import/template.csv", headers=auth("viewer"))
    template = await r.read()
    assert template.startswith("\ufeff".encode()) and "繰り返し" in template.decode("utf-8-sig")
    body = "タイトル,本文,繰り返し,時刻,開始日\r\nA,本文,毎週 月,7:00,2026-12-01\r\nB,本文,毎週 外,7:00,2026-12-01\r\n"
    r = await client.post(f"{api}/deliveries/import", headers=auth("delivery") | {"Content-Type": "text/csv"},
                          data=body.encode())
    out = await r.json()
    assert r.status == 200 and out["created"] == 0 and out["errors"] == [
        {"row": 3, "column": "繰り返し", "message": "曜日「外」が読み取れません（月火水木金土日）。"}]
    r = await client.post(f"{api}/deliveries/import?partial=true",
                          headers=auth("delivery") | {"Content-Type": "text/csv"}, data=body.encode())
    assert (await r.json())["created"] == 1
    r = await client.get(f"{api}/deliveries?status=active", headers=auth("viewer"))
    (row,) = await r.json()
    assert row["rule_text"].startswith("毎週月曜日 07:00") and row["source"] == "csv"
