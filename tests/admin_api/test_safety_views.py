"""安否確認's staff API (issue #22): sending one (an urgent delivery with the three answers as quick
replies), tallies by district, the list of those who need help (personal: withheld without
personal.view), the CSV, closing it; permissions and the operation log."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from admin_api import safety_views
from civic.attributes.services import set_values
from civic.citizens.models import Citizen
from civic.database import Database
from civic.deliveries.models import URGENT, Delivery, DeliveryRun
from civic.disaster import safety
from civic.disaster.models import EVACUATING, NEED_HELP, SAFE
from civic.staff.models import OperationLog
from tests.admin_api.support import AdminEnv, build_env
from tests.attributes.support import NOW, install_demo

BODY = {"title": "大雨による避難指示", "question": "みどり町に避難指示が出ています。皆さんの状況を教えてください。"}


@pytest.fixture
async def senv(db: Database) -> AsyncIterator[AdminEnv]:
    environment = await build_env(db, extra=(safety_views.router,))
    try:
        yield environment
    finally:
        await environment.close()


async def _answers(db: Database, check_id: int) -> None:
    await install_demo(db)
    async with db.write() as s:
        people = [Citizen(channel_user_id=f"U{i:032x}", display_name=f"住民{i}", followed_at=NOW, created_at=NOW)
                  for i in range(5)]
        s.add_all(people)
        await s.flush()
        ids = [p.id for p in people]
        for cid, area in zip(ids, ["honmachi", "honmachi", "teramachi", None, "teramachi"], strict=True):
            if area:
                await set_values(s, NOW, cid, {"area": area})  # type: ignore[arg-type]
        for cid, status in zip(ids, [SAFE, NEED_HELP, EVACUATING, NEED_HELP, SAFE], strict=True):
            await safety.record_answer(s, NOW, check_id, cid, status)  # type: ignore[arg-type]
        await safety.add_details(s, NOW, check_id, ids[1], place="本町1-2 自宅", latitude=34.9982,  # type: ignore[arg-type]
                                 longitude=134.997, note="足をけがしています")


async def test_send_tally_follow_up_export_and_close(senv: AdminEnv, aiohttp_client) -> None:
    env, client = senv, await aiohttp_client(senv.app)
    r = await client.post("/safety-checks", json=BODY, headers=env.auth("editor"))
    assert r.status == 403
    r = await client.post("/safety-checks", json={**BODY, "target": "segment"}, headers=env.auth("admin"))
    assert r.status == 422
    r = await client.post("/safety-checks", json=BODY, headers=env.auth("admin"))
    assert r.status == 201, await r.text()
    check = await r.json()
    assert check["status"] == "open" and check["answered"] == 0 and check["delivery_id"]
    async with env.db.read() as s:
        delivery = await s.get(Delivery, check["delivery_id"])
        (run,) = (await s.exec(select(DeliveryRun))).all()
        (entry,) = (await s.exec(select(OperationLog).where(OperationLog.action == "safety.create"))).all()
    assert delivery is not None and delivery.urgent and run.priority == URGENT and delivery.target == "all"
    [message] = json.loads(delivery.messages)
    assert "【安否確認】大雨による避難指示" in message["text"]
    assert [i["action"]["label"] for i in message["quickReply"]["items"]] == ["無事", "支援が必要", "避難中"]
    assert message["quickReply"]["items"][1]["action"]["data"] == f"safety=answer&c={check['id']}&s=need_help"

    await _answers(env.db, check["id"])
    r = await client.get(f"/safety-checks/{check['id']}", headers=env.auth("viewer"))
    detail = await r.json()
    assert detail["answered"] == 5
    assert {c["status"]: c["count"] for c in detail["counts"]} == {"safe": 2, "need_help": 2, "evacuating": 1}
    assert [(d["district"], d["total"]) for d in detail["districts"]] == [("本町", 2), ("寺町", 2), ("（地区未登録）", 1)]
    listed = await (await client.get("/safety-checks", headers=env.auth("viewer"))).json()
    assert [(c["id"], c["answered"]) for c in listed] == [(check["id"], 5)]

    r = await client.get(f"/safety-checks/{check['id']}/answers", params={"status": "need_help"},
                         headers=env.auth("admin"))
    page = await r.json()
    assert page["total"] == 2
    hurt = next(i for i in page["items"] if i["note"])
    assert (hurt["district"], hurt["place"], hurt["note"], hurt["display_name"]) == (
        "本町", "本町1-2 自宅", "足をけがしています", "住民1")
    assert hurt["map_url"].startswith("https://maps.gsi.go.jp/#17/34.998200/134.997000")
    r = await client.get(f"/safety-checks/{check['id']}/answers", params={"status": "need_help"},
                         headers=env.auth("viewer"))  # no personal.view: withheld
    hidden = next(i for i in (await r.json())["items"] if i["note"])
    assert hidden["display_name"] is None and "閲覧権限" in hidden["place"] and hidden["latitude"] is None

    r = await client.get(f"/safety-checks/{check['id']}/answers.csv", headers=env.auth("admin"))
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO((await r.read()).decode("utf-8-sig"))))
    assert rows[0][:5] == ["回答日時", "利用者", "表示名", "地区", "状況"] and len(rows) == 6
    assert any(row[4] == "支援が必要" and row[5] == "本町1-2 自宅" and row[8] == "足をけがしています" for row in rows)

    r = await client.post(f"/safety-checks/{check['id']}/close", headers=env.auth("admin"))
    assert r.status == 200 and (await r.json())["status"] == "closed"
    async with env.db.write() as s:
        assert await safety.record_answer(s, NOW, check["id"], 1, SAFE) is None
    assert (await client.get("/safety-checks/999", headers=env.auth())).status == 404
