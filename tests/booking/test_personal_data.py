"""Bookings' personal data (names, phone numbers, LINE user ids, what citizens wrote) reach only staff
with ``personal.view``: every listing and the CSV list are masked for the others (閲覧者)."""

from __future__ import annotations

import csv
import io

import pytest

from admin_api import booking_views
from admin_api.app import create_admin_app
from admin_api.context import AdminContext
from civic.booking.services import BookingService
from civic.staff.privacy import Redactor
from nlu.normalize import Morphology
from tests.booking.fakes import RecordingAuditLog, RecordingNotifier
from tests.booking.test_admin_api import MANAGER, VIEWER, Tokens
from tests.booking.town import build_town, citizen

USER = "U" + "a" * 32
SECRETS = ("山田 花子", "090-1234-5678", USER)


@pytest.fixture
async def api(sqlite_db, aiohttp_client):
    town = await build_town(sqlite_db)
    ctx = AdminContext(sqlite_db, town.clock, auditor=RecordingAuditLog(), booking_notices=RecordingNotifier())
    app = create_admin_app(Tokens(), [booking_views.router], context=ctx,
                           redactor=Redactor(Morphology().person_names))  # as the service wires it
    client = await aiohttp_client(app)
    svc = BookingService(town.db, town.clock)
    made = await svc.reserve(town.request("gym.half-a", activity="山田の連絡先 090-1234-5678"), citizen(USER))
    return client, town, made


def _hidden(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


async def test_booking_search_and_detail(api) -> None:
    client, _, made = api
    r = await client.get("/bookings", headers=VIEWER)
    [item] = (await r.json())["items"]
    _hidden(str(item))
    assert item["applicant_name"] == "＊＊＊" and item["applicant_phone"] == "＊＊＊"
    assert item["channel_user_id"].startswith("利用者-") and item["activity"] == "＊＊の連絡先 ＊＊＊＊＊＊＊＊"
    assert item["number"] == made.number and item["people"] == 10  # the booking itself stays readable
    detail = await (await client.get(f"/bookings/{item['id']}", headers=VIEWER)).json()
    _hidden(str(detail))
    manager = await (await client.get(f"/bookings/{item['id']}", headers=MANAGER)).json()
    assert (manager["applicant_name"], manager["applicant_phone"], manager["channel_user_id"]) == SECRETS
    for q in ("山田", "090-1234", USER):  # no looking people up by what one may not see
        r = await client.get("/bookings", params={"q": q}, headers=VIEWER)
        assert (await r.json())["total"] == 0, q
        r = await client.get("/bookings", params={"q": q}, headers=MANAGER)
        assert (await r.json())["total"] == 1, q
    assert (await (await client.get("/bookings", params={"q": made.number}, headers=VIEWER)).json())["total"] == 1


async def test_booking_list_csv(api) -> None:
    client, _, _ = api
    text = await (await client.get("/bookings/list.csv", params={"day": "2026-12-05"}, headers=VIEWER)).text()
    _hidden(text)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][8:10] == ["申請者", "電話番号"] and rows[1][8:10] == ["＊＊＊", "＊＊＊"]
    text = await (await client.get("/bookings/list.csv", params={"day": "2026-12-05"}, headers=MANAGER)).text()
    assert "山田 花子" in text and "090-1234-5678" in text


async def test_waitlist(api) -> None:
    client, town, _ = api
    await BookingService(town.db, town.clock).join_waitlist(town.request("gym.half-a"),
                                                            citizen("U" + "b" * 32, name="佐藤 一郎"))
    [entry] = await (await client.get("/waitlist", headers=VIEWER)).json()
    assert entry["applicant_name"] == "＊＊＊" and entry["channel_user_id"].startswith("利用者-")
    [entry] = await (await client.get("/waitlist", headers=MANAGER)).json()
    assert entry["applicant_name"] == "佐藤 一郎"


async def test_bookers(api) -> None:
    client, _, _ = api
    r = await client.post("/bookers", headers=MANAGER, json={
        "channel_user_id": USER, "name": "山田 花子", "phone": "090-1234-5678", "group_name": "みどりFC",
        "note": "山田さんは 090-1234-5678 に連絡"})
    assert r.status in (201, 409)
    listed = await (await client.get("/bookers", headers=VIEWER)).json()
    _hidden(str(listed))
    [booker] = [b for b in listed if b["group_name"] == "みどりFC"]
    assert booker["name"] == "＊＊＊" and booker["channel_user_id"].startswith("利用者-")
    assert (await (await client.get("/bookers", params={"q": "山田"}, headers=VIEWER)).json()) == []
    found = await (await client.get("/bookers", params={"q": booker["channel_user_id"]}, headers=VIEWER)).json()
    assert [b["id"] for b in found] == [booker["id"]]
    [mine] = await (await client.get("/bookers", params={"q": "山田"}, headers=MANAGER)).json()
    assert mine["phone"] == "090-1234-5678"
