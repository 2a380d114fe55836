"""The durable event inbox: every accepted webhook event, committed before LINE gets its 200.

Two tables in two stores, so that acknowledging never waits for a turn:

* ``webhook_event`` — the inbox store (``INBOX_DATABASE_URL``): the events as LINE sent them,
  appended by the web process and never updated. On SQLite it is a file of its own (its own write
  lock: an acknowledgement never queues behind a turn's transaction, in this process or in the turn
  worker); on PostgreSQL it is the main database.
* ``inbox_outcome`` — the main database: one row per event that is finished (``done``, or
  ``failed`` with the error), written in the turn's own transaction. An inbox event without an
  outcome is unfinished; the turn re-checks under its write lock, so an event is processed once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.rows import table_of
from civic.types import EncryptedText, UTCDateTime

DONE = "done"
FAILED = "failed"

#: The inbox store's tables (its own migrations branch, ``inbox``; see ``bot.migrate``).
INBOX_METADATA = sa.MetaData()

webhook_event = sa.Table(
    "webhook_event",
    INBOX_METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("webhook_event_id", sa.String(64), nullable=False, unique=True),
    sa.Column("channel", sa.String(32), nullable=False),
    #: Events of one key are processed one at a time, in order (a user, group or room).
    sa.Column("user_key", sa.String(80), nullable=False),
    sa.Column("event_type", sa.String(32), nullable=False),
    #: The event as LINE sent it (JSON), encrypted: it carries what citizens wrote.
    sa.Column("payload", EncryptedText, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False, index=True),
    #: The webhook request's id (``bot.logs``): the turn worker logs under it when it runs the event.
    sa.Column("request_id", sa.String(64), nullable=True),
    # Ids are never reused after old events are deleted (``bot.inbox.retention``): an outcome is
    # keyed by the id.
    sqlite_autoincrement=True,
)


class InboxOutcome(SQLModel, table=True):
    """How an inbox event ended (main database)."""

    __tablename__ = "inbox_outcome"

    #: ``webhook_event.id`` (another store: no foreign key).
    event_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    done_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))


async def finished_among(conn: Any, event_ids: Sequence[int], *, chunk: int = 500) -> set[int]:
    """Which of ``event_ids`` have an outcome, read through ``conn`` (an async connection of the
    main database, inside a transaction when the answer must hold until it commits)."""
    table = table_of(InboxOutcome)
    finished: set[int] = set()
    for start in range(0, len(event_ids), chunk):
        finished |= set((await conn.execute(
            sa.select(table.c.event_id).where(table.c.event_id.in_(event_ids[start:start + chunk]))
        )).scalars())
    return finished


#: Users are hashed into this many partitions in shared mode (``bot.inbox.shared``).
PARTITIONS = 64


def partition_of(user_key: str) -> int:
    """A user key's partition: ``bot.inbox.shared.PARTITION_OF`` in Python (the same in every process)."""
    return int(hashlib.md5(user_key.encode()).hexdigest()[:8], 16) % PARTITIONS
