"""Hand-overs (有人チャット, issue #17; 国富町 §9(2)(カ): every function of a LINE Official Account,
one-to-one chat included) and the messages exchanged while one is open.

One row per request for a person; at most one open row per citizen (``services.request`` reuses it).
``assignee_id`` is taken with a conditional UPDATE (``services.assign``), so two staff members never
both answer one conversation unknowingly, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import EncryptedText, UTCDateTime

OPEN = "open"
CLOSED = "closed"
STATUSES = (OPEN, CLOSED)

#: Who wrote a hand-over message: the citizen, a staff member (sent to the citizen), or an
#: internal note staff keep for each other (never sent).
CITIZEN, STAFF, NOTE = "citizen", "staff", "note"


class Handover(SQLModel, table=True):
    __tablename__ = "handover"
    __table_args__ = (sa.Index("ix_handover_user_status", "channel_user_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_user_id: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    #: The account the citizen talks through (production / test): staff replies go back through it.
    channel: str = Field(default="production", sa_column=sa.Column(sa.String(32), nullable=False))
    status: str = Field(default=OPEN, sa_column=sa.Column(sa.String(16), nullable=False, index=True))
    #: Why: ``asked`` (the citizen asked), ``offered`` (after failed answers), ``button``.
    reason: str = Field(default="asked", sa_column=sa.Column(sa.String(16), nullable=False))
    #: Asked outside office hours: answered from the next business day.
    queued: bool = Field(default=False, nullable=False)
    assignee_id: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=True))
    assignee_name: str = Field(default="", sa_column=sa.Column(sa.String(100), nullable=False))
    #: The department it was passed to (``services.transfer``): '' none.
    department: str = Field(default="", sa_column=sa.Column(sa.String(80), nullable=False, server_default=""))
    waiting_since: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))
    first_reply_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    #: ``citizen`` or ``staff``.
    closed_by: str = Field(default="", sa_column=sa.Column(sa.String(16), nullable=False))
    #: 満足 / 不満 after closing: ``good`` / ``bad`` ('' not rated).
    rating: str = Field(default="", sa_column=sa.Column(sa.String(8), nullable=False))


class HandoverMessage(SQLModel, table=True):
    __tablename__ = "handover_message"

    id: int | None = Field(default=None, primary_key=True)
    handover_id: int = Field(foreign_key="handover.id", index=True)
    author: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))  # citizen | staff | note
    #: ``text``, ``image``, ``location``, ``sticker`` …
    kind: str = Field(default="text", sa_column=sa.Column(sa.String(16), nullable=False))
    text: str = Field(default="", sa_column=sa.Column(EncryptedText, nullable=False))
    staff_id: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=True))
    staff_name: str = Field(default="", sa_column=sa.Column(sa.String(100), nullable=False))
    #: LINE's message id of a citizen's image (staff fetch it through the gateway later).
    message_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    #: A photo the citizen sent: base64 of the sanitised JPEG (no EXIF), encrypted.
    image: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class HandoverTemplate(SQLModel, table=True):
    """A reply staff pick instead of typing it (定型文): nothing about a citizen."""

    __tablename__ = "handover_template"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_column=sa.Column(sa.String(80), nullable=False))
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
