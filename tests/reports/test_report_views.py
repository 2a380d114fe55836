"""Staff report API: list, filter, GeoJSON, detail with photo and duplicates, status changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from admin_api import report_views
from admin_api.app import create_admin_app
from admin_api.auth import Principal
from admin_api.context import AdminContext, ReportsConfig
from civic.clock import FrozenClock
from civic.notify import Notice
from civic.reports.photos import sanitize
from civic.reports.services import store_draft_photo, submit_report
from tests.dialogues.conftest import photo

NOW = datetime(2025, 6, 9, 1, 0, tzinfo=UTC)
CATEGORIES = {"road_surface": "道路の穴・段差", "street_light": "街灯・防犯灯"}
EDITOR = {"Authorization": "Bearer editor"}
VIEWER = {"Authorization": "Bearer viewer"}


class Tokens:
    async def authenticate(self, token: str, *, remote: str | None) -> Principal | None:
        return {
            "editor": Principal(3, "sato", "建設課 佐藤", frozenset({"reports.read", "reports.manage"})),
            "viewer": Principal(4, "suzuki", "総務課 鈴木", frozenset({"reports.read"})),
        }.get(token)


class Notes:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    async def notify(self, session, notice: Notice) -> None:
        self.sent.append((notice.channel, notice.channel_user_id, notice.text))


async def _client(aiohttp_client, db, notes=None):
    context = AdminContext(db, FrozenClock(NOW), reports=ReportsConfig(notifier=notes, categories=CATEGORIES,
                                                                       town="みどり町"))
    return await aiohttp_client(create_admin_app(Tokens(), [report_views.router], context=context))


async def _seed(db) -> list[int]:
    ids = []
    async with db.write() as s:
        draft = await store_draft_photo(s, "U0", sanitize(photo(800, 600, exif_gps=True)), NOW)
        for i, (cat, lat) in enumerate([("road_surface", 35.6790), ("road_surface", 35.67915),
                                        ("street_light", 35.6700), ("road_surface", 35.6900)]):
            r = await submit_report(s, category=cat, description=f"説明{i}", latitude=lat, longitude=139.7630,
                                    address=f"本町{i}丁目", reporter=f"U{i}", photo_id=draft.id if i == 0 else None,
                                    now=NOW + timedelta(hours=i))
            ids.append(r.id)
    return ids


async def test_list_filter_and_page(aiohttp_client, db) -> None:
    client = await _client(aiohttp_client, db)
    ids = await _seed(db)
    r = await client.get("/reports", headers=VIEWER)
    page = await r.json()
    assert r.status == 200 and page["total"] == 4
    assert [i["id"] for i in page["items"]] == list(reversed(ids))  # newest first
    assert page["items"][-1]["category_label"] == "道路の穴・段差" and page["items"][-1]["status_label"] == "受付"
    r = await client.get("/reports", params={"category": "road_surface", "limit": 2}, headers=VIEWER)
    page = await r.json()
    assert page["total"] == 3 and len(page["items"]) == 2
    since = (NOW + timedelta(minutes=90)).isoformat()
    r = await client.get("/reports", params={"since": since}, headers=VIEWER)
    assert (await r.json())["total"] == 2
    r = await client.get("/reports", params={"status": "finished"}, headers=VIEWER)
    body = await r.json()
    assert r.status == 422 and body["error"]["field"] == "status"
    r = await client.get("/reports", params={"since": since, "until": NOW.isoformat()}, headers=VIEWER)
    assert r.status == 422 and (await r.json())["error"]["field"] == "since"
    assert (await client.get("/reports")).status == 401


async def test_geojson_detail_photo_and_duplicates(aiohttp_client, db) -> None:
    client = await _client(aiohttp_client, db)
    ids = await _seed(db)
    r = await client.get("/reports/geojson", params={"category": "road_surface"}, headers=VIEWER)
    assert r.status == 200 and r.content_type == "application/geo+json"
    collection = await r.json(content_type=None)
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 3
    assert collection["features"][0]["geometry"] == {"type": "Point", "coordinates": [139.763, 35.679]}
    r = await client.get(f"/reports/{ids[1]}", headers=VIEWER)
    detail = await r.json()
    assert [d["id"] for d in detail["possible_duplicates"]] == [ids[0]]  # 17 m away, same category
    assert detail["photo_url"] is None and detail["history"][0]["to_label"] == "受付"
    r = await client.get(f"/reports/{ids[0]}", headers=VIEWER)
    assert (await r.json())["photo_url"] == f"/admin/api/v1/reports/{ids[0]}/photo"
    r = await client.get(f"/reports/{ids[0]}/photo", headers=VIEWER)
    data = await r.read()
    assert r.status == 200 and r.content_type == "image/jpeg" and data[:2] == b"\xff\xd8"
    assert b"Exif" not in data[:64]
    r = await client.get(f"/reports/{ids[1]}/photo", headers=VIEWER)
    assert r.status == 404 and "写真がありません" in (await r.json())["error"]["message"]
    r = await client.get("/reports/99999", headers=VIEWER)
    assert r.status == 404


async def test_status_change_notifies_and_needs_permission(aiohttp_client, db) -> None:
    notes = Notes()
    client = await _client(aiohttp_client, db, notes)
    ids = await _seed(db)
    r = await client.post(f"/reports/{ids[0]}/status", json={"status": "in_progress", "note": "明日補修します"},
                          headers=VIEWER)
    assert r.status == 403 and "reports.manage" in (await r.json())["error"]["message"]
    r = await client.post(f"/reports/{ids[0]}/status", json={"status": "in_progress", "note": "明日補修します"},
                          headers=EDITOR)
    detail = await r.json()
    assert r.status == 200 and detail["status"] == "in_progress"
    assert detail["history"][-1]["staff_name"] == "建設課 佐藤" and detail["history"][-1]["notified"]
    assert notes.sent == [("production", "U0", notes.sent[0][2])]
    assert "「対応中」" in notes.sent[0][2] and "明日補修します" in notes.sent[0][2]
    r = await client.post(f"/reports/{ids[1]}/status", json={"status": "duplicate"}, headers=EDITOR)
    assert r.status == 422 and (await r.json())["error"]["field"] == "duplicate_of"
    r = await client.post(f"/reports/{ids[1]}/status", json={"status": "duplicate", "duplicate_of": ids[0]},
                          headers=EDITOR)
    assert (await r.json())["duplicate_of"] == ids[0]
    r = await client.post(f"/reports/{ids[1]}/status", json={"status": "received"}, headers=EDITOR)
    assert r.status == 422 and (await r.json())["error"]["code"] == "invalid_transition"
    r = await client.post(f"/reports/{ids[2]}/status", json={"status": "done", "note": "x" * 1001}, headers=EDITOR)
    assert r.status == 422 and (await r.json())["error"]["field"] == "note"


async def test_openapi_documents_the_report_routes(aiohttp_client, sqlite_db) -> None:
    client = await _client(aiohttp_client, sqlite_db)
    doc = await (await client.get("/openapi.json")).json()
    assert doc["paths"]["/admin/api/v1/reports/{id}/status"]["post"]["x-permission"] == "reports.manage"
    assert "ReportDetail" in doc["components"]["schemas"]


async def test_area_department_filters_assignment_and_csv(aiohttp_client, db) -> None:
    client = await _client(aiohttp_client, db)
    ids = await _seed(db)
    r = await client.get("/reports", params={"area": "本町2"}, headers=VIEWER)
    assert [i["id"] for i in (await r.json())["items"]] == [ids[2]]
    # assigning a department: one change, refused to a viewer, filtered on, undone with ""
    r = await client.put(f"/reports/{ids[0]}/department", json={"department": " 土木課 "}, headers=VIEWER)
    assert r.status == 403
    r = await client.put(f"/reports/{ids[0]}/department", json={"department": " 土木課 "}, headers=EDITOR)
    assert r.status == 200 and (await r.json())["department"] == "土木課"
    r = await client.get("/reports", params={"department": "土木課"}, headers=VIEWER)
    assert [i["id"] for i in (await r.json())["items"]] == [ids[0]]
    r = await client.get("/reports", params={"department": ""}, headers=VIEWER)
    assert (await r.json())["total"] == 3
    r = await client.get("/reports/geojson", params={"department": "土木課"}, headers=VIEWER)
    [feature] = (await r.json(content_type=None))["features"]
    assert feature["properties"]["department"] == "土木課"
    # the CSV: Excel-friendly (BOM), the same filters, the description masked for a role without personal.view
    r = await client.get("/reports.csv", params={"category": "road_surface"}, headers=VIEWER)
    text = (await r.read()).decode("utf-8")
    assert r.status == 200 and text.startswith("\ufeff受付番号,受付日時,種類,状態,担当課")
    lines = text.strip().splitlines()
    assert len(lines) == 4 and "土木課" in lines[1] and "道路の穴・段差" in lines[1] and "説明0" in lines[1]
    r = await client.put(f"/reports/{ids[0]}/department", json={"department": ""}, headers=EDITOR)
    assert (await r.json())["department"] == ""
    assert (await client.put("/reports/9999/department", json={"department": "x"}, headers=EDITOR)).status == 404
