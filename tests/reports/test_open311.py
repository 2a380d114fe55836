"""Open311 GeoReport v2: services, requests (list, detail, create), open/closed mapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from admin_api.open311 import create_open311_app, open311_status
from civic.clock import FrozenClock
from civic.reports.services import Staff, change_status, submit_report

NOW = datetime(2025, 6, 9, 1, 0, tzinfo=UTC)
CATEGORIES = {"road_surface": "道路の穴・段差", "street_light": "街灯・防犯灯"}


async def _client(aiohttp_client, db):
    app = create_open311_app(lambda: db, FrozenClock(NOW), categories=CATEGORIES, api_keys=["k-123"], town="みどり町",
                             jurisdiction_id="midori.example.jp")
    return await aiohttp_client(app)


async def _seed(db) -> list[int]:
    async with db.write() as s:
        a = await submit_report(s, category="road_surface", description="穴", latitude=35.679, longitude=139.763,
                                reporter="U-secret", now=NOW)
        b = await submit_report(s, category="street_light", description="点かない", latitude=35.68, longitude=139.76,
                                reporter="U-secret", now=NOW + timedelta(hours=1))
        await change_status(s, b.id, "done", note="電球を交換しました", staff=Staff(1, "佐藤"), now=NOW + timedelta(days=1))
    return [a.id, b.id]


def test_states_map_to_open_and_closed() -> None:
    assert [open311_status(s) for s in ("received", "in_progress", "done", "rejected", "duplicate")] == [
        "open", "open", "closed", "closed", "closed"]


async def test_services_and_requests(aiohttp_client, db) -> None:
    client = await _client(aiohttp_client, db)
    a, b = await _seed(db)
    services = await (await client.get("/services.json")).json()
    assert [s["service_code"] for s in services] == ["road_surface", "street_light"]
    assert services[0]["service_name"] == "道路の穴・段差" and services[0]["metadata"] is False
    everything = await (await client.get("/requests.json")).json()
    assert [r["service_request_id"] for r in everything] == [str(b), str(a)]
    closed = everything[0]
    assert closed["status"] == "closed" and closed["status_notes"] == "電球を交換しました"
    assert closed["lat"] == 35.68 and closed["long"] == 139.76 and closed["agency_responsible"] == "みどり町"
    assert "U-secret" not in str(everything) and closed["media_url"] is None
    r = await client.get("/requests.json", params={"status": "open"})
    assert [x["service_request_id"] for x in await r.json()] == [str(a)]
    r = await client.get("/requests.json", params={"service_code": "street_light"})
    assert [x["service_request_id"] for x in await r.json()] == [str(b)]
    r = await client.get("/requests.json", params={"start_date": (NOW + timedelta(minutes=30)).isoformat()})
    assert [x["service_request_id"] for x in await r.json()] == [str(b)]
    r = await client.get(f"/requests/{a}.json")
    [one] = await r.json()
    assert one["status"] == "open" and one["status_notes"] is None and one["service_notice"] == "2025-00001"
    assert (await client.get("/requests/999.json")).status == 404
    r = await client.get("/requests.json", params={"start_date": "yesterday"})
    assert r.status == 400 and "start_date" in (await r.json())[0]["description"]
    r = await client.get("/services.json", params={"jurisdiction_id": "elsewhere"})
    assert r.status == 404


async def test_create_needs_a_key_and_valid_fields(aiohttp_client, sqlite_db) -> None:
    client = await _client(aiohttp_client, sqlite_db)
    form = {"service_code": "road_surface", "lat": "35.679", "long": "139.763", "description": "段差があります",
            "address_string": "本町1丁目"}
    r = await client.post("/requests.json", data=form)
    assert r.status == 403
    r = await client.post("/requests.json", data={**form, "api_key": "k-123", "service_code": "ufo"})
    assert r.status == 400 and "service_code" in (await r.json())[0]["description"]
    r = await client.post("/requests.json", data={**form, "api_key": "k-123", "lat": "north"})
    assert r.status == 400
    r = await client.post("/requests.json", data={**form, "api_key": "k-123"})
    [created] = await r.json()
    assert r.status == 201 and created["service_notice"] == "2025-00001"
    r = await client.post("/requests.json", json={**form, "api_key": "k-123", "service_code": "street_light"})
    assert r.status == 201
    listed = await (await client.get("/requests.json")).json()
    assert {x["service_code"] for x in listed} == {"road_surface", "street_light"}
    assert listed[-1]["address"] == "本町1丁目" and listed[-1]["description"] == "段差があります"
