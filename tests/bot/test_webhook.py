"""The webhook: signatures, durable inbox, redelivery dedupe, bad input — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import select

from bot.appkeys import DATABASE, DISPATCHER, INBOX_DATABASE
from bot.inbox.models import DONE, InboxOutcome, webhook_event
from bot.service import create_app
from bot.turn import Turn
from tests.bot.helpers import body_of, make_settings, sign, text_event


class Silent:
    """Handles turns without answering, so these tests make no LINE calls."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    async def handle(self, turn: Turn) -> None:
        self.seen.append(turn.text or turn.event_type)


async def _client(aiohttp_client, database_url: str, handler: Silent | None = None, **overrides):
    handler = handler or Silent()
    app = create_app(make_settings(database_url, **overrides), handler_factory=lambda app: handler)
    return await aiohttp_client(app), handler


@dataclass
class Stored:
    user_key: str
    event_type: str
    payload: str
    status: str  # the outcome, or "pending"
    error: str | None


async def _inbox(client) -> list[Stored]:
    """The inbox store's events with their outcomes from the main database."""
    async with client.app[INBOX_DATABASE].read() as s:
        events = (await (await s.connection()).execute(sa.select(webhook_event).order_by(webhook_event.c.id))).all()
    async with client.app[DATABASE].read() as s:
        outcomes = {o.event_id: o for o in (await s.exec(select(InboxOutcome))).all()}
    return [Stored(e.user_key, e.event_type, e.payload,
                   outcomes[e.id].status if e.id in outcomes else "pending",
                   outcomes[e.id].error if e.id in outcomes else None) for e in events]


async def test_valid_signature_is_stored_processed_and_acknowledged(aiohttp_client, database_url) -> None:
    client, handler = await _client(aiohttp_client, database_url)
    body = body_of(text_event("U1", "こんにちは 🌸"))
    r = await client.post("/callback", data=body, headers={"X-Line-Signature": sign(body)})
    assert r.status == 200
    await client.app[DISPATCHER].wait_idle()
    rows = await _inbox(client)
    assert [(r.user_key, r.event_type, r.status) for r in rows] == [("U1", "message", DONE)]
    assert json.loads(rows[0].payload)["message"]["text"] == "こんにちは 🌸"
    assert handler.seen == ["こんにちは 🌸"]


async def test_payload_is_encrypted_at_rest(aiohttp_client, database_url) -> None:
    client, _ = await _client(aiohttp_client, database_url)
    body = body_of(text_event("U1", "住所は本町1-2-3です"))
    await client.post("/callback", data=body, headers={"X-Line-Signature": sign(body)})
    async with client.app[INBOX_DATABASE].engine.connect() as conn:
        raw = (await conn.execute(sa.text("SELECT payload FROM webhook_event"))).scalar_one()
    assert "本町" not in raw


async def test_bad_or_missing_signature_stores_nothing(aiohttp_client, database_url) -> None:
    client, handler = await _client(aiohttp_client, database_url)
    body = body_of(text_event("U1", "hi"))
    assert (await client.post("/callback", data=body)).status == 400
    r = await client.post("/callback", data=body, headers={"X-Line-Signature": sign(body, "other-secret")})
    assert r.status == 400
    tampered = body.replace(b"hi", b"ho")
    assert (await client.post("/callback", data=tampered, headers={"X-Line-Signature": sign(body)})).status == 400
    assert await _inbox(client) == []
    assert handler.seen == []


async def test_redelivery_is_acknowledged_but_processed_once(aiohttp_client, database_url) -> None:
    client, handler = await _client(aiohttp_client, database_url)
    event = text_event("U1", "一度だけ", event_id="01HZZZZZZZZZZZZZZZZZZZZZZZ")
    again = {**event, "deliveryContext": {"isRedelivery": True}}
    for e in (event, again, again):
        body = body_of(e)
        assert (await client.post("/callback", data=body, headers={"X-Line-Signature": sign(body)})).status == 200
    both = body_of(event, again)  # the same event twice in one request
    assert (await client.post("/callback", data=both, headers={"X-Line-Signature": sign(both)})).status == 200
    await client.app[DISPATCHER].wait_idle()
    assert len(await _inbox(client)) == 1
    assert handler.seen == ["一度だけ"]


async def test_per_user_order_is_kept(aiohttp_client, database_url) -> None:
    client, handler = await _client(aiohttp_client, database_url)
    for i in range(20):
        events = [text_event(f"U{u}", f"{u}:{i}") for u in range(3)]
        body = body_of(*events)
        assert (await client.post("/callback", data=body, headers={"X-Line-Signature": sign(body)})).status == 200
    await client.app[DISPATCHER].wait_idle()
    for u in range(3):
        mine = [s for s in handler.seen if s.startswith(f"{u}:")]
        assert mine == [f"{u}:{i}" for i in range(20)]


async def test_verification_request_with_no_events(aiohttp_client, database_url) -> None:
    client, _ = await _client(aiohttp_client, database_url)
    body = body_of()
    assert (await client.post("/callback", data=body, headers={"X-Line-Signature": sign(body)})).status == 200


async def test_bad_input_gets_the_right_answer(aiohttp_client, sqlite_db) -> None:
    client, handler = await _client(aiohttp_client, sqlite_db.url, max_webhook_body=4096)
    cases = [
        (b"{not json", 400),
        (b'{"events": "nope"}', 400),
        (b'{"events": [1, 2]}', 400),
        (b'{"events": [{"type": "message"}]}', 400),  # no webhookEventId
        (b"\xff\xfe", 400),
        (b"[]", 400),
    ]
    for body, status in cases:
        r = await client.post("/callback", data=body, headers={"X-Line-Signature": sign(body)})
        assert r.status == status, body
    huge = body_of(text_event("U1", "あ" * 5000))
    r = await client.post("/callback", data=huge, headers={"X-Line-Signature": sign(huge)})
    assert r.status == 413
    assert await _inbox(client) == []


async def test_unknown_events_are_acknowledged_and_do_not_stop_the_worker(aiohttp_client, sqlite_db) -> None:
    client, handler = await _client(aiohttp_client, sqlite_db.url)
    odd = {"type": "somethingNew", "mode": "active", "timestamp": 1, "webhookEventId": "E-unknown",
           "deliveryContext": {"isRedelivery": False}, "source": {"type": "user", "userId": "U9"}}
    sticker = text_event("U9", "x")
    sticker["message"] = {"type": "sticker", "id": "1", "packageId": "1", "stickerId": "2"}
    body = body_of(odd, sticker, text_event("U9", "続き"))
    assert (await client.post("/callback", data=body, headers={"X-Line-Signature": sign(body)})).status == 200
    await client.app[DISPATCHER].wait_idle()
    assert [r.status for r in await _inbox(client)] == [DONE, DONE, DONE]
    assert handler.seen[-1] == "続き"


async def test_a_failing_handler_closes_the_event_and_keeps_the_worker(aiohttp_client, sqlite_db) -> None:
    class Boom(Silent):
        async def handle(self, turn: Turn) -> None:
            if turn.text == "boom":
                raise RuntimeError("kaboom")
            await super().handle(turn)

    client, handler = await _client(aiohttp_client, sqlite_db.url, handler=Boom())
    body = body_of(text_event("U1", "boom"), text_event("U1", "after"))
    await client.post("/callback", data=body, headers={"X-Line-Signature": sign(body)})
    await client.app[DISPATCHER].wait_idle()
    rows = await _inbox(client)
    assert [r.status for r in rows] == ["failed", DONE]
    assert "kaboom" in (rows[0].error or "")
    assert handler.seen == ["after"]


async def test_prepare_runs_before_the_turn_and_reaches_it(aiohttp_client, sqlite_db) -> None:
    class Preparing(Silent):
        async def prepare(self, event):
            return {"upper": event.text.upper()}  # the event arrives typed (InboundEvent)

        async def handle(self, turn: Turn) -> None:
            self.seen.append(turn.prepared["upper"])

    client, handler = await _client(aiohttp_client, sqlite_db.url, handler=Preparing())
    body = body_of(text_event("U1", "abc"))
    await client.post("/callback", data=body, headers={"X-Line-Signature": sign(body)})
    await client.app[DISPATCHER].wait_idle()
    assert handler.seen == ["ABC"]
