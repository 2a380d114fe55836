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

from sqlalchemy.dialects import postgresql, sqlite

from bot.inbox.models import webhook_event
from civic.clock import Clock
from civic.database import Database


@dataclass(frozen=True)
class Accepted:
    """An event stored in the inbox, as the turn needs it. The writer returns the newly stored ones
    (not redeliveries of stored events); they travel to the turn with their announcement, so the
    inbox is read back only when resuming after a restart."""

    id: int
    user_key: str
    channel: str
    received_at: datetime
    #: The event as LINE sent it (JSON text).
    payload: str


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


def accepted_of(id_: int, row: Any) -> Accepted:
    """From a ``webhook_event`` row (a mapping, or a result row with those names)."""
    get = row.__getitem__ if isinstance(row, dict) else row._mapping.__getitem__
    return Accepted(id_, get("user_key"), get("channel"), get("received_at"), get("payload"))


class InboxWriter:
    """Writes to the inbox store (``db``: see ``bot.inbox.models``)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._queue: list[tuple[list[dict[str, Any]], asyncio.Future[list[Accepted]]]] = []
        self._flushing = False
        self._table = webhook_event
        # One statement, executed with many parameter sets: compiled once and cached, where a
        # multi-row VALUES clause would be compiled again for every batch size.
        self._insert = (
            (sqlite if db.is_sqlite else postgresql).insert(webhook_event)
            .on_conflict_do_nothing(index_elements=["webhook_event_id"])
            .returning(webhook_event.c.id, webhook_event.c.webhook_event_id)
        )

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
        by_id = {r["webhook_event_id"]: r for r in unique}
        if self._db.is_sqlite:  # the acknowledgement's hot path: no driver-thread round trips
            async with self._db.write_inline(urgent=True) as conn:
                returned = conn.execute(self._insert, unique).all()
        else:
            async with self._db.write(urgent=True) as session:
                returned = (await (await session.connection()).execute(self._insert, unique)).all()
        return {event_id: accepted_of(id_, by_id[event_id]) for id_, event_id in returned}
