"""A form's answers, per-question tallies and CSV for staff (国富町 §9(3)(オ)⑦), on SQLite and PostgreSQL:
paging, masking without personal.view, Excel-friendly CSV, and the export in the operation log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from admin_api import attribute_views
from admin_api.app import create_admin_app
from civic.attributes import forms, services
from civic.citizens.models import Citizen
from civic.clock import FrozenClock
from civic.database import Database
from civic.staff.audit import Auditor
from civic.staff.models import OperationLog
from tests.attributes.support import NOW, install_demo
from tests.deliveries.test_views import Tokens, auth

API = "/admin/api/v1"


async def _setup(aiohttp_client: Any, db: Database) -> tuple[Any, int]:
    """A satisfaction survey (single choice, a number, a birth date) answered by three citizens."""
    await install_demo(db)
    clock = FrozenClock(NOW)
    app = web.Application()
    app.add_subapp(API, create_admin_app(Tokens(), [attribute_views.router], auditor=Auditor(db, clock)))
    client = await aiohttp_client(app)
    r = await client.post(f"{API}/attributes", headers=auth("delivery"), json={
        "key": "satisfaction", "label": "満足度", "kind": "single",
        "choices": [{"value": "good", "label": "満足"}, {"value": "fair", "label": "ふつう"},
                    {"value": "poor", "label": "不満"}]})
    assert r.status == 201
    r = await client.post(f"{API}/forms", headers=auth("delivery"), json={
        "key": "survey", "title": "窓口満足度調査", "items": [
            {"attribute": "satisfaction", "required": True}, {"attribute": "household_size"},
            {"attribute": "birth_date"}]})
    form_id = (await r.json())["id"]
    async with db.write() as s:
        people = [Citizen(channel_user_id=f"U{i:032x}", display_name=f"町民{i}", created_at=NOW) for i in range(4)]
        s.add_all(people)
        await s.flush()
        form = await forms.get_form(s, form_id)
        answers = [{"satisfaction": "good", "household_size": 3, "birth_date": "1980-04-01"},
                   {"satisfaction": "good", "household_size": 2},
                   {"satisfaction": "fair"}]
        for i, a in enumerate(answers):
            await forms.submit(s, NOW + timedelta(minutes=i), form, people[i].id or 0, a, via="liff")
        # the first citizen answers again later (by chat): one row, two answers, the latest values
        await forms.submit(s, NOW + timedelta(minutes=10), form, people[0].id or 0,
                           {"satisfaction": "good", "household_size": 4}, via="chat")
        # someone who never answered the form but holds a value is not counted
        await forms.submit(s, NOW, await forms.get_form(s, "settings"), people[3].id or 0, {}, via="liff")
        await services.set_values(s, NOW, people[3].id or 0, {"satisfaction": "poor"})
    return client, form_id


async def test_tallies_count_the_citizens_who_answered(aiohttp_client: Any, db: Database) -> None:
    client, form_id = await _setup(aiohttp_client, db)
    r = await client.get(f"{API}/forms/{form_id}/tallies", headers=auth("viewer"))
    body = await r.json()
    assert r.status == 200 and body["responses"] == 3 and body["title"] == "窓口満足度調査"
    q = {t["attribute"]: t for t in body["questions"]}
    assert [(c["label"], c["count"]) for c in q["satisfaction"]["counts"]] == [("満足", 2), ("ふつう", 1), ("不満", 0)]
    assert q["satisfaction"]["answered"] == 3
    assert [(c["value"], c["label"], c["count"]) for c in q["household_size"]["counts"]] == [
        ("2", "2人", 1), ("4", "4人", 1)]
    assert q["household_size"]["mean"] == 3.0 and q["household_size"]["answered"] == 2
    # birth dates are personal: counted, never broken down
    assert q["birth_date"]["answered"] == 1 and q["birth_date"]["counts"] == []
    r = await client.get(f"{API}/forms/99999/tallies", headers=auth("viewer"))
    assert r.status == 404 and "フォーム" in (await r.json())["error"]["message"]


async def test_answers_are_paged_and_masked_without_personal_view(aiohttp_client: Any, db: Database) -> None:
    client, form_id = await _setup(aiohttp_client, db)
    r = await client.get(f"{API}/forms/{form_id}/answers?limit=2", headers=auth("viewer"))
    page = await r.json()
    assert r.status == 200 and page["total"] == 3 and len(page["items"]) == 2
    assert [q["label"] for q in page["questions"]] == ["満足度", "世帯人数", "生年月日"]
    first = page["items"][0]  # the latest answer first: the citizen who answered twice
    assert first["times"] == 2 and first["via"] == "chat" and first["via_label"] == "トーク"
    assert first["user"].startswith("利用者-") and first["display_name"] == "＊＊＊"
    assert [c["text"] for c in first["answers"]] == ["満足", "4人", "＊＊＊"]
    r = await client.get(f"{API}/forms/{form_id}/answers?limit=2&offset=2", headers=auth("viewer"))
    rest = (await r.json())["items"]
    assert len(rest) == 1 and [c["text"] for c in rest[0]["answers"]] == ["満足", "2人", ""]  # the earliest
    r = await client.get(f"{API}/forms/{form_id}/answers", headers=auth("admin"))
    first = (await r.json())["items"][0]
    assert first["user"] == f"U{0:032x}" and first["display_name"] == "町民0"
    assert first["answers"][2]["text"] == "1980-04-01"
    r = await client.get(f"{API}/forms/{form_id}/answers?limit=0", headers=auth("viewer"))
    assert r.status == 422 and (await r.json())["error"]["field"] == "limit"


async def test_csv_is_excel_friendly_masked_and_logged(aiohttp_client: Any, db: Database) -> None:
    client, form_id = await _setup(aiohttp_client, db)
    r = await client.get(f"{API}/forms/{form_id}/answers.csv", headers=auth("viewer"))
    raw = await r.read()
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert "form-survey-answers-" in r.headers["Content-Disposition"]
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\r\n") == 4 and b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "最後の回答日時,利用者,表示名,回答の経路,回答回数,満足度,世帯人数,生年月日"
    assert lines[1].startswith("2026-11-21 10:10,利用者-") and lines[1].endswith(",＊＊＊,トーク,2,満足,4人,＊＊＊")
    assert "1980" not in raw.decode("utf-8-sig") and "町民" not in raw.decode("utf-8-sig")
    r = await client.get(f"{API}/forms/{form_id}/answers.csv", headers=auth("admin"))
    text = (await r.read()).decode("utf-8-sig")
    assert "町民0" in text and "1980-04-01" in text
    async with db.read() as s:
        logs = (await s.exec(sa.select(OperationLog.after).where(OperationLog.action == "forms.export"))).all()
    assert len(logs) == 2 and '"personal": false' in logs[0][0] and '"personal": true' in logs[1][0]
