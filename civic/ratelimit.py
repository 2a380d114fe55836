"""A sliding one-minute window per key (a client address, a web chat session), in memory.

Per process: each instance of the service counts on its own, which bounds abuse of public
endpoints well enough; limits that must hold across instances (staff sign-in) live in the database.
"""

from __future__ import annotations

from collections import defaultdict, deque


class RateLimit:
    def __init__(self, per_minute: int, *, window: float = 60.0, max_keys: int = 10_000) -> None:
        self.per_minute, self.window, self.max_keys = per_minute, window, max_keys
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str, now: float) -> bool:
        """Count one request of ``key`` at ``now`` (seconds, any monotonic origin) unless over the limit."""
        hits = self._hits[key]
        while hits and now - hits[0] > self.window:
            hits.popleft()
        if len(hits) >= self.per_minute:
            return False
        hits.append(now)
        if len(self._hits) > self.max_keys:  # forget idle keys
            for k in [k for k, v in self._hits.items() if not v or now - v[-1] > self.window][: self.max_keys // 2]:
                del self._hits[k]
        return True
