"""The LIFF page's API: the verified LINE user is the only identity; booking end to end over HTTP."""

from __future__ import annotations

import pytest

from civic.booking.services import BookingService
from liff.booking.app import BookingDeps, create_booking_liff_app
from liff.identity import StaticIdTokenVerifier
from liff.page import LiffPage
from tests.booking.fakes import RecordingNotifier
from tests.booking.town import build_town

ALICE = {"Authorization": "Bearer token-alice"}
BOB = {"Authorization": "Bearer token-bob"}


@pytest.fixture
async def liff(sqlite_db, aiohttp_client):
    town = await build_town(sqlite_db)
    svc = BookingService(sqlite_db, town.clock, RecordingNotifier())
    verifier = StaticIdTokenVerifier({"token-alice": "Ualice", "token-bob": "Ubob"})
    app = create_booking_liff_app(BookingDeps(sqlite_db, town.clock, svc), verifier,
                                  LiffPage("1650000000-abcd", None, "施設予約"))
    return await aiohttp_client(app), town, svc


def booking(town, **kw) -> dict:
    body = {"unit_id": town.unit("gym.half-a"), "day": "2026-12-05", "start_minute": 540, "end_minute": 720,
            "people": 8, "purpose": "バレーボール", "resident_type": "resident", "name": "山田 花子",
            "phone": "090-0000-0000", "terms_accepted": True, "equipment": {}}
    return {**body, **kw}


async def test_page_has_no_inline_script_and_a_strict_policy(liff) -> None:
    client, _, _ = liff
    r = await client.get("/")
    page = await r.text()
    assert r.status == 200 and 'data-liff-id="1650000000-abcd"' in page and "static/booking.js" in page
    assert "sdk.js" not in page and "<script>" not in page
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert (await client.get("/static/booking.js")).status == 200


async def test_the_api_needs_a_token_line_accepts(liff) -> None:
    client, _, _ = liff
    r = await client.get("/api/facilities")
    assert r.status == 401 and "LINE" in (await r.json())["error"]["message"]
    r = await client.get("/api/facilities", headers={"Authorization": "Bearer forged"})
    assert r.status == 401
    r = await client.get("/api/facilities", headers=ALICE)
    data = await r.json()
    assert [f["name"] for f in data["facilities"]] == ["テスト体育館", "テストテニスコート", "テスト会議棟"]
    assert all(u["name"] != "職員室" for f in data["facilities"] for u in f["units"])
    assert data["resident_types"]["outside"] == "町外"


async def test_book_see_and_cancel(liff) -> None:
    client, town, svc = liff
    r = await client.get(f"/api/units/{town.unit('gym.half-a')}", headers=ALICE)
    unit = await r.json()
    assert unit["purposes"][0] == "バレーボール" and unit["terms"] and unit["equipment"][0]["name"] == "ネット"
    r = await client.get(f"/api/units/{town.unit('gym.half-a')}/month", params={"month": "2026-12"}, headers=ALICE)
    assert {d["day"]: d["mark"] for d in (await r.json())["days"]}["2026-12-07"] == "—"
    r = await client.post("/api/quote", json=booking(town, equipment={str(town.equipment["gym.net"]): 1}),
                          headers=ALICE)
    assert (await r.json())["fee"] == 1300
    # A user id in the body is ignored: the booking belongs to the token's user.
    r = await client.post("/api/reservations", json=booking(town, channel_user_id="Ubob", remember=True),
                          headers=ALICE)
    made = await r.json()
    assert r.status == 201 and made["status"] == "confirmed"
    assert [v.number for v in await svc.my_reservations("Ualice")] == [made["number"]]
    assert await svc.my_reservations("Ubob") == []
    r = await client.get("/api/profile", headers=ALICE)
    assert (await r.json())["name"] == "山田 花子"
    r = await client.post("/api/reservations", json=booking(town), headers=BOB)
    taken = await r.json()
    assert r.status == 409 and taken["error"]["code"] == "slot_taken" and taken["waitlist_available"]
    assert taken["alternatives"][0]["unit_name"] == "半面B"
    r = await client.post("/api/waitlist", json=booking(town), headers=BOB)
    assert r.status == 201 and (await r.json())["position"] == 1
    r = await client.post(f"/api/reservations/{made['number']}/cancel", headers=BOB)
    assert r.status == 422 and (await r.json())["error"]["code"] == "not_found"
    r = await client.get("/api/reservations", headers=ALICE)
    [mine] = (await r.json())["reservations"]
    assert mine["time"] == "9:00〜12:00" and mine["can_cancel"]
    r = await client.post(f"/api/reservations/{made['number']}/cancel", headers=ALICE)
    assert r.status == 200
    r = await client.get("/api/reservations", headers=BOB)
    [offer] = (await r.json())["reservations"]
    assert offer["status"] == "offered"
    r = await client.post(f"/api/offers/{offer['number']}/accept", headers=BOB)
    assert r.status == 200 and (await r.json())["status"] == "confirmed"


async def test_reschedule_keeps_equipment_and_people(liff) -> None:
    client, town, svc = liff
    net = town.equipment["gym.net"]
    r = await client.post("/api/reservations", json=booking(town, equipment={str(net): 2}), headers=ALICE)
    number = (await r.json())["number"]
    r = await client.post(f"/api/reservations/{number}/change",
                          json={"day": "2026-12-05", "start_minute": 780, "end_minute": 1020}, headers=ALICE)
    assert r.status == 200 and (await r.json())["fee"] == 4 * 400 + 200
    [view] = await svc.my_reservations("Ualice")
    assert view.start_minute == 780 and view.equipment == (("ネット", 2, "組"),) and view.people == 8


async def test_bad_input_gets_a_clear_answer(liff) -> None:
    client, town, _ = liff
    r = await client.post("/api/reservations", json=booking(town, day="12月5日"), headers=ALICE)
    assert r.status == 422 and (await r.json())["error"]["field"] == "day"
    r = await client.post("/api/reservations", data=b"not json", headers=ALICE)
    assert r.status == 422
    r = await client.post("/api/reservations", json=booking(town, terms_accepted=False, people=500), headers=ALICE)
    body = await r.json()
    assert r.status == 422 and [p["code"] for p in body["problems"]] == ["too_many_people", "terms"]
    r = await client.get("/api/units/999", headers=ALICE)
    assert r.status == 404
    r = await client.get(f"/api/units/{town.unit('hall.staff')}", headers=ALICE)
    assert r.status == 404
