"""Two-factor sign-in through the admin API (酒田市 第5章 1(5)): enrol with a QR code, sign in with a
code, recovery codes, no replay, wrong codes lock like wrong passwords, roles that require it."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from sqlmodel import select

from civic.staff.models import OperationLog
from tests.admin_api.support import PASSWORD, AdminEnv


def code(secret: str, env: AdminEnv, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(env.clock.now() + timedelta(seconds=30 * steps))


async def enrol(env: AdminEnv, client, role: str) -> tuple[str, list[str]]:
    r = await client.post("/auth/two-factor/setup", headers=env.auth(role))
    assert r.status == 200
    setup = await r.json()
    assert setup["otpauth_uri"].startswith("otpauth://totp/") and f"{role}-user" in setup["otpauth_uri"]
    assert setup["qr_svg"].lstrip().startswith("<?xml") or "<svg" in setup["qr_svg"]
    wrong = await client.post("/auth/two-factor/enable", headers=env.auth(role), json={"code": "000000"})
    assert wrong.status == 422 and (await wrong.json())["error"]["field"] == "code"
    r = await client.post("/auth/two-factor/enable", headers=env.auth(role), json={"code": code(setup["secret"], env)})
    assert r.status == 200
    codes = (await r.json())["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    return setup["secret"], codes


async def login(client, role: str, otp: str | None = None):
    body = {"login": f"{role}-user", "password": PASSWORD}
    if otp is not None:
        body["otp"] = otp
    return await client.post("/auth/login", json=body)


async def test_enrol_then_sign_in_needs_the_code(env: AdminEnv, client) -> None:
    status = await (await client.get("/auth/two-factor", headers=env.auth("editor"))).json()
    assert status == {"enabled": False, "required": False, "must_enrol": False, "recovery_codes_left": 0}
    secret, _ = await enrol(env, client, "editor")
    env.clock.advance(timedelta(seconds=60))  # the enrolment's code is used; a later one signs in

    r = await login(client, "editor")
    body = await r.json()
    assert r.status == 401 and body["error"]["code"] == "otp_required" and body["error"]["field"] == "otp"
    assert "確認コード" in body["error"]["message"]

    r = await login(client, "editor", code(secret, env))
    assert r.status == 200 and (await r.json())["staff"]["login"] == "editor-user"

    # the same code again (a code read over a shoulder) is refused
    r = await login(client, "editor", code(secret, env))
    assert r.status == 401 and (await r.json())["error"]["code"] == "otp_wrong"
    # a phone 30 s fast still works
    env.clock.advance(timedelta(seconds=30))
    assert (await login(client, "editor", code(secret, env, steps=1))).status == 200


async def test_recovery_codes_work_once(env: AdminEnv, client) -> None:
    _, codes = await enrol(env, client, "viewer")
    r = await login(client, "viewer", codes[0].upper())  # typed in capitals, still fine
    assert r.status == 200
    r = await login(client, "viewer", codes[0])
    assert r.status == 401
    status = await (await client.get("/auth/two-factor", headers=env.auth("viewer"))).json()
    assert status["enabled"] is True and status["recovery_codes_left"] == 9


async def test_wrong_codes_lock_like_wrong_passwords_and_a_right_password_does_not_reset(env: AdminEnv, client) -> None:
    await enrol(env, client, "delivery")
    for n in range(4):
        r = await login(client, "delivery", "123456")
        body = await r.json()
        assert r.status == 401 and body["error"]["code"] == "otp_wrong", body
        assert f"あと{4 - n}回" in body["error"]["message"]
        # only the password, to see whether it resets the count: it must not
        assert (await login(client, "delivery")).status == 401
    r = await login(client, "delivery", "123456")
    assert r.status == 423 and (await r.json())["error"]["code"] == "account_locked"
    async with env.db.read() as s:
        failed = (await s.exec(select(OperationLog).where(OperationLog.action == "auth.login_failed"))).all()
    assert len(failed) == 5 and all("second_factor" in (f.after or "") for f in failed)


async def test_a_role_can_require_it_and_members_can_only_enrol(env: AdminEnv, client) -> None:
    roles = await (await client.get("/roles", headers=env.auth())).json()
    editor_role = next(r for r in roles if r["key"] == "editor")
    r = await client.put(f"/roles/{editor_role['id']}/two-factor", headers=env.auth(), json={"required": True})
    assert r.status == 200 and (await r.json())["required"] is True

    me = await (await client.get("/auth/me", headers=env.auth("editor"))).json()
    assert me["granted"] == []
    assert (await client.get("/richmenus", headers=env.auth("editor"))).status == 403
    status = await (await client.get("/auth/two-factor", headers=env.auth("editor"))).json()
    assert status["must_enrol"] is True

    secret, _ = await enrol(env, client, "editor")
    assert (await client.get("/richmenus", headers=env.auth("editor"))).status == 200
    # and cannot turn it off while the role requires it
    env.clock.advance(timedelta(seconds=60))
    r = await client.post("/auth/two-factor/disable", headers=env.auth("editor"), json={"code": code(secret, env)})
    assert r.status == 403 and "必須" in (await r.json())["error"]["message"]


async def test_disable_and_admin_reset(env: AdminEnv, client) -> None:
    secret, codes = await enrol(env, client, "facility")
    env.clock.advance(timedelta(seconds=60))
    r = await client.post("/auth/two-factor/disable", headers=env.auth("facility"), json={"code": "999999"})
    assert r.status == 422
    r = await client.post("/auth/two-factor/disable", headers=env.auth("facility"), json={"code": code(secret, env)})
    assert r.status == 204
    assert (await login(client, "facility")).status == 200

    await enrol(env, client, "counter")
    # a viewer may not reset anybody's; an administrator may
    r = await client.post(f"/staff/{env.staff_ids['counter']}/two-factor/reset", headers=env.auth("viewer"))
    assert r.status == 403
    r = await client.post(f"/staff/{env.staff_ids['counter']}/two-factor/reset", headers=env.auth())
    assert r.status == 204
    assert (await login(client, "counter")).status == 200
    async with env.db.read() as s:
        actions = [e.action for e in (await s.exec(select(OperationLog))).all()]
    assert "staff.two_factor_reset" in actions and "auth.two_factor_enable" in actions
    # the secret never reaches the operation log
    async with env.db.read() as s:
        logged = " ".join(f"{e.before} {e.after}" for e in (await s.exec(select(OperationLog))).all())
    assert secret not in logged and codes[0] not in logged
