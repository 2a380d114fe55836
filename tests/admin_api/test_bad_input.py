"""Bad input to the staff API is a 4xx with ``{"error": {"field", "message"}}`` in Japanese, never a 500
(issue #13): deep JSON, a duplicate LINE user id, a rule naming a missing segment, a huge offset or
display order, a CSV cell of megabytes, a NUL in the path. The API is mounted under a parent app as the
service mounts it (the body limit only matters there), on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from aiohttp import web
from sqlalchemy.exc import IntegrityError

from admin_api import (
    attribute_views,
    booking_views,
    delivery_views,
    facility_views,
    faq_views,
    mail_views,
    report_views,
    scenario_views,
)
from admin_api.app import PREFIX, create_admin_app
from admin_api.auth import Principal
from admin_api.context import AdminContext
from admin_api.errors import from_integrity_error
from civic.booking.models import BookerProfile
from civic.clock import FrozenClock
from civic.database import Database
from civic.deliveries.models import MailRule
from tests.booking.fakes import RecordingAuditLog

NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
AUTH = {"Authorization": "Bearer kanri"}
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


class Administrator:
    async def authenticate(self, token: str, *, remote: str | None) -> Principal | None:
        return Principal(1, "kanri", "管理 太郎", frozenset({"*"})) if token == "kanri" else None


@pytest.fixture
async def api(db: Database, aiohttp_client):
    clock = FrozenClock(NOW)
    audit = RecordingAuditLog()
    routers = [booking_views.router, facility_views.router, mail_views.router,
               delivery_views.router, attribute_views.router, report_views.router,
               faq_views.router, scenario_views.router]
    parent = web.Application(client_max_size=16 * 1024 * 1024)  # as bot.app builds it
    parent.add_subapp(PREFIX, create_admin_app(Administrator(), routers, context=AdminContext(db, clock, auditor=audit)))
    return await aiohttp_client(parent)


async def refused(r, status: int, field: str | None) -> str:
    """The answer is ``status`` with the field named and a Japanese message; returns the message."""
    body = await r.json()
    assert (r.status, body["error"]["field"]) == (status, field), body
    assert JAPANESE.search(body["error"]["message"]), body
    return body["error"]["message"]


async def test_deeply_nested_json_and_yaml_are_refused_with_a_reason(api) -> None:
    for depth in (65, 2_000, 200_000):
        r = await api.post(f"{PREFIX}/mail-rules", data='{"name": "防災", "rewrite": ' + "[" * depth + "]" * depth + "}",
                           headers=AUTH | {"Content-Type": "application/json"})
        assert "64段" in await refused(r, 400, None) or depth > 1000
    # a scenario's YAML nested 500 deep made PyYAML recurse past Python's limit
    r = await api.post(f"{PREFIX}/scenarios/import", json={"yaml": "key: " + "[" * 500 + "]" * 500}, headers=AUTH)
    assert "32段" in await refused(r, 422, "yaml")
    # and aliases can stand for billions of nodes in a few hundred bytes
    r = await api.post(f"{PREFIX}/scenarios/import", json={"yaml": "a: &a [x, x]\nb: [*a, *a]\n"}, headers=AUTH)
    assert "別名" in await refused(r, 422, "yaml")


async def test_a_booker_cannot_take_another_bookers_line_user_id(api) -> None:
    ids = []
    for user in ("U1", "U2", "", ""):  # blank means none: two blanks do not collide
        r = await api.post(f"{PREFIX}/bookers", json={"channel_user_id": user, "name": "山田"}, headers=AUTH)
        assert r.status == 201, await r.text()
        ids.append((await r.json())["id"])
    r = await api.patch(f"{PREFIX}/bookers/{ids[1]}", json={"channel_user_id": "U1"}, headers=AUTH)
    assert "すでに登録" in await refused(r, 409, "channel_user_id")
    r = await api.patch(f"{PREFIX}/bookers/{ids[3]}", json={"channel_user_id": "U1"}, headers=AUTH)
    await refused(r, 409, "channel_user_id")
    r = await api.patch(f"{PREFIX}/bookers/{ids[1]}", json={"channel_user_id": "U2", "name": "山田 次郎"}, headers=AUTH)
    assert r.status == 200 and (await r.json())["name"] == "山田 次郎"  # its own id is no conflict
    r = await api.get(f"{PREFIX}/bookers", headers=AUTH)
    assert [b["channel_user_id"] for b in await r.json()] == ["U1", "U2", None, None]


async def test_a_mail_rule_naming_a_missing_segment_is_refused(api) -> None:
    for target in ("all", "segment"):
        r = await api.post(f"{PREFIX}/mail-rules", json={"name": "防災", "target": target, "segment_id": 999},
                           headers=AUTH)
        assert "999" in await refused(r, 422, "segment_id")
    r = await api.post(f"{PREFIX}/mail-rules", json={"name": "防災", "rewrite": [{"type": "replace", "pattern": "("}]},
                       headers=AUTH)
    message = await refused(r, 422, "rewrite")
    assert "手順1" in message and "errors.pydantic.dev" not in message


async def test_huge_offsets_and_ints_are_refused_naming_the_field(api) -> None:
    for path in ("/bookings", "/reports", "/faq/unanswered", "/deliveries"):
        r = await api.get(f"{PREFIX}{path}", params={"offset": str(10**20)}, headers=AUTH)
        assert "1000000以下" in await refused(r, 422, "offset"), path
    r = await api.get(f"{PREFIX}/waitlist", params={"facility_id": str(2**31)}, headers=AUTH)
    await refused(r, 422, "facility_id")
    # a date-time without an offset is Japan time (admin_api/README.md); one that is no date is refused
    r = await api.get(f"{PREFIX}/faq/stats", params={"since": "2026-12-01T00:00"}, headers=AUTH)
    assert r.status == 200, await r.text()
    r = await api.get(f"{PREFIX}/faq/stats", params={"since": "きのう"}, headers=AUTH)
    await refused(r, 422, "since")


async def test_a_huge_display_order_is_refused(api) -> None:
    facility = {"code": "pool", "name": "町民プール", "category": "pool"}
    for order in (2**31, 2**40, 10**20, -(10**20)):
        r = await api.post(f"{PREFIX}/facilities", json=facility | {"display_order": order}, headers=AUTH)
        assert "999999" in await refused(r, 422, "display_order"), order
    r = await api.post(f"{PREFIX}/facilities", json=facility | {"display_order": -5}, headers=AUTH)
    assert r.status == 201
    fid = (await r.json())["id"]
    # integers the schema leaves open (an id, an amount) still fit the database's INTEGER
    r = await api.post(f"{PREFIX}/facilities/{fid}/purposes", json={"name": "水泳", "unit_id": 2**31}, headers=AUTH)
    assert "2147483647" in await refused(r, 422, "unit_id")
    r = await api.post(f"{PREFIX}/facilities/{fid}/equipment", json={"code": "b", "name": "ビート板", "fee": 10**30},
                       headers=AUTH)
    await refused(r, 422, "fee")


async def test_csv_cells_of_megabytes_are_refused_per_row(api) -> None:
    header = "タイトル,本文,繰り返し,時刻,開始日\r\n"
    ok_row = "燃やすごみ,明日は燃やすごみの日です。,毎週 月,19:00,2026-12-01\r\n"
    csv_headers = AUTH | {"Content-Type": "text/csv"}
    # 9 MiB: over the staff API's 8 MB, wherever it is mounted
    big = (header + "x," + "y" * (9 * 1024 * 1024) + ",毎日,9:00,2026-12-01\r\n").encode()
    r = await api.post(f"{PREFIX}/deliveries/import", data=big, headers=csv_headers)
    assert "8 MB" in await refused(r, 413, None)
    # 200 KB in one cell: under the body limit, over the csv module's cell limit
    long_cell = (header + ok_row + "x," + "y" * 200_000 + ",毎日,9:00,2026-12-01\r\n").encode()
    r = await api.post(f"{PREFIX}/deliveries/import", data=long_cell, headers=csv_headers)
    report = await r.json()
    assert r.status == 200 and report["created"] == 0
    assert [(e["row"], "長すぎます" in e["message"]) for e in report["errors"]] == [(3, True)]
    calendar = ("日付,区分,理由\r\n2026-12-01,休館,点検\r\n2026-12-02,休館," + "z" * 200_000 + "\r\n").encode()
    r = await api.post(f"{PREFIX}/calendar-days/import", data=calendar, headers=csv_headers)
    assert (await refused(r, 422, "csv")).startswith("3行目: 項目が長すぎます")
    r = await api.get(f"{PREFIX}/calendar-days", headers=AUTH)
    assert await r.json() == []  # all or nothing


async def test_a_nul_in_a_path_parameter_is_refused(api) -> None:
    r = await api.patch(f"{PREFIX}/attributes/area%00", json={"label": "地区"}, headers=AUTH)
    await refused(r, 422, "key")


async def test_integrity_errors_name_the_column_the_backend_names(db: Database) -> None:
    """The safety net behind the handlers' own checks: a duplicate is a 409, a missing row a 422."""
    async with db.write() as s:
        s.add(BookerProfile(channel_user_id="U1", created_at=NOW, updated_at=NOW))
    with pytest.raises(IntegrityError) as duplicate:
        async with db.write() as s:
            s.add(BookerProfile(channel_user_id="U1", created_at=NOW, updated_at=NOW))
    error = from_integrity_error(duplicate.value)
    assert (error.status, error.code, error.field) == (409, "duplicate", "channel_user_id")
    with pytest.raises(IntegrityError) as missing:
        async with db.write() as s:
            s.add(MailRule(name="防災", segment_id=999, created_at=NOW, updated_at=NOW))
    error = from_integrity_error(missing.value)
    assert (error.status, error.code) == (422, "missing_reference") and "参照先" in error.message
    # PostgreSQL says which column; SQLite only that a foreign key failed
    assert error.field == ("segment_id" if db.url.startswith("postgresql") else None)
