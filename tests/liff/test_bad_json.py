"""The citizen-facing JSON endpoints (LIFF pages, web chat, NLU parse, Open311) refuse deep nesting,
non-objects and wrong types with a 4xx, never a 500: the whole service, a real ID token from linesim."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.dialogue_wiring import build_knowledge
from bot.service import build_service
from bot.settings import LineAccount
from civic.clock import FrozenClock
from linesim import ChannelConfig, SimConfig
from linesim.driver import run_linesim
from tests.bot.helpers import SECRET, TOKEN, make_settings

LOGIN_CHANNEL = "1650000000"
ENDPOINTS = [  # method, path, whether the citizen's ID token is sent
    ("POST", "/liff/booking/api/quote", True),
    ("POST", "/liff/booking/api/reservations", True),
    ("POST", "/liff/booking/api/waitlist", True),
    ("POST", "/liff/forms/api/forms/settings", True),
    ("POST", "/liff/procedures/api/sessions", True),
    ("POST", "/liff/webchat/api/messages", False),
    ("POST", "/api/nlu/parse", False),
    ("POST", "/open311/v2/requests.json", False),
]
BODIES = [
    "[" * 985 + "]" * 985,  # just inside what json.loads accepts: code walking it recursed past the limit
    "[" * 200_000 + "]" * 200_000,
    '{"text": ' + "[" * 100 + "]" * 100 + "}",
    '{"unit_id": NaN, "people": Infinity}',
    "[]", '"text"', "5", "null", "{broken",
    '{"unit_id": "abc", "day": 5, "people": [], "answers": {"area": [[["x"]]]}, "text": {"a": 1}, '
    '"event": 7, "equipment": {"1": "many"}}',
]


@pytest.fixture(scope="module")
def knowledge():
    return build_knowledge(make_settings("sqlite+aiosqlite://"))


async def test_bad_json_is_a_4xx_with_a_reason(aiohttp_client, sqlite_db, knowledge) -> None:
    config = SimConfig(channels=[ChannelConfig("production", SECRET, TOKEN, login_channel_id=LOGIN_CHANNEL)])
    async with run_linesim(config) as sim:
        settings = make_settings(sqlite_db.url, line=LineAccount("production", SECRET, TOKEN, sim.url, sim.url,
                                                                  LOGIN_CHANNEL))
        app = build_service(settings, clock=FrozenClock(datetime(2026, 11, 21, 1, tzinfo=UTC)), knowledge=knowledge)
        client = await aiohttp_client(app)
        user = sim.channel.add_user("山田 花子")
        token = {"Authorization": f"Bearer {sim.mint_id_token(user.user_id)}"}
        answers = {}
        for method, path, signed in ENDPOINTS:
            for body in BODIES:
                r = await client.request(method, path, data=body.encode(),
                                         headers={"Content-Type": "application/json", **(token if signed else {})})
                assert 400 <= r.status < 500, (path, body[:60], r.status, (await r.text())[:300])
                assert r.content_type == "application/json", (path, body[:60], await r.text())
                answers.setdefault(path, set()).add(r.status)
    # every endpoint really read the bodies (an auth refusal would not have): a 400 or 422 for each
    assert all(statuses & {400, 422} for statuses in answers.values()), answers
