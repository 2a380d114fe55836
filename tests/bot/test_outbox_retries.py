"""The outbox's retries on a frozen clock: backoff, per-citizen order, giving up, the backlog figures.

The bot's clock stands still until the test moves it, so an answer waiting for its retry stays
waiting exactly until then; the test then wakes the retry loop and waits for what must follow.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import aiohttp
from sqlmodel import select

from bot.appkeys import DATABASE, DISPATCHER, SENDER
from bot.outbox.models import FAILED, PENDING, OutboundMessage
from bot.turn import Turn
from civic.clock import FrozenClock

FAST = {"outbox_retry_base_seconds": 0.05, "outbox_retry_max_seconds": 0.5, "line_breaker_max_seconds": 0.2}


class Echo:
    async def handle(self, turn: Turn) -> None:
        if turn.text:
            turn.say({"type": "text", "text": f"お答え: {turn.text}"})


async def _until(predicate) -> None:
    async with asyncio.timeout(30):  # a guard against a hang
        while not await predicate():
            await asyncio.sleep(0.02)


async def _rows(service) -> list[OutboundMessage]:
    async with service.app[DATABASE].read() as s:
        return list((await s.exec(select(OutboundMessage).order_by(OutboundMessage.id))).all())


async def test_a_failed_answer_waits_for_its_retry_and_the_next_one_queues_behind_it(
        start_service, database_url) -> None:
    clock = FrozenClock(datetime.now(UTC))
    # Ten failures in a row before the circuit opens: this is about one answer's backoff.
    service = await start_service(database_url, handler=Echo(), clock=clock, line_breaker_failures=10, **FAST)
    user = service.sim.create_user()
    service.sim.fail_next("/v2/bot/message/*", 500, times=5)  # every quick try of the first answer
    await service.sim.send_text(user, "一つ目")
    await service.app[DISPATCHER].wait_idle()
    (first,) = await _rows(service)
    assert first.status == PENDING and first.attempts == 1 and "500" in (first.error or "")
    assert first.next_attempt_at is not None and first.next_attempt_at > clock.now()  # not before its backoff

    await service.sim.send_text(user, "二つ目")  # LINE is fine again, but the first answer still waits
    await service.app[DISPATCHER].wait_idle()
    first, second = await _rows(service)
    assert second.status == PENDING and second.next_attempt_at == clock.now()  # queued behind the first
    assert service.sim.messages(user) == []

    clock.advance(timedelta(seconds=1))  # the first answer's retry is due
    service.app[SENDER].wake()
    messages = await service.sim.wait_for_messages(user, 2)
    assert [m["text"] for m in messages] == ["お答え: 一つ目", "お答え: 二つ目"]


async def test_an_answer_still_undelivered_after_the_give_up_age_is_failed_and_never_sent(
        start_service, database_url) -> None:
    clock = FrozenClock(datetime.now(UTC))
    service = await start_service(database_url, handler=Echo(), clock=clock, outbox_give_up_hours=24, **FAST)
    user = service.sim.create_user()
    service.sim.line_down(status=503)
    await service.sim.send_text(user, "届きますか")
    await service.app[DISPATCHER].wait_idle()
    async with aiohttp.ClientSession() as http:
        async with http.get(service.server.make_url("/healthz")) as r:
            health = await r.json()
    assert health["outbox"]["pending"] == 1 and health["outbox"]["oldest_pending_seconds"] == 0

    clock.advance(timedelta(hours=24, seconds=1))
    service.app[SENDER].wake()

    async def given_up() -> bool:
        return [r.status for r in await _rows(service)] == [FAILED]

    await _until(given_up)
    (row,) = await _rows(service)
    assert (row.error or "").startswith("given up")
    calls = len(service.sim.calls("/v2/bot/message"))
    service.sim.line_up()
    service.app[SENDER].wake()
    await service.app[SENDER].resend_unsent()  # even a full pass leaves a given-up answer alone
    assert len(service.sim.calls("/v2/bot/message")) == calls
    assert service.sim.messages(user) == []
    async with aiohttp.ClientSession() as http:
        async with http.get(service.server.make_url("/healthz")) as r:
            assert (await r.json())["outbox"] == {"pending": 0, "oldest_pending_seconds": None}
