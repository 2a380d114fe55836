"""Rich menus through the admin API: errors staff can act on, images, tabs, publishing rights."""

from __future__ import annotations

import io

from PIL import Image

from tests.admin_api.support import AdminEnv
from tests.richmenus.conftest import LINKS, TILES


def _png(width: int, height: int, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#0D47A1").save(buffer, fmt)
    return buffer.getvalue()


def _area(x: int, y: int, w: int, h: int, data: str = "action=faq", label: str | None = None) -> dict:
    area = {"bounds": {"x": x, "y": y, "width": w, "height": h}, "action": {"type": "postback", "data": data}}
    if label:
        area["label"] = label
    return area


async def test_own_design_problems_name_the_area(env: AdminEnv, client) -> None:
    r = await client.post("/richmenus", headers=env.auth("editor"), json={
        "name": "自作", "chat_bar_text": "メニュー", "size": {"width": 2500, "height": 843},
        "areas": [_area(0, 0, 1300, 843, label="ごみ"), _area(1250, 0, 1300, 843, label="施設")]})
    assert r.status == 201
    menu = await r.json()
    messages = [p["message"] for p in menu["problems"]]
    assert any("領域2（施設）: 右端が画像の幅（2500ピクセル）をはみ出しています" in m for m in messages)
    assert any("領域2（施設）が領域1（ごみ）と重なっています" in m for m in messages)
    assert any("画像がありません" in m for m in messages)
    r = await client.patch(f"/richmenus/{menu['id']}", headers=env.auth("editor"),
                           json={"areas": [_area(0, 0, 1250, 843), _area(1250, 0, 1250, 843)]})
    r = await client.put(f"/richmenus/{menu['id']}/image", headers={**env.auth("editor"), "Content-Type": "image/png"},
                         data=_png(2500, 1686))
    body = await r.json()
    assert r.status == 422 and body["error"]["field"] == "image" and "2500×1686" in body["error"]["message"]
    r = await client.put(f"/richmenus/{menu['id']}/image", headers={**env.auth("editor"), "Content-Type": "image/gif"},
                         data=b"GIF89a")
    assert r.status == 415 and "image/png" in (await r.json())["error"]["message"]
    r = await client.put(f"/richmenus/{menu['id']}/image", headers={**env.auth("editor"), "Content-Type": "image/jpeg"},
                         data=_png(2500, 843, "JPEG"))
    menu = await r.json()
    assert r.status == 200 and menu["problems"] == [] and menu["image"]["content_type"] == "image/jpeg"
    r = await client.get(f"/richmenus/{menu['id']}/image", headers=env.auth("viewer"))
    assert r.status == 200 and r.headers["Content-Type"] == "image/jpeg"


async def test_model_errors_speak_of_areas_and_tiles(env: AdminEnv, client) -> None:
    r = await client.post("/richmenus", headers=env.auth("editor"), json={
        "name": "x", "chat_bar_text": "x", "areas": [_area(0, 0, 100, 100), {**_area(-5, 0, 100, 100)}]})
    body = await r.json()
    assert r.status == 422 and body["error"]["field"] == "areas.1.bounds.x"
    assert body["error"]["message"] == "領域2: 0以上の値を入力してください。"
    r = await client.post("/richmenus", headers=env.auth("editor"), json={
        "name": "x", "chat_bar_text": "x", "layout": {"tiles": [{"label": "ごみ", "action": {"type": "teleport"}}]}})
    body = await r.json()
    assert body["error"]["field"].startswith("layout.tiles.0.action") and body["error"]["message"].startswith("タイル1: 種類（type）")
    r = await client.post("/richmenus", headers=env.auth("editor"), json={
        "name": "x", "chat_bar_text": "x", "layout": {"tiles": TILES + TILES[:1]}})
    assert "3列×2行のマスに収まりません" in (await r.json())["error"]["message"]
    r = await client.post("/richmenus", headers=env.auth("editor"), json={
        "name": "x", "chat_bar_text": "15文字を超えるチャットバーの文字", "layout": {"tiles": TILES}})
    body = await r.json()
    assert body["error"]["field"] == "chat_bar_text" and "14文字以内" in body["error"]["message"]


async def test_tabs_are_redrawn_when_the_group_changes(env: AdminEnv, client) -> None:
    group = await (await client.post("/richmenu-groups", headers=env.auth("editor"), json={"name": "町"})).json()
    main = await (await client.post("/richmenus", headers=env.auth("editor"), json={
        "name": "メイン", "chat_bar_text": "メニュー", "group_id": group["id"], "tab_label": "メニュー",
        "layout": {"tiles": TILES}})).json()
    assert [a["action"]["type"] for a in main["areas"]].count("richmenuswitch") == 0  # alone: no tab strip
    living = await (await client.post("/richmenus", headers=env.auth("editor"), json={
        "name": "くらし", "chat_bar_text": "くらし", "group_id": group["id"], "tab_label": "くらしの情報",
        "layout": {"rows": 1, "tiles": LINKS}})).json()
    main = await (await client.get(f"/richmenus/{main['id']}", headers=env.auth("viewer"))).json()
    switches = [a for a in main["areas"] if a["action"]["type"] == "richmenuswitch"]
    assert [(s["label"], s["action"]["menu_id"]) for s in switches] == [("くらしの情報", living["id"])]
    r = await client.patch(f"/richmenus/{living['id']}", headers=env.auth("editor"), json={"tab_label": "生活"})
    main = await (await client.get(f"/richmenus/{main['id']}", headers=env.auth("viewer"))).json()
    assert [a["label"] for a in main["areas"] if a["action"]["type"] == "richmenuswitch"] == ["生活"]
    r = await client.delete(f"/richmenu-groups/{group['id']}", headers=env.auth("editor"))
    assert r.status == 409 and "メニューが2個" in (await r.json())["error"]["message"]
    groups = await (await client.get("/richmenu-groups", headers=env.auth("viewer"))).json()
    assert [m["tab_label"] for m in groups[0]["menus"]] == ["メニュー", "生活"]


async def test_test_account_first_then_production(env: AdminEnv, client) -> None:
    menu = await (await client.post("/richmenus", headers=env.auth("editor"), json={
        "name": "メイン", "chat_bar_text": "メニュー", "layout": {"tiles": TILES}})).json()
    r = await client.put("/richmenu-accounts/test/targets", headers=env.auth("editor"),
                         json={"default_menu_id": menu["id"], "segments": [{"segment_id": "kosodate", "menu_id": 999}]})
    assert r.status == 404 and "999" in (await r.json())["error"]["message"]
    r = await client.put("/richmenu-accounts/test/targets", headers=env.auth("editor"), json={"default_menu_id": menu["id"]})
    assert r.status == 200
    r = await client.post("/richmenu-accounts/test/publish", headers=env.auth("editor"))
    release = await r.json()
    assert r.status == 201 and release["status"] == "applied" and release["menu_ids"] == [menu["id"]]
    assert env.line.default("test") is not None and env.line.default("production") is None
    r = await client.post("/richmenu-accounts/production/promote", headers=env.auth("editor"))
    assert r.status == 403 and "richmenus.publish" in (await r.json())["error"]["message"]
    r = await client.post("/richmenu-accounts/production/promote", headers=env.auth())
    assert r.status == 201 and (await r.json())["source"] == "promote:test#1"
    assert env.line.default("production") is not None
    r = await client.delete(f"/richmenus/{menu['id']}", headers=env.auth("editor"))
    assert r.status == 409 and "表示設定から外して" in (await r.json())["error"]["message"]
    releases = await (await client.get("/richmenu-accounts/test/releases", headers=env.auth("viewer"))).json()
    assert [(x["number"], x["created_by"]) for x in releases] == [(1, "editor-user")]


async def test_preview_renders_without_saving(env: AdminEnv, client) -> None:
    r = await client.post("/richmenus/preview", headers=env.auth("editor"),
                          json={"layout": {"tiles": TILES}, "tabs": ["メニュー", "くらし"], "current": 1})
    assert r.status == 200 and r.headers["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(await r.read())).size == (2500, 1686)
    r = await client.post("/richmenus/preview", headers=env.auth("editor"),
                          json={"layout": {"tiles": TILES}, "tabs": ["メニュー"], "current": 3})
    assert r.status == 422 and (await r.json())["error"]["field"] == "current"
    assert await (await client.get("/richmenus", headers=env.auth("viewer"))).json() == []
