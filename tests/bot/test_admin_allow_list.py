"""ADMIN_ALLOWED_NETWORKS: the console and the admin API answer only the listed networks
(酒田市 第5章 4(4)); citizens' paths are not affected."""

from __future__ import annotations

import logging

import pytest

from admin_api.app import PREFIX
from bot.service import build_service
from civic.client_address import parse_networks
from tests.bot.helpers import make_settings


@pytest.fixture(scope="module")
def knowledge():
    from bot.dialogue_wiring import build_knowledge

    return build_knowledge(make_settings("sqlite+aiosqlite://"))

def test_settings_read_the_networks() -> None:
    from bot.settings import Settings, SettingsError

    base = {"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t",
            "DATA_ENCRYPTION_KEY": "6Vh2Y2u0m3G2p0xk3bH8m0a5lq0Zr9Jr0bqkG5rR8xE"}
    assert Settings.from_env(base).admin_allowed_networks == ()
    s = Settings.from_env({**base, "ADMIN_ALLOWED_NETWORKS": "10.0.0.0/8, 192.0.2.7"})
    assert [str(n) for n in s.admin_allowed_networks] == ["10.0.0.0/8", "192.0.2.7/32"]
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**base, "ADMIN_ALLOWED_NETWORKS": "10.0.0.0/8,役場"})
    assert refused.value.variable == "ADMIN_ALLOWED_NETWORKS"

async def test_the_console_and_api_answer_only_allowed_networks(aiohttp_client, sqlite_db, knowledge, caplog) -> None:
    settings = make_settings(sqlite_db.url, trusted_proxies=parse_networks("127.0.0.1/32"),
                             admin_allowed_networks=parse_networks("10.0.0.0/8"))
    client = await aiohttp_client(build_service(settings, knowledge=knowledge))
    outside = {"X-Forwarded-For": "203.0.113.9"}
    inside = {"X-Forwarded-For": "10.20.30.40"}

    with caplog.at_level(logging.WARNING, logger="admin_api.address_allow_list"):
        r = await client.post(f"{PREFIX}/auth/login", json={"login": "a", "password": "b"}, headers=outside)
    assert r.status == 403
    body = await r.json()
    assert body["error"]["code"] == "forbidden_address" and "この場所からは" in body["error"]["message"]
    assert "203.0.113.9" in caplog.text  # noticed, for monitoring unauthorised access (国富町 §9(4)(エ))

    page = await client.get("/admin/", headers=outside)
    assert page.status == 403 and "接続できません" in await page.text()
    # a lookalike path outside /admin is not caught
    assert (await client.get("/adminx", headers=outside)).status == 404

    assert (await client.get("/admin/", headers=inside)).status == 200
    wrong = await client.post(f"{PREFIX}/auth/login", json={"login": "a", "password": "b"}, headers=inside)
    assert wrong.status == 401  # reaches sign-in (and fails there) from the town hall's network

    # citizens are not affected
    assert (await client.get("/healthz", headers=outside)).status == 200
    assert (await client.post("/api/nlu/parse", json={"text": "粗大ごみ"}, headers=outside)).status == 200

async def test_no_list_means_anywhere(aiohttp_client, sqlite_db, knowledge) -> None:
    client = await aiohttp_client(build_service(make_settings(sqlite_db.url), knowledge=knowledge))
    assert (await client.get("/admin/")).status == 200
