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


async def test_sign_in_does_not_tell_which_ids_exist_and_throttles_an_address(env: AdminEnv, client) -> None:
    known = await client.post("/auth/login", json={"login": "viewer-user", "password": "nope"})
    unknown = await client.post("/auth/login", json={"login": "no-such-user", "password": "nope"})
    assert known.status == unknown.status == 401 and await known.json() == await unknown.json()
    for n in range(18):  # 20 failures from one address within 15 minutes
        r = await client.post("/auth/login", json={"login": f"guess-{n}", "password": "nope"})
        assert r.status == 401
    r = await client.post("/auth/login", json={"login": "admin-user", "password": PASSWORD})
    error = (await r.json())["error"]
    assert r.status == 429 and error["code"] == "address_throttled" and "接続元" in error["message"]
    env.clock.advance(timedelta(minutes=15))
    r = await client.post("/auth/login", json={"login": "admin-user", "password": PASSWORD})
    assert r.status == 200


async def _staff_manager(env: AdminEnv, client, permissions: list[str]) -> tuple[dict[str, str], int]:
    r = await client.post("/roles", headers=env.auth(), json={"key": "jinji", "name": "人事担当",
                                                              "permissions": permissions})
    role_id = (await r.json())["id"]
    r = await client.post("/staff", headers=env.auth(), json={
        "login": "jinji", "display_name": "人事", "password": PASSWORD, "role_id": role_id})
    me = (await r.json())["id"]
    token = (await (await client.post("/auth/login", json={"login": "jinji", "password": PASSWORD})).json())["token"]
    return {"Authorization": f"Bearer {token}"}, me


async def _role_ids(env: AdminEnv, client) -> dict[str, int]:
    return {r["key"]: r["id"] for r in await (await client.get("/roles", headers=env.auth())).json()}


async def test_nobody_changes_their_own_role_or_grants_what_they_do_not_hold(env: AdminEnv, client) -> None:
    jinji, me = await _staff_manager(env, client, ["staff.manage", "*.read", "procedures.stats"])
    roles = await _role_ids(env, client)
    r = await client.patch(f"/staff/{me}", headers=jinji, json={"role_id": roles["admin"]})
    error = (await r.json())["error"]
    assert r.status == 403 and error["code"] == "own_role" and error["field"] == "role_id"
    r = await client.patch(f"/staff/{env.staff_ids['viewer']}", headers=jinji, json={"role_id": roles["admin"]})
    error = (await r.json())["error"]
    assert r.status == 403 and error["code"] == "permission_not_held" and "管理者" in error["message"] and "*" in error["message"]
    r = await client.post("/staff", headers=jinji, json={"login": "mallory", "display_name": "M", "password": PASSWORD,
                                                        "role_id": roles["facility"]})
    assert r.status == 403 and "facilities.*" in (await r.json())["error"]["message"]
    for permissions in (["*"], ["staff.manage", "bookings.manage"], ["personal.view"]):
        r = await client.post("/roles", headers=jinji, json={"key": "sneaky", "name": "x", "permissions": permissions})
        assert r.status == 403 and (await r.json())["error"]["field"] == "permissions", permissions
    r = await client.post("/roles", headers=jinji, json={"key": "stats", "name": "統計", "permissions": ["stats.read"]})
    assert r.status == 201  # stats.read is covered by *.read
    r = await client.patch(f"/roles/{roles['editor']}", headers=jinji, json={"name": "編集係"})
    assert r.status == 403  # the editor role holds richmenus.edit, which jinji does not
    r = await client.post(f"/staff/{env.staff_ids['admin']}/password", headers=jinji, json={"password": "taken over 2026"})
    assert r.status == 403  # no taking over an administrator's account
    r = await client.patch(f"/staff/{env.staff_ids['viewer']}", headers=jinji, json={"display_name": "閲覧 花子"})
    assert r.status == 200  # within their own permissions they manage as before
    r = await client.patch(f"/staff/{env.staff_ids['admin']}", headers=env.auth(), json={"role_id": roles["viewer"]})
    assert r.status == 403 and (await r.json())["error"]["code"] == "own_role"  # administrators too
    r = await client.get("/operation-logs", headers=env.auth(), params={"action": "staff.update"})
    assert [e["target_id"] for e in (await r.json())["items"]] == [str(env.staff_ids["viewer"])]


async def test_the_last_administrator_stays(env: AdminEnv, client) -> None:
    roles = await _role_ids(env, client)
    r = await client.post("/staff", headers=env.auth(), json={
        "login": "kanri2", "display_name": "管理 二郎", "password": PASSWORD, "role_id": roles["admin"]})
    second = (await r.json())["id"]
    r = await client.patch(f"/staff/{second}", headers=env.auth(), json={"active": False})
    assert r.status == 200  # another administrator remains
    r = await client.patch(f"/staff/{env.staff_ids['admin']}", headers=env.auth(), json={"active": False})
    assert r.status == 409 and (await r.json())["error"]["code"] == "last_administrator"
    r = await client.post("/roles", headers=env.auth(), json={"key": "boss", "name": "ボス", "permissions": ["*"]})
    boss = (await r.json())["id"]
    r = await client.patch(f"/staff/{second}", headers=env.auth(), json={"active": True, "role_id": boss})
    assert r.status == 200
    r = await client.patch(f"/roles/{boss}", headers=env.auth(), json={"permissions": ["staff.manage"]})
    assert r.status == 200  # admin-user still holds *
    r = await client.patch(f"/staff/{env.staff_ids['admin']}", headers=env.auth(), json={"active": False})
    assert r.status == 409  # managing staff is not enough: nobody could make an administrator again
    r = await client.patch(f"/staff/{second}", headers=env.auth(), json={"role_id": roles["admin"]})
    r = await client.patch(f"/staff/{env.staff_ids['admin']}", headers=env.auth(), json={"active": False})
    assert r.status == 200
