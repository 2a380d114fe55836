"""Login, accounts and roles through the admin API."""

from __future__ import annotations

from datetime import timedelta

from tests.admin_api.support import PASSWORD, AdminEnv


async def test_login_me_logout(env: AdminEnv, client) -> None:
    r = await client.post("/auth/login", json={"login": "editor-user", "password": PASSWORD})
    assert r.status == 200
    body = await r.json()
    token = body["token"]
    assert body["staff"]["role"] == "editor" and "*.read" in body["staff"]["permissions"]
    granted = body["staff"]["granted"]
    assert "richmenus.edit" in granted and "stats.read" in granted and "richmenus.publish" not in granted
    assert "personal.view" not in granted and "staff.manage" not in granted
    auth = {"Authorization": f"Bearer {token}"}
    me = await (await client.get("/auth/me", headers=auth)).json()
    assert me["login"] == "editor-user" and me["display_name"] == "editor さん"
    assert (await client.post("/auth/logout", headers=auth)).status == 204
    r = await client.get("/auth/me", headers=auth)
    assert r.status == 401 and (await r.json())["error"]["code"] == "unauthenticated"


async def test_wrong_password_then_lockout_answers_423_in_japanese(env: AdminEnv, client) -> None:
    for _ in range(4):
        r = await client.post("/auth/login", json={"login": "viewer-user", "password": "nope"})
        assert r.status == 401
    r = await client.post("/auth/login", json={"login": "viewer-user", "password": "nope"})
    body = await r.json()
    assert r.status == 423 and body["error"]["code"] == "account_locked" and "ロック" in body["error"]["message"]
    r = await client.get("/staff", headers=env.auth())
    viewer = next(s for s in await r.json() if s["login"] == "viewer-user")
    assert viewer["locked"] is True
    r = await client.post(f"/staff/{viewer['id']}/unlock", headers=env.auth())
    assert r.status == 204
    r = await client.post("/auth/login", json={"login": "viewer-user", "password": PASSWORD})
    assert r.status == 200


async def test_expired_token_is_refused(env: AdminEnv, client) -> None:
    env.clock.advance(timedelta(hours=2, seconds=1))
    r = await client.get("/auth/me", headers=env.auth("viewer"))
    assert r.status == 401 and "有効期限" in (await r.json())["error"]["message"]


async def test_admin_creates_staff_with_a_custom_role(env: AdminEnv, client) -> None:
    r = await client.post("/roles", headers=env.auth(), json={
        "key": "kouhou", "name": "広報担当", "permissions": ["deliveries.*", "stats.read"]})
    assert r.status == 201
    role = await r.json()
    r = await client.post("/staff", headers=env.auth(), json={
        "login": "sato", "display_name": "佐藤", "password": "hello kunitomi", "role_id": role["id"]})
    assert r.status == 201 and (await r.json())["role"] == "kouhou"
    r = await client.post("/auth/login", json={"login": "sato", "password": "hello kunitomi"})
    token = (await r.json())["token"]
    r = await client.get("/stats/daily", headers={"Authorization": f"Bearer {token}"})
    assert r.status == 200 and (await r.json())[-1]["day"] == "2026-11-21"  # stats.read: today's figures
    r = await client.get("/staff", headers={"Authorization": f"Bearer {token}"})
    assert r.status == 403 and "staff.manage" in (await r.json())["error"]["message"]


async def test_errors_name_the_field_and_reason(env: AdminEnv, client) -> None:
    r = await client.post("/staff", headers=env.auth(), json={
        "login": "sato", "display_name": "佐藤", "password": "short", "role_id": 1})
    body = await r.json()
    assert r.status == 422 and body["error"]["field"] == "password" and "10文字以上" in body["error"]["message"]
    r = await client.post("/staff", headers=env.auth(), json={
        "login": "admin-user", "display_name": "重複", "password": "long enough pw", "role_id": 1})
    assert r.status == 409 and "admin-user" in (await r.json())["error"]["message"]
    r = await client.post("/roles", headers=env.auth(), json={"key": "x1", "name": "x", "permissions": ["stats.fly"]})
    body = await r.json()
    assert r.status == 422 and body["error"]["field"] == "permissions.0" and "stats.fly" in body["error"]["message"]
    r = await client.patch(f"/staff/{env.staff_ids['admin']}", headers=env.auth(), json={"active": False})
    assert r.status == 409 and (await r.json())["error"]["code"] == "last_administrator"
    r = await client.get("/staff/999", headers=env.auth())
    assert r.status == 404 and "999" in (await r.json())["error"]["message"]


async def test_password_change_keeps_this_session_and_ends_others(env: AdminEnv, client) -> None:
    other = (await client.post("/auth/login", json={"login": "editor-user", "password": PASSWORD}))
    other_token = (await other.json())["token"]
    r = await client.post("/auth/password", headers=env.auth("editor"),
                          json={"current_password": "wrong", "new_password": "new kunitomi pw"})
    assert r.status == 422 and (await r.json())["error"]["field"] == "current_password"
    r = await client.post("/auth/password", headers=env.auth("editor"),
                          json={"current_password": PASSWORD, "new_password": "new kunitomi pw"})
    assert r.status == 204
    assert (await client.get("/auth/me", headers=env.auth("editor"))).status == 200
    assert (await client.get("/auth/me", headers={"Authorization": f"Bearer {other_token}"})).status == 401


async def test_permissions_list_includes_routes_of_mounted_features(env: AdminEnv, client) -> None:
    r = await client.get("/permissions", headers=env.auth())
    names = {p["name"]: p for p in await r.json()}
    assert names["staff.manage"]["label"] == "職員アカウント・ロールの管理"
    assert "職員アカウント作成" in names["staff.manage"]["used_by"]
    assert "personal.view" in names
