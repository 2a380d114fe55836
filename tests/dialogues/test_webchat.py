"""The web chat answers exactly as LINE does: the HTTP endpoint and the widget page in Chromium."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect
from sqlmodel import select

from civic.clock import FrozenClock
from civic.faq.models import FaqAnswer, UnansweredQuestion
from dialogues.handler import DialogueHandler
from dialogues.services import Services
from liff.webchat import create_webchat_app
from tests.browser import axe_violations
from tests.dialogues.conftest import START, Town, texts

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
WAIT = 20_000


async def _client(aiohttp_client, knowledge, db, **kw):
    handler = DialogueHandler(Services(knowledge))
    return await aiohttp_client(create_webchat_app(handler, db, FrozenClock(START), **kw))


async def test_same_answer_as_line(town: Town, aiohttp_client) -> None:
    question = "住民票の写しはどこで取れますか"
    line = await town.chat().say(question)
    client = await _client(aiohttp_client, town.knowledge, town.db)
    r = await client.post("/api/messages", json={"text": question})
    body = await r.json()
    assert r.status == 200 and len(body["session"]) == 32
    web = body["messages"]
    assert texts(web) == texts(line)  # word for word
    assert web[0]["contents"]["body"] == line[0]["contents"]["body"]
    feedback = web[0]["contents"]["footer"]["contents"][0]["contents"][0]["action"]["data"]
    r = await client.post("/api/messages", json={"session": body["session"], "postback": feedback})
    assert "お役に立ててうれしいです" in texts((await r.json())["messages"])
    async with town.db.read() as s:
        rows = (await s.exec(select(FaqAnswer).order_by(FaqAnswer.id))).all()
    assert [(a.channel, a.helpful) for a in rows] == [("production", None), ("web", True)]


async def test_flows_keep_their_state_per_browser_session(town: Town, aiohttp_client) -> None:
    client = await _client(aiohttp_client, town.knowledge, town.db)
    r = await client.post("/api/messages", json={"postback": "action=garbage"})
    sid = (await r.json())["session"]
    r = await client.post("/api/messages", json={"session": sid, "text": "バケツ"})
    assert "いくつか候補があります" in texts((await r.json())["messages"])
    r = await client.post("/api/messages", json={"text": "バケツ"})  # another browser: no flow, another session
    other = await r.json()
    assert other["session"] != sid
    r = await client.post("/api/messages", json={"session": sid, "text": "バケツ（金属製）"})
    assert "【燃やさないごみ】" in texts((await r.json())["messages"])
    r = await client.post("/api/messages", json={"session": sid, "postback": "action=report"})
    assert "通報は LINE からお願いいたします" in texts((await r.json())["messages"])
    r = await client.post("/api/messages", json={"session": sid, "text": "宇宙人の住民登録はできますか"})
    assert "回答が見つかりませんでした" in texts((await r.json())["messages"])
    async with town.db.read() as s:
        [q] = (await s.exec(select(UnansweredQuestion))).all()
    assert q.channel == "web"


async def test_bad_requests_and_rate_limit(town: Town, aiohttp_client) -> None:
    client = await _client(aiohttp_client, town.knowledge, town.db, per_session_per_minute=3)
    cases = [({}, 422), ({"text": ""}, 422), ({"text": "あ" * 501}, 422), ({"text": "a", "postback": "b"}, 422),
             ({"postback": 5}, 422)]
    for payload, status in cases:
        r = await client.post("/api/messages", json=payload)
        assert r.status == status, payload
        assert (await r.json())["error"]["message"]
    r = await client.post("/api/messages", data=b"{nope", headers={"Content-Type": "application/json"})
    assert r.status == 400
    sid = (await (await client.post("/api/messages", json={"text": "こんにちは"})).json())["session"]
    for _ in range(2):
        assert (await client.post("/api/messages", json={"session": sid, "text": "こんにちは"})).status == 200
    r = await client.post("/api/messages", json={"session": sid, "text": "こんにちは"})
    assert r.status == 429 and "少し待って" in (await r.json())["error"]["message"]
    page = await client.get("/")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"] and "<script src=" in await page.text()
    assert (await client.get("/embed.js")).status == 200


@pytest.mark.browser
async def test_the_widget_in_chromium(town: Town, aiohttp_client, page: Page) -> None:
    """On the guarded phone-sized page (JavaScript errors and CSP violations fail it), checked with axe."""
    client = await _client(aiohttp_client, town.knowledge, town.db)
    await page.goto(str(client.make_url("/")))
    await expect(page.locator("body[data-ready=true]")).to_have_count(1, timeout=WAIT)
    assert not await axe_violations(page)
    await page.get_by_test_id("input").fill("図書館の休館日はいつですか")
    await page.get_by_test_id("send").click()
    card = page.get_by_test_id("card").filter(has_text="休館日")
    await expect(card).to_have_count(1, timeout=WAIT)
    await card.get_by_test_id("action").filter(has_text="役に立たなかった").click()
    await expect(page.get_by_test_id("bot").filter(has_text="ご案内を見直す参考にいたします")).to_have_count(
        1, timeout=WAIT)
    await page.get_by_test_id("quick-replies").get_by_text("ごみの出し方").click()
    await expect(page.get_by_test_id("bot").filter(has_text="調べたいごみの名前")).to_have_count(1, timeout=WAIT)
    assert not await axe_violations(page)  # the conversation, its cards and quick replies
    async with town.db.read() as s:
        [answer] = (await s.exec(select(FaqAnswer))).all()
    assert answer.channel == "web" and answer.helpful is False


async def test_rate_limit_counts_the_client_behind_a_trusted_proxy(town: Town, aiohttp_client) -> None:
    """Behind the town's reverse proxy every request comes from the proxy's address: the limit is per
    client (X-Forwarded-For from the trusted proxy), and a client cannot pick its own address."""
    from aiohttp import web

    from bot.app import client_address_middleware
    from civic.client_address import TrustedProxies

    def service(trusted: str) -> web.Application:
        root = web.Application(middlewares=[client_address_middleware(TrustedProxies([trusted]))])
        handler = DialogueHandler(Services(town.knowledge))
        root.add_subapp("/liff/webchat", create_webchat_app(handler, town.db, FrozenClock(START),
                                                            per_address_per_minute=2))
        return root

    client = await aiohttp_client(service("127.0.0.1/32"))  # the test client connects from 127.0.0.1

    async def say(forwarded_for: str) -> int:
        r = await client.post("/liff/webchat/api/messages", json={"text": "こんにちは"},
                              headers={"X-Forwarded-For": forwarded_for})
        return r.status

    assert [await say("198.51.100.1") for _ in range(3)] == [200, 200, 429]
    assert await say("198.51.100.2") == 200  # another citizen behind the same proxy
    assert await say("198.51.100.9, 198.51.100.1") == 429  # a forged left-hand entry changes nothing
    untrusted = await aiohttp_client(service("10.0.0.0/8"))  # 127.0.0.1 is not a proxy: its header is ignored
    statuses = []
    for n in range(3):
        r = await untrusted.post("/liff/webchat/api/messages", json={"text": "こんにちは"},
                                 headers={"X-Forwarded-For": f"198.51.100.{n}"})
        statuses.append(r.status)
    assert statuses == [200, 200, 429]
