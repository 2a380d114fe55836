"""``/maintenance``: staff schedule the maintenance notice (国富町 §5(イ), §8(4)(ア)) — permission, checks,
the operation log — and the pages' ``/api/maintenance`` shows it. Built as ``serve`` builds it."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from admin_api.app import PREFIX
from bot.appkeys import CLOCK, DATABASE
from civic.clock import TOKYO
from civic.staff.models import OperationLog
from civic.staff.services import create_staff

PASSWORD = "staff-pass-2026"


async def _tokens(service) -> dict[str, dict[str, str]]:
    db, clock = service.app[DATABASE], service.app[CLOCK]
    tokens = {}
    for login, role in (("kanri", "admin"), ("etsuran", "viewer")):
        await create_staff(db, clock, login, PASSWORD, login, role)
        r = await service.client.post(f"{PREFIX}/auth/login", json={"login": login, "password": PASSWORD})
        tokens[role] = {"Authorization": f"Bearer {(await r.json())['token']}"}
    return tokens


async def _log(service) -> list[OperationLog]:
    async with service.app[DATABASE].read() as s:
        return list((await s.exec(select(OperationLog).where(OperationLog.action.startswith("maintenance."))  # type: ignore[union-attr]
                                  .order_by(OperationLog.id))).all())


async def test_staff_schedule_change_and_cancel_the_notice(service) -> None:
    client, clock = service.client, service.app[CLOCK]
    tokens = await _tokens(service)
    start = (clock.now() + timedelta(days=2)).astimezone(TOKYO).replace(hour=22, minute=0, second=0, microsecond=0)
    body = {"starts_at": start.strftime("%Y-%m-%dT%H:%M"), "ends_at": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "message": "サーバーの点検のため、予約と通報の受付を停止します。"}

    r = await client.get(f"{PREFIX}/maintenance", headers=tokens["admin"])
    assert r.status == 200 and await r.json() is None
    assert (await client.put(f"{PREFIX}/maintenance", json=body, headers=tokens["viewer"])).status == 403
    bad = await client.put(f"{PREFIX}/maintenance", json={**body, "ends_at": body["starts_at"]}, headers=tokens["admin"])
    assert bad.status == 422 and (await bad.json())["error"]["field"] == "ends_at"
    far = await client.put(f"{PREFIX}/maintenance", json={**body, "ends_at": "9999-12-31T23:59-23:59"},
                           headers=tokens["admin"])
    assert far.status == 422 and (await far.json())["error"]["field"] == "ends_at"
    blank = await client.put(f"{PREFIX}/maintenance", json={**body, "message": "　 "}, headers=tokens["admin"])
    assert blank.status == 422 and (await blank.json())["error"]["field"] == "message"
    assert await _log(service) == []

    r = await client.put(f"{PREFIX}/maintenance", json=body, headers=tokens["admin"])
    got = await r.json()
    assert r.status == 200 and got["starts_at"] == start.isoformat() and got["active"] is False
    (entry,) = await _log(service)
    assert entry.action == "maintenance.update" and entry.staff_login == "kanri" and entry.before is None
    assert json.loads(entry.after)["message"] == body["message"]
    public = await client.get("/api/maintenance")  # no sign-in: the citizens' pages read it
    assert (await public.json())["notice"]["message"] == body["message"]

    r = await client.delete(f"{PREFIX}/maintenance", headers=tokens["admin"])
    assert r.status == 204
    assert [e.action for e in await _log(service)] == ["maintenance.update", "maintenance.cancel"]
    assert (await (await client.get("/api/maintenance")).json()) == {"notice": None}
    assert (await client.delete(f"{PREFIX}/maintenance", headers=tokens["admin"])).status == 404


async def test_pages_load_the_banner_and_the_web_chat_answers_with_the_notice(service) -> None:
    from civic.maintenance.services import Notice, schedule
    from liff.page import MAINTENANCE_TAG

    client, clock, db = service.client, service.app[CLOCK], service.app[DATABASE]
    for page in ("/liff/booking/", "/liff/forms/", "/liff/webchat/"):
        r = await client.get(page)
        assert r.status == 200 and MAINTENANCE_TAG in await r.text(), page
    script = await client.get("/api/maintenance.js")
    assert script.status == 200 and script.content_type == "text/javascript"
    assert "/api/maintenance" in await script.text()

    r = await client.post("/liff/webchat/api/messages", json={"text": "こんにちは"})
    assert r.status == 200 and "メンテナンス" not in json.dumps(await r.json(), ensure_ascii=False)
    now = clock.now()
    async with db.write() as s:
        await schedule(s, Notice(now - timedelta(minutes=5), now + timedelta(hours=1), "点検中です。"), by="kanri", now=now)
    r = await client.post("/liff/webchat/api/messages", json={"text": "ごみの出し方"})
    [message] = (await r.json())["messages"]
    assert "メンテナンス中" in message["text"] and "点検中です。" in message["text"]
