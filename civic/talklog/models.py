"""The talk log: every message in and out, for staff search and export (国富町 §9(2)(ウ))."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import EncryptedText, UTCDateTime


class TalkEntry(SQLModel, table=True):
    __tablename__ = "talk_entry"
    __table_args__ = (sa.Index("ix_talk_entry_user_at", "channel_user_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_user_id: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    direction: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))  # in | out
    kind: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))  # text, image, location, postback, …
    #: What was said, encrypted: talk is personal data.
    text: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    intent: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    flow: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))
    #: LINE's id of the citizen's message (incoming rows), so an unsent message can be forgotten.
    message_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True, index=True))
