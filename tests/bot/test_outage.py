"""LINE down, then back: every answer is delivered exactly once, each citizen's in order, and an
answer LINE refuses for good is not tried again — on SQLite and PostgreSQL.

Citizens talk through linesim's webhook while linesim's outage switch has LINE refuse every call
(503, or dropped connections). The bot's clock and linesim's are frozen and moved by the test (the
outage "lasts" as long as the test says; reply tokens expire on both sides alike); backoff and the
circuit breaker run on short real-time settings. The assertions are about what arrived, never about
how long it took.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.appkeys import DATABASE, DISPATCHER, SENDER
from bot.outbox.backlog import outbox_backlog
from bot.outbox.models import FAILED, SENT, OutboundMessage
from bot.turn import Turn
from civic.clock import FrozenClock

USERS = 30
MESSAGES = 10
TOO_LONG = "長すぎるお返事をください"
FAST_RETRIES = {"outbox_retry_base_seconds": 0.05, "outbox_retry_max_seconds": 0.5, "line_breaker_max_seconds": 0.2}


class Echo:
    """Answers each text with its number; one question gets an answer LINE refuses (too long)."""

    async def handle(self, turn: Turn) -> None:
        if turn.text == TOO_LONG:
            turn.say({"type": "text", "text": "あ" * 5001})
        elif turn.text:
            turn.say({"type": "text", "text": f"お答え: {turn.text}"})


async def _until(predicate) -> None:
    async with asyncio.timeout(60):  # a guard against a hang, not a timing assumption
        while not predicate():
            await asyncio.sleep(0.02)


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "outage_seconds", "via"), [("error", 30, "reply"), ("disconnect", 90, "push")])
async def test_line_down_then_back_delivers_every_answer_once_in_order(
        start_service, database_url, mode: str, outage_seconds: int, via: str) -> None:
    clock = FrozenClock(datetime.now(UTC))
    service = await start_service(database_url, handler=Echo(), clock=clock, **FAST_RETRIES)
    sim = service.sim
    sim.strict = False  # citizens talk at once: their deliveries are checked together below
    users = [sim.create_user(f"市民{i}") for i in range(USERS)]
    asked = {u: [f"{u[-4:]}の質問{i}" for i in range(MESSAGES)] for u in users}
    asked[users[7]][4] = TOO_LONG

    sim.line_down(mode, status=503)

    async def citizen(user: str) -> None:
        for text in asked[user]:
            await sim.send_text(user, text)  # acknowledged by the bot: stored, whatever LINE does

    await asyncio.gather(*(citizen(u) for u in users))
    assert [d.status for d in sim.deliveries] == [200] * USERS * MESSAGES
    await service.app[DISPATCHER].wait_idle()  # every turn ran and its sending ended (deferred)
    backlog = await outbox_backlog(service.app[DATABASE], clock)
    assert backlog.pending == USERS * MESSAGES
    assert sum(len(sim.messages(u)) for u in users) == 0
    failed_so_far = len(sim.calls("/v2/bot/message"))
    await _until(lambda: len(sim.calls("/v2/bot/message")) > failed_so_far)  # still probing while down

    clock.advance(timedelta(seconds=outage_seconds))
    service.sim_clock.now += outage_seconds
    back = service.sim_clock.now
    sim.line_up()
    expected = {u: [f"お答え: {t}" for t in asked[u] if t != TOO_LONG] for u in users}
    await _until(lambda: all(len(sim.messages(u)) >= len(expected[u]) for u in users))
    await service.app[SENDER].flush()

    for user in users:  # exactly once, in the order asked
        assert [m["text"] for m in sim.messages(user)] == expected[user]
    after = [c for c in sim.calls("/v2/bot/message", since=back) if c.status == 200]
    assert {c.path for c in after} == {f"/v2/bot/message/{via}"}  # stale tokens: by push, with the retry key
    if via == "push":
        keys = Counter(c.headers["X-Line-Retry-Key"] for c in after)
        assert len(keys) == USERS * MESSAGES - 1 and set(keys.values()) == {1}
    refused = [c for c in sim.calls("/v2/bot/message", since=back)
               if len(c.body["messages"][0]["text"]) == 5001]
    assert [c.status for c in refused] == [400]  # tried once after LINE came back, never again
    async with service.app[DATABASE].read() as s:
        rows = (await s.exec(select(OutboundMessage))).all()
    assert Counter(r.status for r in rows) == {SENT: USERS * MESSAGES - 1, FAILED: 1}
    assert (await outbox_backlog(service.app[DATABASE], clock)).pending == 0
