"""Tables of the pre-application navigation: short-lived drafts and daily access counts.

A draft holds a resident's answers and household entries while they fill in the page (encrypted
at rest, §8(6) v; found by the hash of a random token only the resident's page holds). It is
deleted when the QR code is issued (§8(6) w) and when it has been idle too long (§8(6) x).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import EncryptedText, UTCDateTime


class ProcedureDraft(SQLModel, table=True):
    __tablename__ = "procedure_draft"

    token_hash: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    event_code: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    channel: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))
    #: JSON: {"answers": {...}, "household": {...} | null}
    data: str = Field(sa_column=sa.Column(EncryptedText, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))


class ProcedureAccess(SQLModel, table=True):
    """How many navigations started per day, life event and channel (§8(6) z)."""

    __tablename__ = "procedure_access"

    day: date = Field(sa_column=sa.Column(sa.Date, primary_key=True))
    event_code: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    channel: str = Field(sa_column=sa.Column(sa.String(8), primary_key=True))
    count: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
