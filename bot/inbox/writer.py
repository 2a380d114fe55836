"""Committing accepted webhook events to the inbox, with group commit.

Each webhook request awaits the commit of its events before LINE gets its 200 (durable before
acknowledged). Requests that arrive while a commit is in progress are gathered into the next
transaction, so one fsync serves many requests: the acknowledgement stays fast under load without
ever answering before the data is on disk.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bot.inbox.models import webhook_event
from civic.clock import Clock
from civic.database import Database


@dataclass(frozen=True)
class Accepted:
    """An event newly stored in the inbox (redeliveries of stored events are not returned)."""

    id: int
    user_key: str


def user_key_of(event: dict[str, Any]) -> str:
    source = event.get("source") or {}
    if not isinstance(source, dict):
        return "-"
    for key in ("userId", "groupId", "roomId"):
        value = source.get(key)
        if isinstance(value, str) and value:
            return value[:80]
    return "-"


def _row(channel: str, event: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "webhook_event_id": str(event["webhookEventId"])[:64],
        "channel": channel,
        "user_key": user_key_of(event),
        "event_type": str(event.get("type", "unknown"))[:32],
        "payload": json.dumps(event, ensure_ascii=False),
        "received_at": now,
    }


class InboxWriter:
    """Writes to the inbox store (``db``: see ``bot.inbox.models``)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._queue: list[tuple[list[dict[str, Any]], asyncio.Future[list[Accepted]]]] = []
        self._flushing = False
        self._table = webhook_event

    async def add(self, channel: str, events: Iterable[dict[str, Any]]) -> list[Accepted]:
        """Store events; returns those that were new, after they are committed."""
        now = self._clock.now()
        rows = [_row(channel, e, now) for e in events]
        if not rows:
            return []
        future: asyncio.Future[list[Accepted]] = asyncio.get_running_loop().create_future()
        self._queue.append((rows, future))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush_loop())
        return await future

    def _insert(self, rows: list[dict[str, Any]]) -> sa.Insert:
        dialect = sqlite if self._db.is_sqlite else postgresql
        return (
            dialect.insert(self._table)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["webhook_event_id"])
            .returning(self._table.c.id, self._table.c.user_key, self._table.c.webhook_event_id)
        )

    async def _flush_loop(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                try:
                    accepted = await self._commit([r for rows, _ in batch for r in rows])
                except Exception as exc:  # every waiting request learns of it: none answers 200
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for rows, future in batch:
                    if not future.done():
                        future.set_result([accepted[r["webhook_event_id"]] for r in rows
                                           if r["webhook_event_id"] in accepted])
        finally:
            self._flushing = False

    async def _commit(self, rows: list[dict[str, Any]]) -> dict[str, Accepted]:
        # Within one batch the same event may come twice (a redelivery racing the original).
        unique = list({r["webhook_event_id"]: r for r in rows}.values())
        accepted: dict[str, Accepted] = {}
        async with self._db.write(urgent=True) as session:
            conn = await session.connection()
            for start in range(0, len(unique), 500):
                result = await conn.execute(self._insert(unique[start:start + 500]))
                for id_, user_key, event_id in result.all():
                    accepted[event_id] = Accepted(id_, user_key)
        return accepted
