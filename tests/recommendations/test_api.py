"""Staff API for おすすめ: CRUD with one audit entry each, counts only (never who), checks, permissions."""

from __future__ import annotations

from sqlmodel import select

from admin_api import recommendation_views
from admin_api.app import create_admin_app
from admin_api.auth import Principal
from admin_api.context import AdminContext
from civic.clock import FrozenClock
from civic.staff.audit import Auditor
from civic.staff.models import OperationLog
from tests.attributes.support import NOW
from tests.recommendations.support import build

TODDLERS = {"type": "age", "attribute": "children_birth_dates", "unit": "months", "min": 18, "max": 23}


class Tokens:
    async def authenticate(self, token: str, *, remote: str | None) -> Principal | None:
        return {
            "editor": Principal(1, "editor", "子育て支援課", frozenset({"segments.read", "segments.edit"})),
            "reader": Principal(2, "reader", "閲覧", frozenset({"segments.read"})),
        }.get(token)


async def test_crud_counts_and_audit(aiohttp_client, db) -> None:
    await build(db)
    clock = FrozenClock(NOW)
    client = await aiohttp_client(create_admin_app(Tokens(), [recommendation_views.router], context=AdminContext(
        db, clock, auditor=Auditor(db, clock))))
    editor, reader = {"Authorization": "Bearer editor"}, {"Authorization": "Bearer reader"}

    listed = await (await client.get("/recommendations", headers=reader)).json()
    assert [r["title"] for r in listed][:2] == ["1歳6か月児健康診査のご案内", "3歳児健康診査のご案内"]
    counts = await (await client.get("/recommendations/counts", headers=reader)).json()
    assert [(c["count"], c["shown"]) for c in counts["rules"]] == [(1, True), (0, True), (2, True), (1, True)]
    assert set(counts["rules"][0]) == {"id", "count", "shown"}  # numbers only, never who
    preview = await (await client.post("/recommendations/preview", json={"filter": TODDLERS}, headers=reader)).json()
    assert preview["count"] == 1 and set(preview) == {"count", "counted_at"}

    body = {"title": "離乳食教室", "body": "保健センターで開きます。", "filter": TODDLERS, "position": 5,
            "link_url": "https://www.town.midori.example.jp/rinyu/", "date_label": "1歳6か月になった日"}
    assert (await client.post("/recommendations", json=body, headers=reader)).status == 403
    r = await client.post("/recommendations", json=body, headers=editor)
    assert r.status == 201, await r.text()
    made = await r.json()
    assert made["filter"] == TODDLERS and made["active"] is True and made["created_by"] == "editor"
    r = await client.patch(f"/recommendations/{made['id']}", json={"active": False, "ends_on": "2027-03-31"},
                           headers=editor)
    changed = await r.json()
    assert changed["active"] is False and changed["ends_on"] == "2027-03-31" and changed["title"] == "離乳食教室"
    assert (await (await client.get(f"/recommendations/{made['id']}", headers=reader)).json()) == changed
    assert (await client.delete(f"/recommendations/{made['id']}", headers=editor)).status in (200, 204)
    assert (await client.get(f"/recommendations/{made['id']}", headers=reader)).status == 404

    async with db.read() as s:
        logs = (await s.exec(select(OperationLog).where(OperationLog.target_id == str(made["id"])))).all()
    assert [e.action for e in logs] == ["recommendations.create", "recommendations.update", "recommendations.delete"]


async def test_refusals(aiohttp_client, db) -> None:
    await build(db)
    clock = FrozenClock(NOW)
    client = await aiohttp_client(create_admin_app(Tokens(), [recommendation_views.router], context=AdminContext(
        db, clock, auditor=Auditor(db, clock))))
    editor = {"Authorization": "Bearer editor"}
    cases = [({"title": "x", "filter": {"type": "choice", "attribute": "nowhere", "values": ["a"]}}, 422,
              "unknown_attribute"),
             ({"title": "x", "filter": {"type": "all"}, "link_url": "javascript:alert(1)"}, 422, None),
             ({"title": "x", "filter": {"type": "all"}, "starts_on": "2027-02-01", "ends_on": "2027-01-01"}, 422,
              "invalid_period")]
    for body, status, code in cases:
        r = await client.post("/recommendations", json=body, headers=editor)
        assert r.status == status, await r.text()
        if code:
            assert (await r.json())["error"]["code"] == code
    assert (await client.patch("/recommendations/999", json={"title": "y"}, headers=editor)).status == 404
    rule = (await (await client.get("/recommendations", headers=editor)).json())[0]
    r = await client.patch(f"/recommendations/{rule['id']}", json={"title": None, "active": None, "ends_on": None},
                           headers=editor)
    assert r.status == 200 and (await r.json())["title"] == rule["title"]  # null leaves a required field as it was
