"""Open311 GeoReport v2: services, requests (list, detail, create), open/closed mapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from admin_api.open311 import REDACTED, Open311Policy, create_open311_app, open311_status
from civic.clock import FrozenClock
from civic.reports.services import Staff, change_status, submit_report

NOW = datetime(2025, 6, 9, 1, 0, tzinfo=UTC)
CATEGORIES = {"road_surface": "道路の穴・段差", "street_light": "街灯・防犯灯"}


PUBLIC = Open311Policy(publish=True, public_read=True, descriptions=REDACTED)


async def _client(aiohttp_client, db, policy: Open311Policy = PUBLIC, **kw):
    app = create_open311_app(db, FrozenClock(NOW), categories=CATEGORIES, api_keys=["k-123"], town="みどり町",
                             jurisdiction_id="midori.example.jp", policy=policy, **kw)
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


SAID = "山田です。自宅前の道路に穴があります。090-1234-5678 か yamada@example.jp に連絡ください"


async def _report(db, category: str = "road_surface", description: str = SAID, lat: float = 35.681236,
                  lon: float = 139.767125, address: str = "本町1丁目2-3") -> int:
    async with db.write() as s:
        report = await submit_report(s, category=category, description=description, latitude=lat, longitude=lon,
                                     address=address, reporter="U-secret", now=NOW)
    return report.id


async def test_nothing_is_published_unless_the_town_turns_it_on(aiohttp_client, db) -> None:
    rid = await _report(db)
    client = await _client(aiohttp_client, db, Open311Policy())
    for path in ("/requests.json", f"/requests/{rid}.json"):
        r = await client.get(path, params={"api_key": "k-123"})
        assert r.status == 404 and "not published" in (await r.json())[0]["description"]
    assert (await client.get("/services.json")).status == 200  # the categories are no one's data
    form = {"service_code": "road_surface", "lat": "35.6", "long": "139.7", "api_key": "k-123"}
    assert (await client.post("/requests.json", data=form)).status == 201  # filing still works with a key


async def test_reading_needs_an_api_key_unless_the_town_chooses_public(aiohttp_client, db) -> None:
    rid = await _report(db)
    client = await _client(aiohttp_client, db, Open311Policy(publish=True))
    for params in ({}, {"api_key": "guess"}):
        for path in ("/requests.json", f"/requests/{rid}.json"):
            r = await client.get(path, params=params)
            assert r.status == 403 and "api_key" in (await r.json())[0]["description"]
    r = await client.get("/requests.json", params={"api_key": "k-123"})
    assert r.status == 200 and [x["service_request_id"] for x in await r.json()] == [str(rid)]
    public = await _client(aiohttp_client, db, Open311Policy(publish=True, public_read=True))
    assert (await public.get(f"/requests/{rid}.json")).status == 200


async def test_descriptions_are_published_only_as_a_staff_member_approved_them(aiohttp_client, db) -> None:
    from sqlmodel import select

    from admin_api import report_views
    from admin_api.app import create_admin_app
    from admin_api.auth import Principal
    from admin_api.context import AdminContext, ReportsConfig
    from civic.staff.audit import Auditor
    from civic.staff.models import OperationLog

    class Tokens:
        async def authenticate(self, token: str, *, remote: str | None) -> Principal | None:
            return {"kacho": Principal(1, "kacho", "建設課長", frozenset({"reports.*", "personal.view"})),
                    "tanto": Principal(2, "tanto", "建設課 担当", frozenset({"reports.read", "reports.manage"}))
                    }.get(token)

    rid = await _report(db)
    open311 = await _client(aiohttp_client, db, Open311Policy(publish=True, public_read=True))
    staff = await aiohttp_client(create_admin_app(Tokens(), [report_views.router], context=AdminContext(
        db, FrozenClock(NOW), auditor=Auditor(db, FrozenClock(NOW)), reports=ReportsConfig(categories=CATEGORIES))))
    [before] = await (await open311.get(f"/requests/{rid}.json")).json()
    assert before["description"] is None  # not approved: not published
    detail = await (await staff.get(f"/reports/{rid}", headers={"Authorization": "Bearer kacho"})).json()
    assert detail["public_description"] is None and "090" not in detail["suggested_public_description"]
    r = await staff.put(f"/reports/{rid}/publication", json={}, headers={"Authorization": "Bearer tanto"})
    assert r.status == 403 and "reports.publish" in (await r.json())["error"]["message"]
    r = await staff.put(f"/reports/{rid}/publication", json={}, headers={"Authorization": "Bearer kacho"})
    approved = await r.json()
    assert r.status == 200 and approved["public_approved_by"] == "建設課長"
    assert "090" not in approved["public_description"] and "yamada@" not in approved["public_description"]
    [after] = await (await open311.get(f"/requests/{rid}.json")).json()
    assert after["description"] == approved["public_description"]
    r = await staff.put(f"/reports/{rid}/publication", json={"description": "道路に穴があります"},
                        headers={"Authorization": "Bearer kacho"})
    assert r.status == 200
    [edited] = await (await open311.get(f"/requests/{rid}.json")).json()
    assert edited["description"] == "道路に穴があります"
    r = await staff.delete(f"/reports/{rid}/publication", headers={"Authorization": "Bearer kacho"})
    assert r.status == 200 and (await r.json())["public_description"] is None
    [withdrawn] = await (await open311.get(f"/requests/{rid}.json")).json()
    assert withdrawn["description"] is None
    doc = await (await staff.get("/openapi.json")).json()
    assert doc["paths"]["/admin/api/v1/reports/{id}/publication"]["put"]["x-permission"] == "reports.publish"
    async with db.read() as s:
        log = (await s.exec(select(OperationLog.action, OperationLog.staff_login).order_by(OperationLog.id))).all()
    # the changes, one entry each (the reads of the report staff made are recorded too, as read.reports)
    changes = [entry for entry in log if not entry[0].startswith("read.")]
    assert changes == [("reports.publish", "kacho"), ("reports.publish", "kacho"), ("reports.unpublish", "kacho")]
    assert ("read.reports", "kacho") in log


async def test_redacted_descriptions_lose_names_phone_numbers_and_mail_addresses(aiohttp_client, db) -> None:
    from civic.staff.privacy import Redactor
    from nlu.normalize import Morphology

    rid = await _report(db)
    async with db.write() as s:
        await change_status(s, rid, "in_progress", note="山田様へ 090-1234-5678 で連絡済み", staff=Staff(1, "佐藤"),
                            now=NOW)
    client = await _client(aiohttp_client, db, Open311Policy(publish=True, public_read=True, descriptions=REDACTED),
                           redact=Redactor(Morphology().person_names))
    [one] = await (await client.get(f"/requests/{rid}.json")).json()
    for secret in ("山田", "090-1234-5678", "yamada@example.jp"):
        assert secret not in one["description"] and secret not in one["status_notes"]
    assert "自宅前の道路に穴があります" in one["description"]


async def test_private_categories_publish_rounded_coordinates_and_no_address(aiohttp_client, db) -> None:
    home = await _report(db, category="street_light")
    road = await _report(db, category="road_surface")
    client = await _client(aiohttp_client, db, Open311Policy(publish=True, public_read=True,
                                                             private_categories=frozenset({"street_light"})))
    listed = {x["service_request_id"]: x for x in await (await client.get("/requests.json")).json()}
    private, public = listed[str(home)], listed[str(road)]
    assert (private["lat"], private["long"], private["address"]) == (35.681, 139.767, None)
    assert (public["lat"], public["long"], public["address"]) == (35.681236, 139.767125, "本町1丁目2-3")
