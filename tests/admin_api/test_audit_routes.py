"""Every route that changes something writes an operation-log entry: who, what, before/after, from where."""

from __future__ import annotations

import io
from datetime import timedelta

import pyotp
from PIL import Image
from sqlmodel import select

from admin_api.keys import OPERATIONS
from admin_api.routing import MUTATING
from civic.staff.models import OperationLog
from tests.admin_api.support import PASSWORD, AdminEnv
from tests.richmenus.conftest import LINKS, TILES

#: Routes that change nothing although they are POSTs.
NOT_CHANGING = {("POST", "/richmenus/preview")}


def _png(width: int = 2500, height: int = 843) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#0D47A1").save(buffer, "PNG")
    return buffer.getvalue()


async def _entries(env: AdminEnv) -> list[OperationLog]:
    async with env.db.read() as s:
        return list((await s.exec(select(OperationLog).order_by(OperationLog.id))).all())


async def test_each_mutating_route_leaves_an_entry(env: AdminEnv, client) -> None:
    mutating = {(op.method, op.path) for op in env.app[OPERATIONS] if op.method in MUTATING} - NOT_CHANGING
    done: set[tuple[str, str]] = set()

    async def call(method: str, route: str, path: str, *, role: str = "admin", expect: int, json=None,
                   data: bytes | None = None, headers: dict | None = None, action: str | None = None) -> dict | None:
        before = len(await _entries(env))
        r = await client.request(method, path, json=json, data=data,
                                 headers={**env.auth(role), **(headers or {})} if role else headers)
        assert r.status == expect, (method, path, r.status, await r.text())
        entries = await _entries(env)
        assert len(entries) == before + 1, f"{method} {route} wrote {len(entries) - before} operation-log entries, not one"
        entry = entries[-1]
        assert entry.at == env.clock.now() and entry.remote == "127.0.0.1"
        if role:
            assert entry.staff_login == f"{role}-user" and entry.staff_id == env.staff_ids[role]
        if action:
            assert entry.action == action, (route, entry.action)
        done.add((method, route))
        return await r.json() if r.content_type == "application/json" else None

    role = await call("POST", "/roles", "/roles", expect=201, action="roles.create",
                      json={"key": "kouhou", "name": "広報担当", "permissions": ["stats.read"]})
    await call("PATCH", "/roles/{role_id:\\d+}", f"/roles/{role['id']}", expect=200, action="roles.update",
               json={"name": "広報"})
    entry = (await _entries(env))[-1]
    assert '"name": "広報担当"' in entry.before and '"name": "広報"' in entry.after
    staff = await call("POST", "/staff", "/staff", expect=201, action="staff.create",
                       json={"login": "sato", "display_name": "佐藤", "password": "kunitomi pw 1", "role_id": role["id"]})
    assert "kunitomi pw 1" not in ((await _entries(env))[-1].after or "")
    sid = staff["id"]
    await call("PATCH", "/staff/{staff_id:\\d+}", f"/staff/{sid}", expect=200, action="staff.update",
               json={"display_name": "佐藤 一郎", "role_id": 5})
    await call("POST", "/staff/{staff_id:\\d+}/password", f"/staff/{sid}/password", expect=204,
               action="staff.password_reset", json={"password": "another password"})
    await call("POST", "/staff/{staff_id:\\d+}/unlock", f"/staff/{sid}/unlock", expect=204, action="staff.unlock")
    await call("DELETE", "/roles/{role_id:\\d+}", f"/roles/{role['id']}", expect=204, action="roles.delete")

    group = await call("POST", "/richmenu-groups", "/richmenu-groups", expect=201, json={"name": "町のメニュー"},
                       action="richmenus.group_create")
    await call("PATCH", "/richmenu-groups/{group_id:\\d+}", f"/richmenu-groups/{group['id']}", expect=200,
               json={"name": "国富町メニュー"}, action="richmenus.group_update")
    main = await call("POST", "/richmenus", "/richmenus", role="editor", expect=201, action="richmenus.create",
                      json={"name": "メイン", "chat_bar_text": "メニュー", "group_id": group["id"], "tab_label": "メニュー",
                            "layout": {"tiles": TILES}})
    await call("POST", "/richmenus", "/richmenus", role="editor", expect=201, json={
        "name": "くらし", "chat_bar_text": "くらし", "group_id": group["id"], "tab_label": "くらしの情報",
        "layout": {"rows": 1, "tiles": LINKS}})
    await call("PATCH", "/richmenus/{menu_id:\\d+}", f"/richmenus/{main['id']}", role="editor", expect=200,
               json={"chat_bar_text": "町の窓口"}, action="richmenus.update")
    own = await call("POST", "/richmenus", "/richmenus", role="editor", expect=201, json={
        "name": "自作", "chat_bar_text": "自作", "size": {"width": 2500, "height": 843},
        "areas": [{"bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                   "action": {"type": "message", "text": "こんにちは"}}]})
    await call("PUT", "/richmenus/{menu_id:\\d+}/image", f"/richmenus/{own['id']}/image", role="editor", expect=200,
               data=_png(), headers={"Content-Type": "image/png"}, action="richmenus.image")
    for account, role_name in (("test", "editor"), ("production", "admin")):
        await call("PUT", f"/richmenu-accounts/{account}/targets", f"/richmenu-accounts/{account}/targets",
                   role=role_name, expect=200, json={"default_menu_id": main["id"]}, action="richmenus.targets")
        await call("POST", f"/richmenu-accounts/{account}/publish", f"/richmenu-accounts/{account}/publish",
                   role=role_name, expect=201, action="richmenus.publish")
        await call("POST", f"/richmenu-accounts/{account}/retry", f"/richmenu-accounts/{account}/retry",
                   role=role_name, expect=200, action="richmenus.retry")
        await call("POST", f"/richmenu-accounts/{account}/releases/{{number:\\d+}}/rollback",
                   f"/richmenu-accounts/{account}/releases/1/rollback", role=role_name, expect=201,
                   action="richmenus.rollback")
    await call("POST", "/richmenu-accounts/production/promote", "/richmenu-accounts/production/promote", expect=201,
               action="richmenus.promote")
    await call("DELETE", "/richmenus/{menu_id:\\d+}", f"/richmenus/{own['id']}", role="editor", expect=204,
               action="richmenus.delete")
    empty = await call("POST", "/richmenu-groups", "/richmenu-groups", expect=201, json={"name": "空"})
    await call("DELETE", "/richmenu-groups/{group_id:\\d+}", f"/richmenu-groups/{empty['id']}", expect=204,
               action="richmenus.group_delete")
    # two-factor sign-in: enrol, new recovery codes, turn off; an administrator's reset; a role requiring it
    setup = await call("POST", "/auth/two-factor/setup", "/auth/two-factor/setup", role="editor", expect=200,
                       action="auth.two_factor_setup")
    assert setup is not None
    totp = pyotp.TOTP(setup["secret"])
    await call("POST", "/auth/two-factor/enable", "/auth/two-factor/enable", role="editor", expect=200,
               json={"code": totp.at(env.clock.now())}, action="auth.two_factor_enable")
    env.clock.advance(timedelta(seconds=30))
    await call("POST", "/auth/two-factor/recovery-codes", "/auth/two-factor/recovery-codes", role="editor",
               expect=200, json={"code": totp.at(env.clock.now())}, action="auth.two_factor_recovery_codes")
    env.clock.advance(timedelta(seconds=30))
    await call("POST", "/auth/two-factor/disable", "/auth/two-factor/disable", role="editor", expect=204,
               json={"code": totp.at(env.clock.now())}, action="auth.two_factor_disable")
    await call("POST", "/staff/{staff_id:\\d+}/two-factor/reset", f"/staff/{env.staff_ids['editor']}/two-factor/reset",
               expect=204, action="staff.two_factor_reset")
    viewer_role = next(r for r in await (await client.get("/roles", headers=env.auth())).json() if r["key"] == "viewer")
    await call("PUT", "/roles/{role_id:\\d+}/two-factor", f"/roles/{viewer_role['id']}/two-factor", expect=200,
               json={"required": True}, action="role.two_factor")
    await call("POST", "/auth/password", "/auth/password", role="viewer", expect=204, action="staff.password_change",
               json={"current_password": PASSWORD, "new_password": "viewer new pw"})
    await call("POST", "/auth/logout", "/auth/logout", role="viewer", expect=204, action="auth.logout")
    await call("POST", "/auth/login", "/auth/login", role="", expect=200, action="auth.login",
               json={"login": "facility-user", "password": PASSWORD})
    assert mutating - done == set()


async def test_a_failed_publish_is_logged_with_its_reason(env: AdminEnv, client) -> None:
    r = await client.post("/richmenus", headers=env.auth("editor"), json={
        "name": "メイン", "chat_bar_text": "メニュー", "layout": {"columns": 2, "rows": 1, "tiles": TILES[:2]}})
    menu = await r.json()
    await client.put("/richmenu-accounts/test/targets", headers=env.auth("editor"), json={"default_menu_id": menu["id"]})
    env.line.fail("POST", "/v2/bot/richmenu", status=500)  # creating the menu
    r = await client.post("/richmenu-accounts/test/publish", headers=env.auth("editor"))
    body = await r.json()
    assert r.status == 503 and body["error"]["code"] == "publish_failed" and "再実行" in body["error"]["message"]
    entry = (await _entries(env))[-1]
    assert entry.action == "richmenus.publish_failed" and "再実行" in entry.after
    r = await client.post("/richmenu-accounts/test/retry", headers=env.auth("editor"))
    assert r.status == 200 and (await r.json())["status"] == "applied"


async def test_a_route_that_forgets_to_log_is_caught_by_the_framework(sqlite_db, aiohttp_client) -> None:
    from pydantic import BaseModel

    from admin_api.app import create_admin_app
    from admin_api.routing import ApiRouter, Call
    from civic.clock import FrozenClock
    from civic.staff.audit import Auditor
    from tests.admin_api.support import NOW
    from tests.admin_api.test_framework import Tokens

    class Note(BaseModel):
        text: str

    router = ApiRouter("notes")

    @router.route("POST", "/notes", summary="メモ", permission="things.edit", body=Note, status=201, response=Note)
    async def add_note(call: Call) -> Note:
        return call.body

    client = await aiohttp_client(create_admin_app(Tokens(), [router], auditor=Auditor(sqlite_db, FrozenClock(NOW))))
    r = await client.post("/notes", json={"text": "hello", }, headers={"Authorization": "Bearer editor"})
    assert r.status == 201
    async with sqlite_db.read() as s:
        entry = (await s.exec(select(OperationLog))).one()
    assert (entry.action, entry.staff_login, entry.target_type) == ("notes.add_note", "editor", "notes")
    assert '"text": "hello"' in entry.after
