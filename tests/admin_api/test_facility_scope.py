"""Staff limited to some facilities (国富町 表3 no.2 管理施設), on SQLite and PostgreSQL: the staff API
sets the facilities (precise 422 for unknown ids, one operation-log entry per change), ``/auth/me`` tells
them, and every facility and booking route keeps a limited member to them — other facilities are not
listed and answer 404 exactly as an id that does not exist; the whole town's things answer 403."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from admin_api import booking_views, facility_views, staff_views
from admin_api.app import create_admin_app
from admin_api.context import AdminContext
from admin_api.staff_auth import StaffAuthenticator
from civic.booking.services import BookingService
from civic.facilities.models import CalendarDay, FeeRule, Frame
from civic.staff import services as accounts
from civic.staff.audit import Auditor
from civic.staff.models import OperationLog
from civic.staff.passwords import Passwords
from civic.staff.sessions import StaffSessions
from tests.booking.town import build_town, citizen

PASSWORD = "scope-pass-2026!"


@pytest.fixture
async def api(db, aiohttp_client):
    town = await build_town(db)
    sessions = StaffSessions(db, town.clock, Passwords.for_tests())
    context = AdminContext(db, town.clock, auditor=Auditor(db, town.clock), sessions=sessions,
                           facility_kinds={"pool": "プール", "gymnasium": "体育館", "tennis": "テニスコート"})
    app = create_admin_app(StaffAuthenticator(sessions), [staff_views.router, facility_views.router,
                                                          booking_views.router], context=context)
    await accounts.create_staff(db, town.clock, "kanri", PASSWORD, "管理 花子", "admin", passwords=sessions.passwords)
    admin = {"Authorization": f"Bearer {(await sessions.login('kanri', PASSWORD)).token}"}
    return await aiohttp_client(app), town, sessions, admin


async def _log(db, action: str) -> list[OperationLog]:
    async with db.read() as s:
        return list((await s.exec(select(OperationLog).where(OperationLog.action == action)
                                  .order_by(col(OperationLog.id)))).all())


async def _limited(client, town, sessions, admin) -> tuple[int, dict[str, str]]:
    """A 施設担当 limited to the tennis courts; (staff id, their Authorization header)."""
    r = await client.get("/roles", headers=admin)
    role_id = next(x["id"] for x in await r.json() if x["key"] == "facility")
    r = await client.post("/staff", json={"login": "tennis.tanto", "display_name": "テニス 担当", "password": PASSWORD,
                                          "role_id": role_id, "facility_ids": [town.facilities["tennis"]]},
                          headers=admin)
    body = await r.json()
    assert r.status == 201, body
    token = (await sessions.login("tennis.tanto", PASSWORD)).token
    return body["id"], {"Authorization": f"Bearer {token}"}


async def test_staff_api_sets_and_tells_the_managed_facilities(api) -> None:
    client, town, sessions, admin = api
    r = await client.get("/roles", headers=admin)
    role_id = next(x["id"] for x in await r.json() if x["key"] == "facility")
    body = {"login": "tanto", "display_name": "担当", "password": PASSWORD, "role_id": role_id}
    r = await client.post("/staff", json={**body, "facility_ids": [town.facilities["gym"], 99999]}, headers=admin)
    err = (await r.json())["error"]
    assert r.status == 422 and err["field"] == "facility_ids" and "99999" in err["message"]
    assert str(town.facilities["gym"]) not in err["message"]
    r = await client.post("/staff", json={**body, "facility_ids": ["体育館"]}, headers=admin)
    assert r.status == 422 and (await r.json())["error"]["field"].startswith("facility_ids")
    r = await client.post("/staff", json=body, headers=admin)  # none given: every facility
    created = await r.json()
    assert r.status == 201 and created["facility_ids"] == []
    staff_id = created["id"]
    gym, tennis = town.facilities["gym"], town.facilities["tennis"]
    r = await client.patch(f"/staff/{staff_id}", json={"facility_ids": [tennis, gym, gym]}, headers=admin)
    assert r.status == 200 and (await r.json())["facility_ids"] == sorted([gym, tennis])
    r = await client.patch(f"/staff/{staff_id}", json={"display_name": "担当 一郎"}, headers=admin)
    assert (await r.json())["facility_ids"] == sorted([gym, tennis])  # not named: unchanged
    r = await client.patch(f"/staff/{staff_id}", json={"facility_ids": [tennis]}, headers=admin)
    assert (await r.json())["facility_ids"] == [tennis]
    r = await client.get("/staff", headers=admin)
    listed = {x["login"]: x["facility_ids"] for x in await r.json()}
    assert listed == {"kanri": [], "tanto": [tennis]}
    # one operation-log entry per change, with the facilities before and after
    creates = [e for e in await _log(town.db, "staff.create") if e.target_id == str(staff_id)]
    updates = await _log(town.db, "staff.update")
    assert len(creates) == 1 and len(updates) == 3
    assert [(u.before or "").count("facility_ids") for u in updates] == [1, 1, 1]
    assert f'"facility_ids": [{tennis}]' in (updates[-1].after or "")
    # the member's own sign-in tells the console the scope
    token = (await sessions.login("tanto", PASSWORD)).token
    r = await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert (await r.json())["facility_ids"] == [tennis]
    r = await client.get("/auth/me", headers=admin)
    assert (await r.json())["facility_ids"] is None
    r = await client.patch(f"/staff/{staff_id}", json={"facility_ids": None}, headers=admin)  # null: every facility
    assert (await r.json())["facility_ids"] == []
    r = await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert (await r.json())["facility_ids"] is None


async def test_a_limited_member_reads_and_changes_only_their_facilities(api) -> None:
    client, town, sessions, admin = api
    _, mine = await _limited(client, town, sessions, admin)
    gym, tennis = town.facilities["gym"], town.facilities["tennis"]
    r = await client.get("/facilities", headers=mine)
    assert [f["name"] for f in await r.json()] == ["テストテニスコート"]
    r = await client.get("/facilities", headers=admin)
    assert len(await r.json()) == 3
    missing = await client.get("/facilities/99999", headers=mine)
    assert missing.status == 404
    for method, path, body in [
        ("GET", f"/facilities/{gym}", None),
        ("PATCH", f"/facilities/{gym}", {"name": "乗っ取り"}),
        ("DELETE", f"/facilities/{gym}", None),
        ("PUT", f"/facilities/{gym}/hours", {"weekday": "9:00-17:00"}),
        ("POST", f"/facilities/{gym}/units", {"code": "x", "name": "x"}),
        ("POST", f"/facilities/{gym}/frames", {"time": "9:00-10:00"}),
        ("POST", f"/facilities/{gym}/equipment", {"code": "x", "name": "x"}),
        ("POST", f"/facilities/{gym}/purposes", {"name": "x"}),
        ("POST", f"/facilities/{gym}/areas", {"code": "x", "name": "x"}),
        ("PATCH", f"/units/{town.unit('gym.whole')}", {"name": "x"}),
        ("DELETE", f"/units/{town.unit('gym.half-a')}", None),
        ("POST", f"/units/{town.unit('gym.whole')}/fees", {"per_hour": 1}),
        ("PATCH", f"/equipment/{town.equipment['gym.net']}", {"quantity": 9}),
        ("GET", f"/calendar-days?facility_id={gym}", None),
        ("POST", "/calendar-days", {"facility_id": gym, "day": "2026-12-20", "kind": "closed"}),
        ("GET", f"/availability/day?unit_id={town.unit('gym.whole')}&day=2026-12-05", None),
        ("GET", f"/availability/month?unit_id={town.unit('gym.whole')}&month=2026-12", None),
        ("GET", f"/bookings?facility_id={gym}", None),
        ("GET", f"/bookings/list.csv?month=2026-12&facility_id={gym}", None),
    ]:
        r = await client.request(method, path, json=body, headers=mine)
        error = (await r.json())["error"]
        assert r.status == 404 and error["code"] == "not_found" and "見つかりません" in error["message"], (path, error)
    async with town.db.read() as s:
        frame = (await s.exec(select(Frame).where(Frame.facility_id == gym))).first()
        fee = (await s.exec(select(FeeRule).where(FeeRule.unit_id == town.unit("gym.whole")))).first()
        closed = (await s.exec(select(CalendarDay).where(CalendarDay.facility_id == gym))).first()
    assert frame and fee and closed
    for method, path in [("PATCH", f"/frames/{frame.id}"), ("DELETE", f"/frames/{frame.id}"), ("DELETE", f"/fees/{fee.id}"),
                         ("DELETE", f"/calendar-days/{closed.id}")]:
        r = await client.request(method, path, json={"label": "x"} if method == "PATCH" else None, headers=mine)
        assert r.status == 404, path
    # the whole town's things: 403 with a reason
    r = await client.post("/facilities", json={"code": "new", "name": "新施設", "category": "hall"}, headers=mine)
    err = (await r.json())["error"]
    assert r.status == 403 and err["code"] == "facility_scope" and "管理施設が限定" in err["message"]
    r = await client.post("/calendar-days", json={"day": "2026-12-21", "kind": "holiday"}, headers=mine)
    assert r.status == 403
    # lists and exports hold their facilities only; the town's holidays stay visible
    r = await client.get("/calendar-days", headers=mine)
    assert {c["facility_id"] for c in await r.json()} <= {tennis, None}
    r = await client.get("/facilities.csv", headers=mine)
    text = await r.text()
    assert "テストテニスコート" in text and "テスト体育館" not in text
    r = await client.get("/facility-units.csv", headers=mine)
    assert "1番コート" in (text := await r.text()) and "半面A" not in text
    # their own facility: read and changed as usual
    r = await client.patch(f"/facilities/{tennis}", json={"terms": "テニスシューズで"}, headers=mine)
    assert r.status == 200 and (await r.json())["terms"] == "テニスシューズで"
    r = await client.post(f"/facilities/{tennis}/purposes", json={"name": "テニス"}, headers=mine)
    assert r.status == 201
    # nothing above was changed in the other facility
    r = await client.get(f"/facilities/{gym}", headers=admin)
    detail = await r.json()
    assert detail["facility"]["name"] == "テスト体育館" and len(detail["units"]) == 4


async def test_a_limited_member_sees_and_books_only_their_facilities(api) -> None:
    client, town, sessions, admin = api
    _, mine = await _limited(client, town, sessions, admin)
    made = await BookingService(town.db, town.clock).reserve(town.request("gym.half-a"), citizen("U1"))
    r = await client.get("/bookings", params={"q": made.number}, headers=admin)
    gym_booking = (await r.json())["items"][0]
    r = await client.get("/bookings", headers=mine)
    assert (await r.json()) == {"total": 0, "items": []}
    for method, path, body in [("GET", f"/bookings/{gym_booking['id']}", None),
                               ("PATCH", f"/bookings/{gym_booking['id']}", {"people": 3, "reason": "変更"}),
                               ("POST", f"/bookings/{gym_booking['id']}/cancel", {"reason": "取消"}),
                               ("POST", f"/bookings/{gym_booking['id']}/approve", None)]:
        r = await client.request(method, path, json=body, headers=mine)
        assert r.status == 404, path
    proxy = {"day": "2026-12-05", "time": "10:00-11:00", "people": 4, "applicant_name": "電話 花子"}
    r = await client.post("/bookings", json={**proxy, "unit_id": town.unit("gym.half-b"), "purpose": "バレーボール"},
                          headers=mine)
    err = (await r.json())["error"]
    assert r.status == 404 and err["field"] == "unit_id"
    r = await client.post("/bookings/quote", json={**proxy, "unit_id": town.unit("gym.half-b")}, headers=mine)
    assert r.status == 404
    r = await client.post("/bookings", json={**proxy, "unit_id": town.unit("tennis.c1")}, headers=mine)
    booked = await r.json()
    assert r.status == 201, booked
    r = await client.get("/bookings", headers=mine)
    assert [b["number"] for b in (await r.json())["items"]] == [booked["number"]]
    r = await client.get("/bookings/list.csv", params={"month": "2026-12"}, headers=mine)
    text = await r.text()
    assert booked["number"] in text and made.number not in text
    r = await client.get("/bookings/counts.csv", params={"fiscal_year": 2026, "group_by": "facility"}, headers=mine)
    text = await r.text()
    assert "テストテニスコート" in text and "テスト体育館" not in text
    r = await client.get("/bookings/list.csv", params={"month": "2026-12"}, headers=admin)
    assert made.number in await r.text()
    # a limited member cannot move a booking of theirs into another facility
    r = await client.patch(f"/bookings/{booked['id']}", json={"unit_id": town.unit("gym.half-b"), "reason": "移動"},
                           headers=mine)
    assert r.status == 404


async def test_a_facility_some_member_manages_alone_is_not_deleted(api) -> None:
    """Deleting it would leave them no facility, which reads as every facility."""
    client, town, sessions, admin = api
    staff_id, _ = await _limited(client, town, sessions, admin)
    hall = town.facilities["hall"]
    r = await client.post("/facilities", json={"code": "annex", "name": "別館", "category": "hall"}, headers=admin)
    annex = (await r.json())["id"]
    r = await client.patch(f"/staff/{staff_id}", json={"facility_ids": [annex]}, headers=admin)
    assert r.status == 200
    r = await client.delete(f"/facilities/{annex}", headers=admin)
    err = (await r.json())["error"]
    assert r.status == 409 and err["code"] == "managed_by_staff" and "テニス 担当" in err["message"]
    r = await client.patch(f"/staff/{staff_id}", json={"facility_ids": [annex, hall]}, headers=admin)
    r = await client.delete(f"/facilities/{annex}", headers=admin)
    assert r.status < 300, await r.text()
    r = await client.get(f"/staff/{staff_id}", headers=admin)
    assert (await r.json())["facility_ids"] == [hall]  # the deleted facility's link went with it


async def test_facility_kinds_are_the_towns_in_its_order_then_the_others_in_use(api) -> None:
    """``GET /facility-kinds``: the town's names for kinds (town.yml), with how many facilities have each;
    a kind a facility has but the town does not name is offered as written; a limited member counts
    only their facilities."""
    client, town, sessions, admin = api
    r = await client.get("/facility-kinds", headers=admin)
    assert r.status == 200
    assert await r.json() == [{"code": "pool", "label": "プール", "facilities": 0},
                              {"code": "gymnasium", "label": "体育館", "facilities": 1},
                              {"code": "tennis", "label": "テニスコート", "facilities": 1},
                              {"code": "hall", "label": "hall", "facilities": 1}]
    r = await client.post("/facilities", json={"code": "kaigi", "name": "第二会議棟", "category": "会議室"}, headers=admin)
    assert r.status == 201, await r.json()
    r = await client.get("/facilities", headers=admin)
    assert [f["code"] for f in await r.json()][-1] == "kaigi"  # listed after the others, not above them
    r = await client.get("/facility-kinds", headers=admin)
    assert [(k["code"], k["label"], k["facilities"]) for k in await r.json()][-2:] == [("hall", "hall", 1), ("会議室", "会議室", 1)]
    _, limited = await _limited(client, town, sessions, admin)
    r = await client.get("/facility-kinds", headers=limited)
    assert {k["code"]: k["facilities"] for k in await r.json()} == {"pool": 0, "gymnasium": 0, "tennis": 1}
