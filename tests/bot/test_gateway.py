"""The LINE gateway's failure handling: which errors are final, Retry-After, the circuit breaker.

Time is a settable monotonic clock; linesim's outage switch takes LINE down.
"""

from __future__ import annotations

import uuid

import pytest

from bot.circuit import BreakerPolicy, Circuit, CircuitBreaker
from bot.gateway import LineError, LineGateway, RetryPolicy
from bot.settings import LineAccount
from linesim import ChannelConfig, SimConfig
from linesim.testing import run_linesim
from tests.bot.helpers import SECRET, TOKEN


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _no_sleep(_: float) -> None:
    return None


@pytest.mark.parametrize(("status", "transient"), [
    (None, True), (500, True), (502, True), (503, True), (429, True), (408, True), (401, True),
    (400, False), (403, False), (404, False), (409, False),
])
def test_only_answers_that_can_never_succeed_are_final(status: int | None, transient: bool) -> None:
    assert LineError(status, "x").transient is transient


def test_the_breaker_opens_probes_once_and_closes_on_success() -> None:
    clock, recoveries = Monotonic(), []
    breaker = CircuitBreaker(BreakerPolicy(failures=3, base_open=2.0, max_open=5.0), monotonic=clock,
                             rng=lambda: 1.0, on_recovery=lambda: recoveries.append(clock.now))
    for _ in range(2):
        assert breaker.admit() is None
        breaker.failure()
    assert breaker.state is Circuit.CLOSED
    breaker.failure()
    assert breaker.state is Circuit.OPEN and breaker.admit() == 2.0
    clock.now += 2.0
    assert breaker.state is Circuit.HALF_OPEN
    assert breaker.admit() is None  # the probe …
    assert breaker.admit() is not None  # … and only the probe
    breaker.failure()
    assert breaker.admit() == 4.0  # a failed probe doubles the cool-down
    clock.now += 4.0
    assert breaker.admit() is None
    breaker.failure()
    assert breaker.admit() == 5.0  # up to max_open
    clock.now += 5.0
    assert breaker.admit() is None
    breaker.success()
    assert breaker.state is Circuit.CLOSED and recoveries == [clock.now]
    breaker.failure()
    assert breaker.state is Circuit.CLOSED  # counting starts again


def test_a_late_failure_of_a_call_from_before_the_opening_does_not_lengthen_the_cool_down() -> None:
    clock = Monotonic()
    breaker = CircuitBreaker(BreakerPolicy(failures=1, base_open=1.0), monotonic=clock, rng=lambda: 1.0)
    breaker.failure()
    for _ in range(10):
        breaker.failure()  # calls in flight when it opened
    assert breaker.admit() == 1.0


async def test_while_line_is_down_the_circuit_stops_calls_and_a_probe_finds_it_back() -> None:
    config = SimConfig(channels=[ChannelConfig("production", SECRET, TOKEN)])
    async with run_linesim(config) as sim:
        clock = Monotonic()
        account = LineAccount("production", SECRET, TOKEN, sim.url, sim.url)
        gateway = LineGateway({"production": account}, retry=RetryPolicy(attempts=3), sleep=_no_sleep,
                              breaker=BreakerPolicy(failures=5, base_open=10.0), monotonic=clock)
        recovered: list[str] = []
        gateway.on_recovery.append(recovered.append)
        user = sim.create_user()
        try:
            sim.line_down("disconnect")
            for _ in range(2):
                with pytest.raises(LineError) as caught:
                    await gateway.push("production", user, [{"type": "text", "text": "x"}], str(uuid.uuid4()))
                assert caught.value.transient and caught.value.status is None
            assert len(sim.calls("/v2/bot/message/push")) == 5  # three tries, then two: the circuit opened
            assert gateway.circuit("production") is Circuit.OPEN
            with pytest.raises(LineError) as caught:
                await gateway.push("production", user, [{"type": "text", "text": "y"}], str(uuid.uuid4()))
            assert caught.value.transient and 5.0 <= (caught.value.retry_after or 0) <= 10.0
            assert len(sim.calls("/v2/bot/message/push")) == 5  # no request while open
            sim.line_up()
            clock.now += 10.0
            await gateway.push("production", user, [{"type": "text", "text": "z"}], str(uuid.uuid4()))
            assert gateway.circuit("production") is Circuit.CLOSED and recovered == ["production"]
            assert sim.messages(user) == [{"type": "text", "text": "z"}]
        finally:
            await gateway.close()


async def test_retry_after_is_honoured_and_a_bad_message_is_final_at_once() -> None:
    config = SimConfig(channels=[ChannelConfig("production", SECRET, TOKEN)])
    async with run_linesim(config) as sim:
        clock = Monotonic()
        account = LineAccount("production", SECRET, TOKEN, sim.url, sim.url)
        gateway = LineGateway({"production": account}, retry=RetryPolicy(attempts=5, max_delay=5.0),
                              sleep=_no_sleep, monotonic=clock)
        user = sim.create_user()
        try:
            sim.line_down(status=429, retry_after=30)
            with pytest.raises(LineError) as caught:
                await gateway.push("production", user, [{"type": "text", "text": "x"}], str(uuid.uuid4()))
            assert (caught.value.status, caught.value.retry_after) == (429, 30.0)
            assert len(sim.calls("/v2/bot/message/push")) == 1  # no quick retries against a 30 s Retry-After
            assert gateway.blocked_for("production") == 30.0  # nor any call before it has passed
            sim.line_up()
            clock.now += 30.0
            with pytest.raises(LineError) as caught:  # too long a text: LINE's 400
                await gateway.push("production", user, [{"type": "text", "text": "あ" * 5001}], str(uuid.uuid4()))
            assert caught.value.status == 400 and not caught.value.transient
            assert len(sim.calls("/v2/bot/message/push")) == 2  # tried once, not again
            assert gateway.circuit("production") is Circuit.CLOSED
        finally:
            await gateway.close()
