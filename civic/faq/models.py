"""What the FAQ answered, whether it helped, and what it could not answer (for staff to add)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import EncryptedText, UTCDateTime

# How an answer was chosen.
CONFIDENT = "confident"   # the best match, given directly
CHOSEN = "chosen"         # picked by the citizen from the candidates we offered
SCENARIO = "scenario"     # shown from a staff scenario

OPEN, ANSWERED, DISMISSED = "open", "answered", "dismissed"
UNANSWERED_STATUSES = (OPEN, ANSWERED, DISMISSED)


class FaqAnswer(SQLModel, table=True):
    """One answer given (LINE or web), and the citizen's 役に立った / 役に立たなかった."""

    __tablename__ = "faq_answer"
    __table_args__ = (sa.Index("ix_faq_answer_entry_at", "entry_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    entry_id: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    #: The question as the citizen asked it (encrypted: free text may hold personal data).
    question: str = Field(default="", sa_column=sa.Column(EncryptedText, nullable=False))
    how: str = Field(default=CONFIDENT, sa_column=sa.Column(sa.String(16), nullable=False))
    channel: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))  # production | test | web
    #: Who asked (LINE userId or web session), only to accept feedback from the same person.
    asker: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    helpful: bool | None = Field(default=None, nullable=True)
    feedback_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))


class UnansweredQuestion(SQLModel, table=True):
    """A question the FAQ could not answer; staff answer it (often by adding an FAQ entry)."""

    __tablename__ = "faq_unanswered"

    id: int | None = Field(default=None, primary_key=True)
    question: str = Field(sa_column=sa.Column(EncryptedText, nullable=False))
    channel: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    #: The best (too weak) candidates we had, for the staff's triage: ``faq-012,faq-031``.
    candidates: str = Field(default="", sa_column=sa.Column(sa.String(300), nullable=False))
    status: str = Field(default=OPEN, sa_column=sa.Column(sa.String(16), nullable=False, index=True))
    note: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    faq_entry_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    handled_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(100), nullable=True))
    handled_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))
