"""手続きナビ's "マイページに保存": the result becomes to-dos on the citizen's my-page only when they ask,
without the household data they entered for the QR code."""

from __future__ import annotations

import json

import sqlalchemy as sa

from civic.citizens.models import Citizen
from tests.liff.procedures.conftest import *  # noqa: F403  (the page's fixtures)
from tests.liff.procedures.test_procedures_api import FAMILY, TENNYU, walk

LINE_USER = "U0123456789abcdef0123456789abcdef"


async def test_a_result_is_saved_as_todos_without_the_household(aiohttp_client, procedures_app, sqlite_db,
                                                                 clock) -> None:
    async with sqlite_db.write() as s:
        s.add(Citizen(channel_user_id=LINE_USER, created_at=clock.now()))
    client = await aiohttp_client(procedures_app)
    token, _ = await walk(client, "tennyu", TENNYU, id_token="good-id-token")
    assert (await client.put(f"/api/sessions/{token}/household", json={"household": FAMILY})).status == 200
    async with sqlite_db.engine.connect() as conn:
        assert (await conn.execute(sa.text("SELECT count(*) FROM mypage_todo"))).scalar_one() == 0  # not unasked
    assert (await client.post(f"/api/sessions/{token}/save", json={})).status == 401  # no LINE identity
    r = await client.post(f"/api/sessions/{token}/save", json={"id_token": "good-id-token"})
    assert r.status == 200
    saved = (await r.json())["saved"]
    result = await (await client.get(f"/api/sessions/{token}/result")).json()
    assert saved == len(result["results"]) > 0
    async with sqlite_db.engine.connect() as conn:
        rows = (await conn.execute(sa.text("SELECT * FROM mypage_todo"))).mappings().all()
    assert {r["name"] for r in rows} == {x["name"] for x in result["results"]}
    stored = json.dumps([dict(r) for r in rows], ensure_ascii=False, default=str)
    for person in FAMILY["people"]:  # nothing of the household
        assert person["name"].split()[0] not in stored and person["kana"].split()[0] not in stored
    assert FAMILY["addresses"]["new"]["detail"] not in stored
    again = await client.post(f"/api/sessions/{token}/save", json={"id_token": "good-id-token"})
    assert (await again.json())["saved"] == saved  # saving twice keeps one to-do per procedure
    async with sqlite_db.engine.connect() as conn:
        assert (await conn.execute(sa.text("SELECT count(*) FROM mypage_todo"))).scalar_one() == saved
