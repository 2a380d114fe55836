"""Committing accepted webhook events to the inbox, with group commit.

Each webhook request awaits the commit of its events before LINE gets its 200 (durable before
acknowledged). Requests that arrive while a commit is in progress are gathered into the next
transaction, so one fsync serves many requests: the acknowledgement stays fast under load without
ever answering before the data is on disk.

One request never fails the others it shares a commit with. Text no store can hold (a lone UTF-16
surrogate, which JSON can carry as ``\\ud800``, or NUL) is replaced with U+FFFD at the edge, as a
browser shows broken text, so the event is stored and answered. Should a shared commit still fail
on a row, its requests are committed one by one: only the request that cannot be stored fails.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bot.inbox.models import partition_of, webhook_event
from bot.logs import REQUEST_ID
from civic.clock import Clock
from civic.database import Database

log = logging.getLogger(__name__)

#: What no store can hold as text: lone surrogates (broken UTF-16) and NUL.
_UNSTORABLE = re.compile("[\ud800-\udfff\x00]")
#: A request waiting for the commit of its rows.
Waiting = tuple[list[dict[str, Any]], "asyncio.Future[list[Accepted]]"]
#: Errors that say the store itself is unavailable (not one request's rows): every waiting request fails.
STORE_DOWN = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError, OSError, TimeoutError)


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
    #: The id of the webhook request that brought it (``bot.logs.REQUEST_ID``; ``-`` when unknown):
    #: the turn worker's log lines about this event carry it.
    request_id: str = "-"


def user_key_of(event: dict[str, Any]) -> str:
    source = event.get("source") or {}
    if not isinstance(source, dict):
        return "-"
    for key in ("userId", "groupId", "roomId"):
        value = source.get(key)
        if isinstance(value, str) and value:
            return value[:80]
    return "-"


def storable(value: Any) -> Any:
    """``value`` (parsed JSON) with every string made storable: U+FFFD for each lone surrogate or NUL."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, list):
        return [storable(v) for v in value]
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    return value


def _row(channel: str, event: dict[str, Any], now: datetime, request_id: str) -> dict[str, Any]:
    payload = json.dumps(event, ensure_ascii=False)
    if _UNSTORABLE.search(payload) or "\\u0000" in payload:  # rare: repair, keep the rest as sent
        event = storable(event)
        payload = json.dumps(event, ensure_ascii=False)
    return {
        "webhook_event_id": str(event["webhookEventId"])[:64],
        "channel": channel,
        "user_key": user_key_of(event),
        "event_type": str(event.get("type", "unknown"))[:32],
        "payload": payload,
        "received_at": now,
        "request_id": request_id,
    }


def accepted_of(id_: int, row: Any) -> Accepted:
    """From a ``webhook_event`` row (a mapping, or a result row with those names)."""
    mapping = row if isinstance(row, dict) else row._mapping
    return Accepted(id_, mapping["user_key"], mapping["channel"], mapping["received_at"], mapping["payload"],
                    mapping.get("request_id") or "-")


class InboxWriter:
    """Writes to the inbox store (``db``: see ``bot.inbox.models``)."""

    def __init__(self, db: Database, clock: Clock, *, notify: str = "") -> None:
        self._db = db
        self._clock = clock
        #: PostgreSQL only: the channel to ``NOTIFY`` when new events commit (shared mode wakes the
        #: workers of every instance, ``bot.inbox.shared``).
        self._notify_channel = notify
        self._queue: list[Waiting] = []
        self._in_commit = 0
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
        request_id = REQUEST_ID.get()  # the webhook request's (bot.logs.access_log_middleware)
        rows = [_row(channel, e, now, request_id) for e in events]
        if not rows:
            return []
        future: asyncio.Future[list[Accepted]] = asyncio.get_running_loop().create_future()
        self._queue.append((rows, future))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush_loop())
        return await future

    @property
    def waiting(self) -> int:
        """Requests waiting for their events' commit (queued, or in the commit under way)."""
        return len(self._queue) + self._in_commit

    async def _flush_loop(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                self._in_commit = len(batch)
                try:
                    accepted = await self._commit([r for rows, _ in batch for r in rows])
                except Exception as exc:
                    if len(batch) == 1 or isinstance(exc, STORE_DOWN):
                        _fail(batch, exc)  # every waiting request learns of it: none answers 200
                    else:
                        await self._one_by_one(batch, exc)
                else:
                    _answer(batch, accepted)
                self._in_commit = 0
        finally:
            self._in_commit = 0
            self._flushing = False

    async def _one_by_one(self, batch: list[Waiting], exc: Exception) -> None:
        # The exception's text may quote the rows (what citizens wrote): only its kind is logged.
        log.warning("a group commit of %d webhook requests failed (%s); committing them one by one",
                    len(batch), error_kind(exc))
        for i, (rows, future) in enumerate(batch):
            try:
                accepted = await self._commit(rows)
            except Exception as one:
                if isinstance(one, STORE_DOWN):
                    _fail(batch[i:], one)
                    return
                _fail([(rows, future)], one)
                continue
            _answer([(rows, future)], accepted)

    async def _commit(self, rows: list[dict[str, Any]]) -> dict[str, Accepted]:
        # Within one batch the same event may come twice (a redelivery racing the original).
        unique = list({r["webhook_event_id"]: r for r in rows}.values())
        by_id = {r["webhook_event_id"]: r for r in unique}
        if self._db.is_sqlite:  # the acknowledgement's hot path: no driver-thread round trips
            async with self._db.write_inline(urgent=True) as conn:
                returned = conn.execute(self._insert, unique).all()
        else:
            async with self._db.write(urgent=True) as session:
                pg = await session.connection()
                returned = (await pg.execute(self._insert, unique)).all()
                if returned and self._notify_channel:  # delivered when the transaction commits
                    # The payload names the events' partitions: only their owners wake (bot.inbox.shared).
                    partitions = sorted({partition_of(by_id[event_id]["user_key"]) for _, event_id in returned})
                    await pg.execute(sa.text("SELECT pg_notify(:channel, :partitions)"),
                                     {"channel": self._notify_channel, "partitions": ",".join(map(str, partitions))})
        return {event_id: accepted_of(id_, by_id[event_id]) for id_, event_id in returned}


def error_kind(exc: BaseException) -> str:
    """The exception's class and its causes' (``StatementError/UnicodeEncodeError``), never their text."""
    kinds: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(kinds) < 4:
        kinds.append(type(seen).__name__)
        seen = seen.__cause__ or seen.__context__
    return "/".join(kinds)


def _fail(batch: list[Waiting], exc: Exception) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)


def _answer(batch: list[Waiting], accepted: dict[str, Accepted]) -> None:
    for rows, future in batch:
        if not future.done():
            future.set_result([accepted[r["webhook_event_id"]] for r in rows if r["webhook_event_id"] in accepted])
