"""The record of every Messaging API call, and the faults tests ask linesim to inject."""

from __future__ import annotations

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


@dataclass
class FaultInjector:
    """Answer the next N requests on a path with an error status (a path ending in ``*`` is a prefix)."""

    rules: list[FaultRule] = field(default_factory=list)

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

    def clear(self) -> None:
        self.rules.clear()
