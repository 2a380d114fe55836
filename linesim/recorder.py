"""The record of every Messaging API call, and the faults tests ask linesim to inject."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from multidict import CIMultiDict


@dataclass
class CallRecord:
    """One request the bot made. ``headers`` is case-insensitive; ``body`` is the parsed JSON or None."""

    seq: int
    timestamp: float
    channel: str | None
    method: str
    path: str
    query: dict[str, str]
    headers: CIMultiDict[str]
    body: Any
    body_size: int
    content_type: str
    status: int | None = None
    request_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "timestamp": self.timestamp,
            "channel": self.channel,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": dict(self.headers),
            "body": self.body,
            "bodySize": self.body_size,
            "contentType": self.content_type,
            "status": self.status,
            "requestId": self.request_id,
        }


class CallLog:
    """A bounded, ordered log of `CallRecord`s."""

    def __init__(self, limit: int) -> None:
        self._records: deque[CallRecord] = deque(maxlen=limit)
        self._seq = 0

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def add(self, record: CallRecord) -> None:
        self._records.append(record)

    def clear(self) -> None:
        self._records.clear()

    def query(self, path_prefix: str | None = None, since: float | None = None,
              channel: str | None = None, method: str | None = None) -> list[CallRecord]:
        """Calls whose path starts with ``path_prefix``, made at or after ``since`` (epoch seconds)."""
        return [
            r for r in self._records
            if (path_prefix is None or r.path.startswith(path_prefix))
            and (since is None or r.timestamp >= since)
            and (channel is None or r.channel == channel)
            and (method is None or r.method == method.upper())
        ]

    def __len__(self) -> int:
        return len(self._records)


@dataclass
class FaultRule:
    path: str
    status: int
    remaining: int
    method: str | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path == self.path


OUTAGE_MODES = ("error", "disconnect", "hold")


@dataclass(frozen=True)
class Outage:
    """LINE is down until the outage is lifted: every Messaging API call is answered with ``status``
    (``error``; with ``Retry-After`` when ``retry_after`` is set), has its connection dropped without
    an answer (``disconnect``: the client sees a network error), or waits unanswered until the
    outage is lifted and is then handled as usual (``hold``: LINE hangs)."""

    mode: str = "error"
    status: int = 503
    retry_after: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "status": self.status, "retryAfter": self.retry_after}


@dataclass
class FaultInjector:
    """Answer the next N requests on a path with an error status (a path ending in ``*`` is a prefix);
    or take LINE down altogether (``Outage``) until it is lifted."""

    rules: list[FaultRule] = field(default_factory=list)
    outage: Outage | None = None
    #: Calls waiting for a ``hold`` outage to be lifted.
    held: int = 0
    _lifted: asyncio.Event | None = None
    _arrival: asyncio.Event | None = None

    def go_down(self, outage: Outage) -> None:
        if outage.mode not in OUTAGE_MODES:
            raise ValueError(f"mode must be one of {', '.join(OUTAGE_MODES)}")
        self.lift()
        self.outage = outage
        if outage.mode == "hold":
            self._lifted = asyncio.Event()

    def lift(self) -> None:
        """LINE is back: held calls go on."""
        self.outage = None
        if self._lifted is not None:
            self._lifted.set()
            self._lifted = None

    async def hold(self) -> None:
        lifted = self._lifted
        if lifted is None:
            return
        self.held += 1
        if self._arrival is not None:
            self._arrival.set()
            self._arrival = None
        try:
            await lifted.wait()
        finally:
            self.held -= 1

    def add(self, path: str, status: int, times: int = 1, method: str | None = None) -> FaultRule:
        rule = FaultRule(path, status, times, method)
        self.rules.append(rule)
        return rule

    def take(self, method: str, path: str) -> int | None:
        for rule in self.rules:
            if rule.remaining > 0 and rule.matches(method, path):
                rule.remaining -= 1
                if rule.remaining == 0:
                    self.rules.remove(rule)
                return rule.status
        return None

    async def wait_held(self, count: int) -> None:
        """Until ``count`` calls are held."""
        while self.held < count:
            self._arrival = self._arrival or asyncio.Event()
            await self._arrival.wait()

    def clear(self) -> None:
        """Forget the per-path rules (an outage stays until it is lifted)."""
        self.rules.clear()
