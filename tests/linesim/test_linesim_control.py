"""linesim's own HTTP API (faults, latency, webhook URL), smaller endpoints, and the CLI's arguments."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aiohttp
import pytest
from linebot.v3.messaging import (
    ApiException,
    NarrowcastRequest,
    PushMessageRequest,
    ShowLoadingAnimationRequest,
    TextMessage,
    ValidateMessageRequest,
)
from linesim_support import Sdk

from linesim.__main__ import parse_args
from linesim.testing import TEST_TOKEN, LineSim, default_config


async def test_faults_over_http_with_a_prefix(line_sim: LineSim, sdk: Sdk) -> None:
    user = line_sim.create_user()
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{line_sim.url}/linesim/api/faults",
                             json={"path": "/v2/bot/message/*", "status": 500, "times": 1}) as r:
            assert r.status == 201
        with pytest.raises(ApiException) as caught:
            await sdk.api.push_message(PushMessageRequest(to=user, messages=[TextMessage(text="x")]))
        assert caught.value.status == 500
        assert caught.value.headers["x-line-request-id"]
        await sdk.api.push_message(PushMessageRequest(to=user, messages=[TextMessage(text="y")]))
        async with http.get(f"{line_sim.url}/linesim/api/faults") as r:
            assert (await r.json())["faults"] == []
        async with http.post(f"{line_sim.url}/linesim/api/faults", json={"path": "nope", "status": 200}) as r:
            assert r.status == 400
        async with http.put(f"{line_sim.url}/linesim/api/latency", json={"seconds": 0.01}) as r:
            assert r.status == 200
    assert line_sim.service.state.latency == 0.01
    assert line_sim.messages(user) == [{"type": "text", "text": "y"}]


async def test_an_outage_over_http_refuses_drops_or_holds_every_call_until_lifted(line_sim: LineSim, sdk: Sdk) -> None:
    user = line_sim.create_user()

    async def push(text: str, key: str) -> int | str:
        try:
            await sdk.api.push_message(PushMessageRequest(to=user, messages=[TextMessage(text=text)]),
                                       x_line_retry_key=key)
            return 200
        except ApiException as exc:
            return exc.status
        except aiohttp.ClientError as exc:
            return type(exc).__name__

    async with aiohttp.ClientSession() as http:
        async with http.put(f"{line_sim.url}/linesim/api/outage", json={"status": 503, "retryAfter": 7}) as r:
            assert r.status == 200
        key = str(uuid.uuid4())
        with pytest.raises(ApiException) as caught:
            await sdk.api.push_message(PushMessageRequest(to=user, messages=[TextMessage(text="a")]),
                                       x_line_retry_key=key)
        assert (caught.value.status, caught.value.headers["Retry-After"]) == (503, "7")
        assert await push("a", key) == 503  # every call, not only the next one

        async with http.put(f"{line_sim.url}/linesim/api/outage", json={"mode": "disconnect"}) as r:
            assert r.status == 200
        assert await push("a", key) == "ServerDisconnectedError"

        async with http.put(f"{line_sim.url}/linesim/api/outage", json={"mode": "hold"}) as r:
            assert r.status == 200
        waiting = asyncio.create_task(push("a", key))
        await line_sim.wait_held(1)
        async with http.get(f"{line_sim.url}/linesim/api/outage") as r:
            assert await r.json() == {"outage": {"mode": "hold", "status": 503, "retryAfter": None}, "held": 1}
        assert not waiting.done()
        async with http.delete(f"{line_sim.url}/linesim/api/outage") as r:
            assert r.status == 200
        assert await waiting == 200  # held, then handled as usual
        assert await push("a", key) == 409
        async with http.put(f"{line_sim.url}/linesim/api/outage", json={"mode": "flaky"}) as r:
            assert r.status == 400
    assert line_sim.messages(user) == [{"type": "text", "text": "a"}]
    assert [c.status for c in line_sim.calls("/v2/bot/message/push")] == [503, 503, None, 200, 409]


async def test_webhook_url_can_be_changed_over_http(line_sim: LineSim) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.put(f"{line_sim.url}/linesim/api/webhook?channel=second",
                            json={"url": "http://127.0.0.1:9/callback"}) as r:
            assert r.status == 200
        async with http.put(f"{line_sim.url}/linesim/api/webhook", json={"url": "ftp://x"}) as r:
            assert r.status == 400
    assert line_sim.for_channel("second").channel.webhook_url == "http://127.0.0.1:9/callback"
    assert line_sim.channel.webhook_url is None


async def test_narrowcast_reaches_followers_once_per_retry_key(line_sim: LineSim, sdk: Sdk) -> None:
    users = [line_sim.create_user("a"), line_sim.create_user("b")]
    key = str(uuid.uuid4())
    request = NarrowcastRequest(messages=[TextMessage(text="地区のお知らせ")])
    response = await sdk.api.narrowcast_with_http_info(request, x_line_retry_key=key)
    assert response.status_code == 202
    with pytest.raises(ApiException) as caught:
        await sdk.api.narrowcast(request, x_line_retry_key=key)
    assert caught.value.status == 409
    assert caught.value.headers["x-line-accepted-request-id"] == response.headers["x-line-request-id"]
    assert [line_sim.messages(u) for u in users] == [[{"type": "text", "text": "地区のお知らせ"}]] * 2


async def test_validate_endpoints_and_not_found_shape(line_sim: LineSim, sdk: Sdk) -> None:
    await sdk.api.validate_push(ValidateMessageRequest(messages=[TextMessage(text="ok")]))
    with pytest.raises(ApiException) as caught:
        await sdk.api.validate_push(ValidateMessageRequest(messages=[TextMessage(text="")]))
    assert json.loads(caught.value.body)["details"][0]["property"] == "messages[0].text"
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {line_sim.access_token}"}) as http:
        async with http.get(f"{line_sim.url}/v2/bot/nothing-here") as r:
            assert r.status == 404
            assert await r.json() == {"message": "Not found"}
            assert r.headers["x-line-request-id"]
        async with http.post(f"{line_sim.url}/v2/bot/message/push", data=b"{not json",
                             headers={"Content-Type": "application/json"}) as r:
            assert r.status == 400
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{line_sim.url}/v2/bot/info") as r:
            assert r.status == 401
            assert (await r.json())["message"].startswith("Authorization header required")


async def test_loading_indicator_shows_until_the_next_message(line_sim: LineSim, sdk: Sdk) -> None:
    user = line_sim.create_user()
    await sdk.api.show_loading_animation(ShowLoadingAnimationRequest(chat_id=user, loading_seconds=10))
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{line_sim.url}/linesim/api/users/{user}/timeline") as r:
            assert (await r.json())["loading"] is True
        await sdk.api.push_message(PushMessageRequest(to=user, messages=[TextMessage(text="お待たせしました")]))
        async with http.get(f"{line_sim.url}/linesim/api/users/{user}/timeline") as r:
            assert (await r.json())["loading"] is False


async def test_stream_sends_timeline_entries_as_server_sent_events(line_sim: LineSim, sdk: Sdk) -> None:
    user = line_sim.create_user()
    await sdk.api.push_message(PushMessageRequest(to=user, messages=[TextMessage(text="一通目")]))
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{line_sim.url}/linesim/api/users/{user}/stream") as r:
            assert r.headers["Content-Type"].startswith("text/event-stream")
            seen = b""
            async with asyncio.timeout(15):
                while b"event: entry" not in seen or b"\n\n" not in seen.split(b"event: entry", 1)[1]:
                    seen += await r.content.readany()
    entry = seen.split(b"event: entry\ndata: ", 1)[1].split(b"\n\n", 1)[0]
    assert json.loads(entry)["message"] == {"type": "text", "text": "一通目"}
    assert b"id: " in seen


def test_cli_arguments_make_a_config() -> None:
    config, host, port = parse_args([
        "--port", "8101", "--webhook-url", "http://127.0.0.1:8000/callback",
        "--channel-secret", "S", "--channel-access-token", "T",
        "--channel", "test,S2,T2,http://127.0.0.1:8001/callback",
    ])
    assert (host, port) == ("127.0.0.1", 8101)
    assert [(c.name, c.secret, c.access_token, c.webhook_url) for c in config.channels] == [
        ("default", "S", "T", "http://127.0.0.1:8000/callback"),
        ("test", "S2", "T2", "http://127.0.0.1:8001/callback"),
    ]
    with pytest.raises(SystemExit):
        parse_args(["--channel-secret", "S"])


async def test_plugin_defaults_and_factory(line_sim_factory: Any) -> None:
    config = default_config("http://127.0.0.1:9/callback")
    first = await line_sim_factory(config)
    second = await line_sim_factory(default_config())
    assert first.url != second.url
    assert (first.access_token, first.channel.webhook_url) == (TEST_TOKEN, "http://127.0.0.1:9/callback")
    user = second.create_user()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{second.url}/linesim/api/users") as r:
            assert [u["userId"] for u in (await r.json())["users"]] == [user]
        async with http.get(f"{first.url}/linesim/api/users") as r:
            assert (await r.json())["users"] == []
