"""The whole service as ``serve`` builds it: every feature mounted, staff login, permissions known."""

from __future__ import annotations

import pytest

from admin_api.app import PREFIX
from bot.appkeys import CLOCK, DATABASE
from bot.service import build_service
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
    for path in ("/liff/booking/", "/liff/procedures/", "/liff/webchat/", "/liff/map/", "/healthz",
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
