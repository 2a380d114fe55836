"""Shelters from a CSV file (issue #22): new codes add shelters, known ones are updated (state and
count kept when left empty), Japanese labels and Shift_JIS accepted, one wrong row saves nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from admin_api import disaster_views
from civic.database import Database
from tests.admin_api.support import AdminEnv, build_env

HEADER = "code,name,address,latitude,longitude,capacity,kinds,state,occupancy\r\n"


@pytest.fixture
async def denv(db: Database) -> AsyncIterator[AdminEnv]:
    environment = await build_env(db, extra=(disaster_views.router,))
    try:
        yield environment
    finally:
        await environment.close()


async def test_import_adds_updates_and_refuses_wrong_rows(denv: AdminEnv, aiohttp_client) -> None:
    env, client = denv, await aiohttp_client(denv.app)
    csv_headers = {**env.auth("admin"), "Content-Type": "text/csv"}
    first = (HEADER + "sh-1,北小学校 体育館,みどり町北1,35.001,135.001,200,指定避難所・ペット可,開設,12\r\n"
             "sh-2,福祉センター,みどり町南2,34.990,134.990,40,welfare,,\r\n")
    r = await client.post("/shelters/import", data=("\ufeff" + first).encode("utf-8"), headers=csv_headers)
    assert r.status == 200, await r.text()
    assert await r.json() == {"rows": 2, "created": 2, "updated": 0}
    shelters = {s["name"]: s for s in await (await client.get("/shelters", headers=env.auth())).json()}
    north = shelters["北小学校 体育館"]
    assert (north["state"], north["occupancy"], north["capacity"], north["kinds"]) == ("open", 12, 200,
                                                                                     ["designated", "pets"])
    assert (shelters["福祉センター"]["state"], shelters["福祉センター"]["kinds"]) == ("not_open", ["welfare"])

    # Excel's Shift_JIS; the count left empty keeps what shelter staff entered
    again = HEADER + "sh-1,北小学校 体育館（新）,みどり町北1,35.001,135.001,250,指定避難所,満員,\r\n"
    r = await client.post("/shelters/import", data=again.encode("cp932"), headers=csv_headers)
    assert await r.json() == {"rows": 1, "created": 0, "updated": 1}
    north = next(s for s in await (await client.get("/shelters", headers=env.auth())).json() if s["name"].endswith("（新）"))
    assert (north["state"], north["occupancy"], north["capacity"]) == ("full", 12, 250)

    wrong = HEADER + "sh-3,東公民館,,35.0,135.0,50,designated,準備中,\r\nsh-4,,,,135.0,abc,,,\r\n"
    r = await client.post("/shelters/import", data=wrong.encode("utf-8"), headers=csv_headers)
    assert r.status == 422
    message = (await r.json())["error"]["message"]
    assert "何も保存していません" in message and "2行目 state" in message and "3行目 name" in message
    assert "3行目 capacity" in message
    assert len(await (await client.get("/shelters", headers=env.auth())).json()) == 2
    r = await client.post("/shelters/import", data=b"name\r\nx\r\n", headers=csv_headers)
    assert r.status == 422 and "code" in (await r.json())["error"]["message"]
    r = await client.post("/shelters/import", data=first.encode("utf-8"),
                          headers={**env.auth("viewer"), "Content-Type": "text/csv"})
    assert r.status == 403
    r = await client.get("/shelters/import/template.csv", headers=env.auth())
    assert r.status == 200 and (await r.read()).decode("utf-8-sig").startswith("code,name,address")
