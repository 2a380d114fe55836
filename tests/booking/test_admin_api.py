"""The staff API for bookings: permissions, proxy booking, change and cancel with a reason sent to the
citizen, approval, availability, CSV lists, waitlist, bookers; every change is in the operation log."""

from __future__ import annotations

import csv
import io

import pytest

from admin_api import booking_views, facility_views
from admin_api.app import create_admin_app
from admin_api.auth import Principal
from admin_api.context import AdminContext
from civic.booking.notify import STAFF_CANCELLED, STAFF_CHANGED
from civic.booking.services import BookingService
from tests.booking.fakes import RecordingAuditLog, RecordingNotifier
from tests.booking.town import build_town, citizen

ALL = frozenset({"facilities.read", "facilities.edit", "bookings.read", "bookings.manage", "personal.view"})
MANAGER = {"Authorization": "Bearer manager"}
VIEWER = {"Authorization": "Bearer viewer"}


class Tokens:
    async def authenticate(self, token: str, *, remote: str | None) -> Principal | None:
        return {
            "manager": Principal(7, "kanri", "管理 花子", ALL),
            "viewer": Principal(8, "etsuran", "閲覧 一郎", frozenset({"facilities.read", "bookings.read"})),
        }.get(token)


@pytest.fixture
async def api(sqlite_db, aiohttp_client):
    town = await build_town(sqlite_db)
    notifier, audit = RecordingNotifier(), RecordingAuditLog()
    app = create_admin_app(Tokens(), [facility_views.router, booking_views.router],
                           context=AdminContext(sqlite_db, town.clock, auditor=audit, booking_notices=notifier))
    client = await aiohttp_client(app)
    return client, town, notifier, audit


def proxy_body(town, **kw) -> dict:
    body = {"unit_id": town.unit("gym.half-a"), "day": "2026-12-06", "time": "9:00-12:00", "people": 20,
            "purpose": "バレーボール", "applicant_name": "みどりバレー愛好会", "applicant_phone": "0000-00-1234",
            "resident_type": "resident"}
    return {**body, **kw}


async def test_proxy_booking_at_the_counter(api) -> None:
    client, town, _, audit = api
    r = await client.post("/bookings", json=proxy_body(town), headers=VIEWER)
    assert r.status == 403
    r = await client.post("/bookings/quote", json=proxy_body(town), headers=VIEWER)
    quote = await r.json()
    assert r.status == 200 and quote["fee"] == 1200 and quote["problems"] == []
    r = await client.post("/bookings", json=proxy_body(town, staff_note="電話で受付"), headers=MANAGER)
    body = await r.json()
    assert r.status == 201, body
    assert body["source"] == "counter" and body["staff_id"] == 7 and body["status"] == "confirmed"
    assert body["day"] == "2026-12-06" and body["time"] == "9:00-12:00" and body["staff_note"] == "電話で受付"
    assert audit.actions() == ["booking.create"] and audit.entries[0].after["number"] == body["number"]
    r = await client.post("/bookings", json=proxy_body(town, unit_id=town.unit("gym.whole")), headers=MANAGER)
    taken = await r.json()
    assert r.status == 409 and taken["error"]["code"] == "slot_taken" and "半面B" in taken["error"]["message"]
    r = await client.post("/bookings", json=proxy_body(town, time="9:10-12:00"), headers=MANAGER)
    err = (await r.json())["error"]
    assert r.status == 422 and err["field"] == "time" and "15分単位" in err["message"]
    r = await client.post("/bookings", json=proxy_body(town, people=80), headers=MANAGER)
    err = (await r.json())["error"]
    assert r.status == 422 and err["code"] == "too_many_people" and err["field"] == "people"


async def test_change_and_cancel_tell_the_citizen_and_are_logged(api) -> None:
    client, town, notifier, audit = api
    made = await BookingService(town.db, town.clock).reserve(town.request("gym.half-a"), citizen("U1"))
    r = await client.get("/bookings", params={"q": made.number}, headers=MANAGER)
    page = await r.json()
    assert page["total"] == 1 and page["items"][0]["applicant_name"] == "山田 花子"
    ident = page["items"][0]["id"]
    r = await client.patch(f"/bookings/{ident}", json={"time": "13:00-17:00"}, headers=MANAGER)
    assert r.status == 422 and (await r.json())["error"]["field"] == "reason"
    r = await client.patch(f"/bookings/{ident}", json={"time": "13:00-17:00", "reason": "午前は点検のため"},
                           headers=MANAGER)
    changed = await r.json()
    assert r.status == 200 and changed["time"] == "13:00-17:00" and changed["fee"] == 1600
    [notice] = notifier.of(STAFF_CHANGED)
    assert notice.channel_user_id == "U1" and "午前は点検のため" in notice.text
    entry = audit.entries[-1]
    assert entry.action == "booking.change" and entry.principal.staff_id == 7
    assert entry.before["time"] == "9:00-12:00" and entry.after["time"] == "13:00-17:00"
    r = await client.post(f"/bookings/{ident}/cancel", json={"reason": "大会のため"}, headers=MANAGER)
    assert r.status == 200 and (await r.json())["status"] == "cancelled"
    assert "大会のため" in notifier.of(STAFF_CANCELLED)[0].text
    r = await client.post(f"/bookings/{ident}/cancel", json={"reason": "二度目"}, headers=MANAGER)
    assert r.status == 422 and (await r.json())["error"]["code"] == "not_cancellable"
    # The search showed the manager (personal.view) the applicant as they are: that read is recorded too.
    assert audit.actions() == ["read.bookings", "booking.change", "booking.cancel"]


async def test_approval(api) -> None:
    client, town, notifier, _ = api
    member = citizen("U5", attributes=frozenset({"registered_group"}))
    made = await BookingService(town.db, town.clock).reserve(
        town.request("gym.event", purpose="大会・行事", activity="町内大会"), member)
    r = await client.get("/bookings", params={"status": "pending"}, headers=VIEWER)
    [item] = (await r.json())["items"]
    assert item["number"] == made.number
    r = await client.post(f"/bookings/{item['id']}/approve", headers=MANAGER)
    assert (await r.json())["status"] == "confirmed" and notifier.notices[-1].kind == "booking.approved"
    r = await client.get("/bookings", params={"status": "nonsense"}, headers=VIEWER)
    assert r.status == 422 and (await r.json())["error"]["field"] == "status"


async def test_availability_lists_and_counts(api) -> None:
    client, town, _, _ = api
    svc = BookingService(town.db, town.clock)
    await svc.reserve(town.request("gym.half-a"), citizen("U1"))
    r = await client.get("/availability/month", params={"unit_id": town.unit("gym.whole"), "month": "2026-12"},
                         headers=VIEWER)
    marks = {m["day"]: m for m in await r.json()}
    assert (marks["2026-12-05"]["mark"], marks["2026-12-05"]["free"]) == ("○", 2) and marks["2026-12-07"]["mark"] == "—"
    r = await client.get("/availability/day", params={"unit_id": town.unit("gym.whole"), "day": "2026-12-05"},
                         headers=VIEWER)
    assert [s["status"] for s in await r.json()] == ["taken", "free", "free"]
    r = await client.get("/bookings/list.csv", params={"day": "2026-12-05"}, headers=VIEWER)
    text = await r.text()
    assert r.status == 200 and r.content_type == "text/csv" and text.startswith("\ufeff")
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 2 and rows[1][7] == "半面A"
    r = await client.get("/bookings/list.csv", params={"month": "2026-12"}, headers=VIEWER)
    assert len(list(csv.reader(io.StringIO((await r.text()).lstrip("\ufeff"))))) == 2
    r = await client.get("/bookings/list.csv", headers=VIEWER)
    assert r.status == 422
    r = await client.get("/bookings/counts.csv", params={"fiscal_year": 2026, "group_by": "unit,resident_type"},
                         headers=VIEWER)
    rows = list(csv.reader(io.StringIO((await r.text()).lstrip("\ufeff"))))
    assert rows[1] == ["テスト体育館 半面A", "町内在住", "1", "10", "1200"]
    r = await client.get("/bookings/counts.csv", params={"fiscal_year": 2026, "group_by": "colour"}, headers=VIEWER)
    assert r.status == 422 and (await r.json())["error"]["field"] == "group_by"


async def test_bookers_and_erasure(api) -> None:
    client, town, _, audit = api
    r = await client.post("/bookers", json={"channel_user_id": "U7", "name": "みどりFC", "attributes": ["registered_group"],
                                            "resident_type": "resident"}, headers=MANAGER)
    booker = await r.json()
    assert r.status == 201
    svc = BookingService(town.db, town.clock)
    who = await svc.booker("U7")
    assert who.attributes == frozenset({"registered_group"}) and who.name == "みどりFC"
    made = await svc.reserve(town.request("gym.event", purpose="大会・行事", activity="大会"), who)
    r = await client.delete(f"/bookers/{booker['id']}", headers=MANAGER)
    assert r.status == 409 and (await r.json())["error"]["code"] == "has_upcoming"
    await svc.cancel(who, made.number)
    r = await client.delete(f"/bookers/{booker['id']}", headers=MANAGER)
    assert r.status == 204
    r = await client.get("/bookings", params={"q": made.number}, headers=VIEWER)
    [item] = (await r.json())["items"]
    assert item["applicant_name"] is None and item["channel_user_id"] is None and item["people"] == 10
    assert audit.actions()[-1] == "booker.erase" and "name" not in (audit.entries[-1].before or {})


async def test_waitlist_listing_and_openapi(api) -> None:
    client, town, _, _ = api
    svc = BookingService(town.db, town.clock)
    await svc.reserve(town.request("gym.half-a"), citizen("U1"))
    await svc.join_waitlist(town.request("gym.half-a"), citizen("U2"))
    r = await client.get("/waitlist", headers=MANAGER)
    [entry] = await r.json()
    assert entry["channel_user_id"] == "U2" and entry["time"] == "9:00-12:00"
    r = await client.post(f"/waitlist/{entry['id']}/cancel", headers=MANAGER)
    assert r.status == 204
    doc = await (await client.get("/openapi.json")).json()
    assert doc["paths"]["/admin/api/v1/bookings"]["post"]["x-permission"] == "bookings.manage"
    assert doc["paths"]["/admin/api/v1/facilities/{id}"]["patch"]["x-permission"] == "facilities.edit"
    assert "ProxyBookingIn" in doc["components"]["schemas"]
