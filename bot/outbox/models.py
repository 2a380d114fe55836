"""Messages to LINE, written in the same transaction as the turn that produced them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import EncryptedText, UTCDateTime

PENDING = "pending"
SENT = "sent"
FAILED = "failed"


class OutboundMessage(SQLModel, table=True):
    __tablename__ = "outbound_message"
    __table_args__ = (sa.Index("ix_outbound_message_status_id", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    #: The inbox event (``webhook_event.id``, in the inbox store) the message answers, if any.
    inbox_event_id: int | None = Field(default=None, index=True)
    channel: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    to: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    reply_token: str | None = Field(default=None, sa_column=sa.Column(sa.String(256), nullable=True))
    #: When the reply token was issued (the webhook event's timestamp); tokens expire.
    token_issued_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    #: X-Line-Retry-Key for push: the same key on every retry, so LINE delivers once.
    retry_key: str = Field(sa_column=sa.Column(sa.String(36), nullable=False, unique=True))
    #: The messages (JSON array of Messaging API message objects), encrypted.
    messages: str = Field(sa_column=sa.Column(EncryptedText, nullable=False))
    status: str = Field(default=PENDING, sa_column=sa.Column(sa.String(16), nullable=False))
    via: str | None = Field(default=None, sa_column=sa.Column(sa.String(8), nullable=True))  # reply | push
    attempts: int = Field(default=0, nullable=False)
    #: When a pending message is tried again: after a transient failure, or (set at once) when it
    #: is queued behind older ones for the same citizen. NULL: its sender is sending it now.
    next_attempt_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))


@dataclass(frozen=True)
class Outgoing:
    """A committed outbox row, as the sender needs it (plain data: cheap on the hot path)."""

    id: int
    channel: str
    to: str
    reply_token: str | None
    token_issued_at: datetime | None
    retry_key: str
    messages: str
    created_at: datetime
    #: Tries so far (a row tried before is sent under the recovery rules of ``bot.outbox.sender``).
    attempts: int = 0
    #: Queued behind older messages still waiting for the same citizen: the retry loop sends it.
    queued: bool = False

    @classmethod
    def of(cls, row: OutboundMessage) -> Outgoing:
        assert row.id is not None
        return cls(row.id, row.channel, row.to, row.reply_token, row.token_issued_at, row.retry_key, row.messages,
                   row.created_at, row.attempts, row.next_attempt_at is not None)
