"""The durable event inbox: every accepted webhook event, committed before LINE gets its 200."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import EncryptedText, UTCDateTime

PENDING = "pending"
DONE = "done"
FAILED = "failed"


class InboxEvent(SQLModel, table=True):
    __tablename__ = "inbox_event"
    __table_args__ = (sa.Index("ix_inbox_event_status_id", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    webhook_event_id: str = Field(sa_column=sa.Column(sa.String(64), unique=True, nullable=False))
    channel: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    #: Events of one key are processed one at a time, in order (a user, group or room).
    user_key: str = Field(sa_column=sa.Column(sa.String(80), nullable=False))
    event_type: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    #: The event as LINE sent it (JSON), encrypted: it carries what citizens wrote.
    payload: str = Field(sa_column=sa.Column(EncryptedText, nullable=False))
    status: str = Field(default=PENDING, sa_column=sa.Column(sa.String(16), nullable=False))
    attempts: int = Field(default=0, nullable=False)
    received_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    done_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
