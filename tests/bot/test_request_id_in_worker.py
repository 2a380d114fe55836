"""Issue #18: the webhook request's id travels with each inbox event to the turn worker, whose log
lines about that event carry it (one id ties the access line to the turn's lines)."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime

import sqlalchemy as sa

from bot.appkeys import DISPATCHER, INBOX_DATABASE
from bot.inbox.models import webhook_event
from bot.inbox.worker_link import event_line, parse_event_line
from bot.inbox.writer import Accepted, accepted_of
from bot.logs import HEADER, JsonFormatter, RequestIdFilter, joined_ids
from bot.service import create_app
from conversation.turn import Turn
from tests.bot.helpers import body_of, make_settings, sign, text_event

TURN_LOGGER = "tests.turn"


class Logging:
    """A handler that logs one line per turn, as dialogues do."""

    async def handle(self, turn: Turn) -> None:
        logging.getLogger(TURN_LOGGER).info("turn for %s", turn.text)


async def test_the_turn_logs_under_the_webhook_requests_id(aiohttp_client, database_url) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger(TURN_LOGGER)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        client = await aiohttp_client(create_app(make_settings(database_url), handler_factory=lambda app: Logging()))
        for request_id, text in (("req-first-0001", "一通目"), ("req-second-0002", "二通目")):
            body = body_of(text_event(f"U{request_id}", text))
            r = await client.post("/callback", data=body, headers={"X-Line-Signature": sign(body), HEADER: request_id})
            assert r.status == 200 and r.headers[HEADER] == request_id
        await client.app[DISPATCHER].wait_idle()
        async with client.app[INBOX_DATABASE].read() as s:
            rows = (await (await s.connection()).execute(sa.select(webhook_event).order_by(webhook_event.c.id))).all()
    finally:
        logger.removeHandler(handler)
    assert [row.request_id for row in rows] == ["req-first-0001", "req-second-0002"]
    assert [accepted_of(row.id, row).request_id for row in rows] == ["req-first-0001", "req-second-0002"]
    logged = {line["message"]: line["request_id"] for line in map(json.loads, stream.getvalue().splitlines())}
    assert logged == {"turn for 一通目": "req-first-0001", "turn for 二通目": "req-second-0002"}


def test_the_request_id_crosses_the_pipe_to_the_worker_process() -> None:
    item = Accepted(7, "Uabc", "production", datetime(2026, 12, 4, 9, 0, tzinfo=UTC),
                    json.dumps(text_event("Uabc", "こんにちは")), "3f2a9c")
    assert parse_event_line(event_line(item)) == item


def test_a_batch_logs_the_ids_of_its_requests_once_each() -> None:
    assert joined_ids(["a", "-", "b", "a"]) == "a,b"
    assert joined_ids(["-", ""]) == "-"
    assert joined_ids([f"r{i}" for i in range(10)], most=3) == "r0,r1,r2,…"
