"""防災モード's staff API (issue #22): GET/PUT /disaster-mode (confirmation, reason, permission, operation
log), the menus prepared per mode relinked at linesim, and shelters' state and count."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from admin_api import disaster_views
from civic.database import Database
from civic.disaster.content import read_shelters_file, seed_shelters
from civic.staff.models import OperationLog
from richmenus import services
from richmenus.layout import Layout
from tests.admin_api.support import AdminEnv, build_env
from tests.dialogues.conftest import REPO
from tests.richmenus.conftest import NOW, TILES, make_tabs

PROD = "production"


@pytest.fixture
async def denv(db: Database) -> AsyncIterator[AdminEnv]:
    environment = await build_env(db, extra=(disaster_views.router,))
    try:
        yield environment
    finally:
        await environment.close()


async def _log(env: AdminEnv) -> list[OperationLog]:
    async with env.db.read() as s:
        return list((await s.exec(select(OperationLog).order_by(OperationLog.id))).all())  # type: ignore[arg-type]


async def test_the_switch_needs_permission_confirmation_and_a_reason(denv: AdminEnv, aiohttp_client) -> None:
    env, client = denv, await aiohttp_client(denv.app)
    r = await client.get("/disaster-mode", headers=env.auth("viewer"))
    assert r.status == 200 and (await r.json())["mode"] == "normal" and (await r.json())["history"] == []
    body = {"mode": "disaster", "reason": "避難指示（土砂災害）の発令", "confirm": True}
    r = await client.put("/disaster-mode", json=body, headers=env.auth("editor"))
    assert r.status == 403
    r = await client.put("/disaster-mode", json={**body, "confirm": False}, headers=env.auth("admin"))
    assert r.status == 409 and (await r.json())["error"]["code"] == "confirmation_required"
    assert "よろしければ" in (await r.json())["error"]["message"]
    r = await client.put("/disaster-mode", json={"mode": "disaster", "confirm": True}, headers=env.auth("admin"))
    assert r.status == 422  # no reason
    assert (await (await client.get("/disaster-mode", headers=env.auth())).json())["mode"] == "normal"
    before = len(await _log(env))

    r = await client.put("/disaster-mode", json=body, headers=env.auth("admin"))
    assert r.status == 200, await r.text()
    out = await r.json()
    assert (out["mode"], out["mode_label"]) == ("disaster", "災害")
    [change] = out["history"]
    assert (change["previous"], change["changed_by"], change["reason"]) == ("normal", "admin-user", body["reason"])
    assert change["menus"] == "none"  # nothing published: no menus to relink
    log = await _log(env)
    assert len(log) == before + 1 and log[-1].action == "disaster.switch" and log[-1].staff_login == "admin-user"
    r = await client.put("/disaster-mode", json=body, headers=env.auth("admin"))  # already so: nothing changes
    assert r.status == 200 and len((await r.json())["history"]) == 1 and len(await _log(env)) == before + 1


async def test_the_switch_relinks_the_prepared_menus_at_linesim(denv: AdminEnv, aiohttp_client) -> None:
    env, client = denv, await aiohttp_client(denv.app)
    main, _ = await make_tabs(env.db)
    async with env.db.write() as s:
        local = await services.create_menu(s, NOW, name="上町", chat_bar_text="上町のおしらせ",
                                           layout=Layout(columns=3, rows=2, tiles=TILES))
        emergency = await services.create_menu(s, NOW, name="災害時", chat_bar_text="災害時メニュー",
                                               layout=Layout(columns=3, rows=2, tiles=TILES))
        await services.set_targets(s, PROD, default_menu_id=main, segments=[("kamimachi", local.id)])  # type: ignore[list-item]
    r = await client.put(f"/disaster-mode/menus/disaster/{PROD}", json={"default_menu_id": emergency.id},
                         headers=env.auth("editor"))
    assert r.status == 403  # the public account's menus need richmenus.publish
    r = await client.put(f"/disaster-mode/menus/disaster/{PROD}", json={"default_menu_id": emergency.id},
                         headers=env.auth("admin"))
    assert r.status == 200, await r.text()
    resident = env.line.sim.for_channel(PROD).create_user("上町の住民")
    env.segments.by_segment["kamimachi"] = [resident]
    r = await client.post(f"/richmenu-accounts/{PROD}/publish", headers=env.auth("admin"))
    assert r.status in (200, 201), await r.text()
    menus_before = set(env.line.menus(PROD))
    assert len(menus_before) == 4  # two tabs, 上町, and the disaster menu standing by
    chat_bar = {rid: m["chatBarText"] for rid, m in env.line.menus(PROD).items()}
    assert chat_bar[env.line.links(PROD)[resident]] == "上町のおしらせ"

    r = await client.put("/disaster-mode", json={"mode": "disaster", "reason": "訓練", "confirm": True},
                         headers=env.auth("admin"))
    assert (await r.json())["history"][0]["menus"] == "applied"
    assert chat_bar[env.line.default(PROD)] == "災害時メニュー" and env.line.links(PROD) == {}
    assert set(env.line.menus(PROD)) == menus_before
    assert env.line.shown_to(PROD, resident)["chatBarText"] == "災害時メニュー"

    r = await client.put("/disaster-mode", json={"mode": "normal", "reason": "訓練終了", "confirm": True},
                         headers=env.auth("admin"))
    assert (await r.json())["history"][0]["menus"] == "applied"
    assert chat_bar[env.line.default(PROD)] == "メニュー" and chat_bar[env.line.links(PROD)[resident]] == "上町のおしらせ"
    assert set(env.line.menus(PROD)) == menus_before


async def test_shelter_staff_update_state_and_count(denv: AdminEnv, aiohttp_client) -> None:
    env, client = denv, await aiohttp_client(denv.app)
    async with env.db.write() as s:
        ids = await seed_shelters(s, read_shelters_file(REPO / "content" / "midori" / "shelters.yml"), NOW)
    assert len(ids) == 8
    r = await client.get("/shelters", headers=env.auth("viewer"))
    listed = await r.json()
    assert len(listed) == 8 and {x["state_label"] for x in listed} == {"未開設"}
    r = await client.put(f"/shelters/{ids[0]}", json={"state": "open", "occupancy": 35}, headers=env.auth("viewer"))
    assert r.status == 403
    r = await client.put(f"/shelters/{ids[0]}", json={"state": "crowded", "occupancy": 290},
                         headers=env.auth("facility"))
    assert r.status == 200, await r.text()
    out = await r.json()
    assert (out["state_label"], out["occupancy"], out["capacity"], out["updated_by"]) == ("混雑", 290, 320, "facility-user")
    assert out["kind_labels"] == ["指定避難所", "ペット可"]
    assert (await _log(env))[-1].action == "shelters.update"
    r = await client.put("/shelters/999999", json={"state": "open"}, headers=env.auth("admin"))
    assert r.status == 404
    r = await client.put(f"/shelters/{ids[0]}", json={"state": "somewhere"}, headers=env.auth("admin"))
    assert r.status == 422
