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


class ProcedureEventSource(SQLModel, table=True):
    """A life event's tree as staff edit it in the console (issue #16): the YAML of
    ``content/<town>/procedures/events/<file>``. Seeded from the files on first start; from then on the
    ``published`` text is what the 手続きナビ page and the LINE dialogue walk, ``draft`` what staff work on."""

    __tablename__ = "procedure_event_source"

    code: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    file: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))  # events/tennyu.yaml
    draft: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    published: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_by: str = Field(default="", sa_column=sa.Column(sa.String(100), nullable=False))
    published_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    published_by: str = Field(default="", sa_column=sa.Column(sa.String(100), nullable=False))
    #: Deleted by staff (issue #16): the row stays, empty, so that the town's files do not seed the event again.
    deleted_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    deleted_by: str = Field(default="", sa_column=sa.Column(sa.String(100), nullable=False, server_default=""))
