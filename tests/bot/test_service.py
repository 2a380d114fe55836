"""The whole service as ``serve`` builds it: every feature mounted, staff login, permissions known."""

from __future__ import annotations

import pytest

from admin_api.app import PREFIX
from bot.appkeys import CLOCK, DATABASE, DIALOGUE_SERVICES, MENU_RELINKER, PUBLISHER
from bot.service import build_service
from civic.procedures.payload import reference
from civic.staff.permissions import CATALOGUE
from civic.staff.services import create_staff
from tests.bot.helpers import make_settings


@pytest.fixture(scope="module")
def knowledge():
    from bot.dialogue_wiring import build_knowledge

    return build_knowledge(make_settings("sqlite+aiosqlite://"))


async def test_every_feature_is_mounted_and_staff_can_log_in(aiohttp_client, sqlite_db, knowledge) -> None:
    app = build_service(make_settings(sqlite_db.url), knowledge=knowledge)
    client = await aiohttp_client(app)
    # the form flow relinks through the publisher the LIFF forms page uses
    assert app[DIALOGUE_SERVICES].menus is app[MENU_RELINKER]
    assert app[MENU_RELINKER].relink == app[PUBLISHER].relink_citizen
    for path in ("/liff/booking/", "/liff/procedures/", "/liff/webchat/", "/liff/map/", "/liff/forms/", "/healthz",
                 "/open311/v2/services.json", f"{PREFIX}/openapi.json"):
        r = await client.get(path)
        assert r.status == 200, path
    r = await client.get(f"{PREFIX}/facilities")
    assert r.status == 401 and (await r.json())["error"]["code"] == "unauthenticated"
    await create_staff(app[DATABASE], app[CLOCK], "kanri", "correct horse battery", "管理 太郎", "admin")
    r = await client.post(f"{PREFIX}/auth/login", json={"login": "kanri", "password": "correct horse battery"})
    assert r.status == 200
    token = (await r.json())["token"]
    r = await client.get(f"{PREFIX}/facilities", headers={"Authorization": f"Bearer {token}"})
    assert r.status == 200


async def test_every_route_permission_is_in_the_catalogue(aiohttp_client, sqlite_db, knowledge) -> None:
    """Roles are built from the catalogue: a route whose permission is missing there is unreachable
    for every role but the administrator."""
    client = await aiohttp_client(build_service(make_settings(sqlite_db.url), knowledge=knowledge))
    document = await (await client.get(f"{PREFIX}/openapi.json")).json()
    used = {op["x-permission"] for ops in document["paths"].values() for op in ops.values() if "x-permission" in op}
    assert used and used <= set(CATALOGUE), used - set(CATALOGUE)


async def test_nlu_parse_endpoint_answers_in_rasa_shape(aiohttp_client, sqlite_db, knowledge) -> None:
    client = await aiohttp_client(build_service(make_settings(sqlite_db.url), knowledge=knowledge))
    r = await client.post("/api/nlu/parse", json={"text": "スプレー缶の捨て方を教えて"})
    body = await r.json()
    assert r.status == 200 and body["intent"]["name"] == "garbage_lookup"
    assert {"text", "intent", "intent_ranking", "entities"} <= set(body)
    r = await client.post("/api/nlu/parse", data=b"{broken")
    assert r.status == 400 and (await r.json())["error"]["field"] == ""
    r = await client.post("/api/nlu/parse", json={"text": 5})
    assert r.status == 400 and (await r.json())["error"]["field"] == "text"


async def test_counter_staff_log_in_with_id_and_password_and_open_a_code(
        aiohttp_server, sqlite_db, knowledge, page) -> None:
    """小郡市 8(6): the counter page needs a staff login; here the service's real staff accounts."""
    app = build_service(make_settings(sqlite_db.url), knowledge=knowledge)
    server = await aiohttp_server(app)
    await create_staff(app[DATABASE], app[CLOCK], "madoguchi1", "counter pass 2026", "窓口 一郎", "counter")
    base = str(server.make_url("/liff/procedures"))
    api = page.request
    token = (await (await api.post(f"{base}/api/sessions", data={"event": "shomei"})).json())["token"]
    for qid, value in [("kind", "jumin"), ("requester", "self"), ("card", "no")]:
        await api.post(f"{base}/api/sessions/{token}/answer", data={"question_id": qid, "value": value})
    household = {"people": [{"name": "山田 花子", "kana": "ヤマダ ハナコ", "birth_date": "1990-01-01", "sex": "女",
                             "relationship": "世帯主"}],
                 "addresses": {"current": {"postal_code": "8390901", "detail": "1番地"}}}
    await api.put(f"{base}/api/sessions/{token}/household", data={"household": household})
    code = (await (await api.post(f"{base}/api/sessions/{token}/qr", data={})).json())["codes"][0]["text"]

    await page.goto(f"{base}/counter")
    await page.locator("#staff-login").fill("madoguchi1")
    await page.locator("#staff-password").fill("wrong password")
    await page.get_by_role("button", name="ログイン").click()
    await page.locator("#login-error", has_text="パスワード").wait_for()
    await page.locator("#staff-password").fill("counter pass 2026")
    await page.get_by_role("button", name="ログイン").click()
    await page.locator("#login-status", has_text="ログインしています").wait_for()
    await page.locator("#qr-text").fill(code)
    await page.get_by_role("button", name="読み取る").click()
    await page.locator("#ticket").wait_for(state="visible")
    assert "山田\u3000花子" in await page.locator("#t-people").text_content()
    assert reference(code) in await page.locator("#t-issued").text_content()

    # 小郡市 §12(4): the opening is in the staff operation log, under the staff member who opened it
    await create_staff(app[DATABASE], app[CLOCK], "kansa1", "audit pass 2026", "監査 一郎", "admin")
    login = await api.post(str(server.make_url(f"{PREFIX}/auth/login")),
                           data={"login": "kansa1", "password": "audit pass 2026"})
    auth = {"Authorization": f"Bearer {(await login.json())['token']}"}
    r = await api.get(str(server.make_url(f"{PREFIX}/operation-logs")), headers=auth,
                      params={"action": "procedures.counter_open"})
    [entry] = (await r.json())["items"]
    assert (entry["staff_login"], entry["target_id"]) == ("madoguchi1", reference(code))
    assert entry["after"]["event"] == "shomei" and "山田" not in str(entry)


async def test_tab_switches_stay_silent_and_other_postbacks_reach_the_dialogues(sqlite_db) -> None:
    from datetime import UTC, datetime

    from bot.service import RichMenuTaps
    from bot.turn import Turn
    from richmenus.render import SWITCH_DATA_PREFIX

    class Inner:
        def __init__(self) -> None:
            self.seen: list[str] = []

        async def handle(self, turn: Turn) -> None:
            self.seen.append(turn.postback["data"])
            turn.say({"type": "text", "text": "はい"})

    inner = Inner()
    taps = RichMenuTaps(inner)
    now = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
    async with sqlite_db.write() as session:
        for data in (f"{SWITCH_DATA_PREFIX}living", "action=garbage"):
            turn = Turn("production", "U1", {"type": "postback", "postback": {"data": data}}, now, session, {})
            await taps.handle(turn)
            assert bool(turn.replies) == (data == "action=garbage")
    assert inner.seen == ["action=garbage"]
    assert await taps.prepare({"type": "postback"}) is None


async def test_nlu_parse_is_rate_limited_per_client_behind_trusted_proxies(aiohttp_client, sqlite_db, knowledge) -> None:
    from civic.client_address import parse_networks

    settings = make_settings(sqlite_db.url, trusted_proxies=parse_networks("127.0.0.1/32"))
    client = await aiohttp_client(build_service(settings, knowledge=knowledge))

    async def parse(forwarded_for: str):
        return await client.post("/api/nlu/parse", json={"text": "粗大ごみ"}, headers={"X-Forwarded-For": forwarded_for})

    for _ in range(60):
        assert (await parse("198.51.100.1")).status == 200
    r = await parse("198.51.100.1")
    body = await r.json()
    assert r.status == 429 and r.headers["Retry-After"] == "60" and "1分ほど待って" in body["error"]["message"]
    assert (await parse("198.51.100.2")).status == 200  # the limit is per citizen, not per proxy
    assert (await parse("198.51.100.2, 198.51.100.1")).status == 429  # .1 naming .2 on the left is still .1


async def test_the_operation_log_records_the_client_behind_a_trusted_proxy(aiohttp_client, sqlite_db, knowledge) -> None:
    from sqlmodel import select

    from civic.client_address import parse_networks
    from civic.staff.models import OperationLog

    app = build_service(make_settings(sqlite_db.url, trusted_proxies=parse_networks("127.0.0.0/8")), knowledge=knowledge)
    client = await aiohttp_client(app)
    await create_staff(app[DATABASE], app[CLOCK], "kanri", "correct horse battery", "管理 太郎", "admin")
    r = await client.post(f"{PREFIX}/auth/login", json={"login": "kanri", "password": "correct horse battery"},
                          headers={"X-Forwarded-For": "203.0.113.77"})
    assert r.status == 200
    async with app[DATABASE].read() as s:
        entry = (await s.exec(select(OperationLog).where(OperationLog.action == "auth.login"))).one()
    assert entry.remote == "203.0.113.77"


async def test_open311_reads_as_the_town_settings_say(aiohttp_client, sqlite_db, knowledge) -> None:
    from bot.settings import SettingsError

    client = await aiohttp_client(build_service(make_settings(sqlite_db.url), knowledge=knowledge))
    assert (await client.get("/open311/v2/requests.json")).status == 404  # published by nobody's default
    settings = make_settings(sqlite_db.url, open311_publish=True, open311_api_keys=("k-1",),
                             open311_private_categories=("illegal_dumping",))
    client = await aiohttp_client(build_service(settings, knowledge=knowledge))
    assert (await client.get("/open311/v2/requests.json")).status == 403
    assert (await client.get("/open311/v2/requests.json", params={"api_key": "k-1"})).status == 200
    with pytest.raises(SettingsError) as err:
        build_service(make_settings(sqlite_db.url, open311_private_categories=("ufo",)), knowledge=knowledge)
    assert err.value.variable == "OPEN311_PRIVATE_CATEGORIES" and "ufo" in str(err.value)


async def test_the_dialogue_timeout_is_the_settings(aiohttp_client, sqlite_db, knowledge) -> None:
    from datetime import timedelta

    app = build_service(make_settings(sqlite_db.url, dialogue_timeout_minutes=10), knowledge=knowledge)
    await aiohttp_client(app)
    assert app[DIALOGUE_SERVICES].timeout == timedelta(minutes=10)


def test_the_worker_builds_no_http_features(sqlite_db, knowledge, monkeypatch) -> None:
    """The worker runs turns only: no staff API router, LIFF page, console, auditor or staff sessions
    is built in it (they are the web process's), while the inline service builds them all."""
    from aiohttp import web

    import admin_api.routing
    import bot.service
    from bot.service import Role
    from civic.staff.audit import Auditor
    from civic.staff.sessions import StaffSessions

    built: list[str] = []
    for cls in (admin_api.routing.ApiRouter, Auditor, StaffSessions, bot.service.HttpIdTokenVerifier):
        original = cls.__init__

        def counting(self, *args, _original=original, _name=cls.__name__, **kw) -> None:
            built.append(_name)
            _original(self, *args, **kw)

        monkeypatch.setattr(cls, "__init__", counting)
    for name in ("create_admin_app", "create_booking_liff_app", "create_forms_liff_app", "create_procedures_app",
                 "create_map_app", "create_webchat_app", "create_open311_app", "create_redirect_app",
                 "add_console_routes"):
        original_fn = getattr(bot.service, name)

        def recording(*args, _original=original_fn, _name=name, **kw):
            built.append(_name)
            return _original(*args, **kw)

        monkeypatch.setattr(bot.service, name, recording)

    worker = build_service(make_settings(sqlite_db.url), knowledge=knowledge, role=Role.WORKER)
    assert built == []
    assert not [r for r in worker.router.resources() if isinstance(r, web.PrefixedSubAppResource)]
    # the spine only: LINE callbacks and the operations endpoints every process serves (issue #18)
    assert {r.canonical for r in worker.router.resources()} == {"/callback", "/callback/{channel}", "/healthz",
                                                                "/readyz", "/metrics"}
    inline = build_service(make_settings(sqlite_db.url), knowledge=knowledge)
    # (every ApiRouter is a module-level object now, made at import: building the service makes none)
    assert {"create_admin_app", "create_booking_liff_app", "create_webchat_app", "Auditor", "StaffSessions"} <= set(built)
    assert [r for r in inline.router.resources() if isinstance(r, web.PrefixedSubAppResource)]
