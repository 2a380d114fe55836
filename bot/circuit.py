"""A circuit breaker per LINE account: while LINE is down, stop calling it.

*Closed*: calls go. After ``failures`` transient failures in a row (network errors, timeouts, 5xx,
429) the circuit *opens*: calls fail at once, without a request, for a cool-down. When it has
passed, the circuit is *half-open*: one call goes through as a probe. Its success closes the
circuit (listeners hear of the recovery: the outbox then sends what waited); its failure opens it
again, for twice as long (with jitter, up to ``max_open``). A ``Retry-After`` from LINE is a
minimum cool-down. Time is a monotonic clock, injected for tests.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class Circuit(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


@dataclass(frozen=True)
class BreakerPolicy:
    #: Transient failures in a row that open the circuit.
    failures: int = 5
    #: The first cool-down (seconds); it doubles with every failed probe, up to ``max_open``.
    base_open: float = 1.0
    max_open: float = 30.0


class CircuitBreaker:
    def __init__(self, policy: BreakerPolicy | None = None, *, monotonic: Callable[[], float] = time.monotonic,
                 rng: Callable[[], float] = random.random, on_recovery: Callable[[], None] | None = None) -> None:
        self.policy = policy or BreakerPolicy()
        self._monotonic = monotonic
        self._rng = rng
        self._on_recovery = on_recovery
        self._failures = 0
        self._opened = 0  # failed probes since the circuit opened (the cool-down doubles with each)
        self._open_until: float | None = None
        self._probing = False

    @property
    def state(self) -> Circuit:
        if self._open_until is None:
            return Circuit.CLOSED
        if self._probing or self._monotonic() < self._open_until:
            return Circuit.OPEN
        return Circuit.HALF_OPEN

    def blocked_for(self) -> float | None:
        """None when a call would go now; otherwise the seconds until a probe may go."""
        if self._open_until is None:
            return None
        if self._probing:
            return self.policy.base_open  # a probe is out: look again in a while
        remaining = self._open_until - self._monotonic()
        return remaining if remaining > 0 else None

    def admit(self) -> float | None:
        """Before a call: None lets it go (when half-open, as the one probe); otherwise the seconds
        until a probe may go, and the call must fail without a request."""
        blocked = self.blocked_for()
        if blocked is None and self._open_until is not None:
            self._probing = True
        return blocked

    def success(self) -> None:
        """LINE answered (any answer that is not a transient failure)."""
        recovered = self._open_until is not None
        self._failures = self._opened = 0
        self._open_until = None
        self._probing = False
        if recovered and self._on_recovery is not None:
            self._on_recovery()

    def failure(self, retry_after: float | None = None) -> None:
        """A transient failure (``retry_after``: LINE's ``Retry-After``, seconds)."""
        if self._open_until is not None and not self._probing:  # a call that began before the circuit opened
            if retry_after:
                self._open_until = max(self._open_until, self._monotonic() + retry_after)
            return
        self._failures += 1
        if self._open_until is None and self._failures < self.policy.failures and not retry_after:
            return
        self._probing = False
        self._opened += 1
        cool_down = min(self.policy.max_open, self.policy.base_open * 2 ** (self._opened - 1))
        cool_down *= 0.5 + self._rng() / 2  # instances that failed together do not probe together
        self._open_until = self._monotonic() + max(cool_down, retry_after or 0.0)

    def abandon(self) -> None:
        """The call ended without an answer either way (cancelled): a probe may go again."""
        self._probing = False
