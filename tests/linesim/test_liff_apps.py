"""LIFF apps in linesim: a URI action to one opens its endpoint with an ID token for the citizen,
as LINE opens a LIFF app; the bot's verifier accepts that token for the login channel."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from liff.identity import HttpIdTokenVerifier
from linesim import ChannelConfig, LiffApp, SimConfig
from linesim.testing import TEST_SECRET, TEST_TOKEN, LineSim, line_sim, linesim_webhook_url  # noqa: F401

FORMS = LiffApp("1650000000-forms", "http://127.0.0.1:9/liff/forms/")


@pytest.fixture
def linesim_config() -> SimConfig:
    return SimConfig(channels=[ChannelConfig("test", TEST_SECRET, TEST_TOKEN, login_channel_id="1650000000",
                                             login_channel_secret="login-secret", liff_apps=(FORMS,))])


async def open_uri(sim: LineSim, user: str, uri: str) -> dict:
    async with aiohttp.ClientSession() as http:
        r = await http.post(f"{sim.url}/linesim/api/users/{user}/liff", json={"uri": uri})
        return {"status": r.status, **(await r.json())}


@pytest.mark.parametrize(("uri", "opens"), [
    ("https://liff.line.me/1650000000-forms?form=settings#top", "http://127.0.0.1:9/liff/forms/?form=settings#top"),
    ("https://liff.line.me/1650000000-forms/sub/page", "http://127.0.0.1:9/liff/forms/sub/page"),
    ("http://127.0.0.1:9/liff/forms/?form=kosodate", "http://127.0.0.1:9/liff/forms/?form=kosodate"),
])
async def test_a_liff_address_opens_the_endpoint_with_a_token_the_bot_accepts(
        line_sim: LineSim, uri: str, opens: str) -> None:  # noqa: F811
    user = line_sim.create_user("山田花子")
    answer = await open_uri(line_sim, user, uri)
    url = urlsplit(answer["url"])
    query = parse_qs(url.query)
    [token] = query.pop("id_token")
    rebuilt = url._replace(query="&".join(f"{k}={v[0]}" for k, v in query.items())).geturl()
    assert rebuilt == opens
    verifier = HttpIdTokenVerifier(line_sim.url, "1650000000")
    try:
        found = await verifier.verify(token)
    finally:
        await verifier.close()
    assert found is not None and found.user_id == user


async def test_other_addresses_open_as_they_are(line_sim: LineSim) -> None:  # noqa: F811
    user = line_sim.create_user()
    for uri in ("https://www.town.midori.example/", "https://liff.line.me/9999999999-other", "http://127.0.0.1:9/liff/map/"):
        assert (await open_uri(line_sim, user, uri)) == {"status": 200, "url": None}
    assert (await open_uri(line_sim, user, ""))["status"] == 400
    assert (await open_uri(line_sim, "U" + "0" * 32, FORMS.endpoint_url))["status"] == 404
