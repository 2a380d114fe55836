"""``GET /richmenu-accounts``: what the console's rich-menu editor offers — the accounts with the
simulator to try the test account in, the chatbot's flows and the town's LIFF pages."""

from __future__ import annotations

import pytest

from admin_api import richmenu_views
from admin_api.app import create_admin_app
from admin_api.context import AdminContext
from admin_api.staff_auth import StaffAuthenticator
from bot.settings import Settings, SettingsError
from dialogues.handler import MENU_ACTIONS
from richmenus.editor import FLOWS, EditorOptions
from richmenus.publish import RichMenuPublisher
from richmenus.segments import StaticSegments
from tests.admin_api.support import AdminEnv
from tests.bot.test_settings import GOOD
from tests.richmenus.line_view import line_apis


async def test_the_editor_options_name_the_simulator_flows_and_liff_pages(env: AdminEnv, aiohttp_client) -> None:
    publisher = RichMenuPublisher(env.db, env.clock, line_apis(env.line.sim), StaticSegments())
    options = EditorOptions("http://127.0.0.1:8101/simulator", {"booking": "1650000000-booking", "forms": ""})
    context = AdminContext(env.db, env.clock, publisher=publisher, editor_options=options)
    app = create_admin_app(StaffAuthenticator(env.sessions), [richmenu_views.router], context=context)
    client = await aiohttp_client(app)
    r = await client.get("/richmenu-accounts", headers=env.auth("viewer"))
    assert r.status == 200
    body = await r.json()
    assert body["accounts"] == [
        {"account": "test", "name": "テスト用アカウント", "permission": "richmenus.edit",
         "simulator_url": "http://127.0.0.1:8101/simulator?channel=test"},
        {"account": "production", "name": "公開用アカウント", "permission": "richmenus.publish", "simulator_url": None}]
    assert {"value": "action=faq", "label": "よくある質問"} in body["flows"]
    assert body["liff_pages"] == [{"value": "https://liff.line.me/1650000000-booking", "label": "施設予約"}]
    r = await client.get("/richmenu-accounts")
    assert r.status == 401


async def test_without_a_simulator_the_console_is_told_so(env: AdminEnv, client) -> None:
    r = await client.get("/richmenu-accounts", headers=env.auth("viewer"))
    body = await r.json()
    assert [a["simulator_url"] for a in body["accounts"]] == [None, None] and body["liff_pages"] == []


def test_the_offered_flows_are_the_flows_the_rich_menu_starts() -> None:
    assert [data.removeprefix("action=") for data, _ in FLOWS] == list(MENU_ACTIONS)


def test_simulator_url_from_the_environment() -> None:
    assert Settings.from_env(GOOD).simulator_url == ""
    assert Settings.from_env({**GOOD, "SIMULATOR_URL": "http://127.0.0.1:8101/simulator/"}).simulator_url \
        == "http://127.0.0.1:8101/simulator"
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({**GOOD, "SIMULATOR_URL": "javascript:alert(1)"})
    assert refused.value.variable == "SIMULATOR_URL"
