"""ID-token verification against a stand-in for LINE's /oauth2/v2.1/verify."""

from __future__ import annotations

import pytest
from aiohttp import web

from liff.identity import HttpIdTokenVerifier, IdTokenUnavailable, VerifiedUser


@pytest.fixture
async def line(aiohttp_server):
    seen: list[dict] = []

    async def verify(request: web.Request) -> web.Response:
        form = dict(await request.post())
        seen.append(form)
        if form.get("id_token") == "boom":
            return web.Response(status=502)
        if form.get("id_token") != "good" or form.get("client_id") != "1650000000":
            return web.json_response({"error": "invalid_request", "error_description": "Invalid IdToken."}, status=400)
        return web.json_response({"iss": "https://access.line.me", "sub": "U1234", "aud": "1650000000",
                                  "exp": 4102444800, "name": "山田"})

    app = web.Application()
    app.router.add_post("/oauth2/v2.1/verify", verify)
    server = await aiohttp_server(app)
    return server, seen


async def test_verifies_through_line_and_caches(line) -> None:
    server, seen = line
    verifier = HttpIdTokenVerifier(str(server.make_url("/")), "1650000000", clock=lambda: 1_800_000_000)
    try:
        user = await verifier.verify("good")
        assert user is not None and user.user_id == "U1234" and user.name == "山田"
        assert seen == [{"id_token": "good", "client_id": "1650000000"}]
        await verifier.verify("good")
        assert len(seen) == 1  # cached until the token expires
        assert await verifier.verify("forged") is None
        with pytest.raises(IdTokenUnavailable):
            await verifier.verify("boom")
    finally:
        await verifier.close()


async def test_the_verifier_checks_the_audience_itself(aiohttp_server) -> None:
    """LINE's answer names the channel the token was issued for (``aud``); the verifier compares it
    with its own channel rather than trusting whoever answered 200 (a proxy, a misconfigured base URL).
    This stand-in answers 200 whatever the client_id, so only the verifier's own check refuses."""
    answers = {"other": {"sub": "U9", "aud": "999", "exp": 4102444800},
               "no-aud": {"sub": "U9", "exp": 4102444800},
               "ours": {"sub": "U1234", "aud": "1650000000", "exp": 4102444800}}

    async def verify(request: web.Request) -> web.Response:
        return web.json_response(answers[str((await request.post())["id_token"])])

    app = web.Application()
    app.router.add_post("/oauth2/v2.1/verify", verify)
    server = await aiohttp_server(app)
    verifier = HttpIdTokenVerifier(str(server.make_url("/")), "1650000000", clock=lambda: 1_800_000_000)
    try:
        assert await verifier.verify("other") is None
        assert await verifier.verify("no-aud") is None
        assert await verifier.verify("ours") == VerifiedUser("U1234")
    finally:
        await verifier.close()
