"""Saved segments: a name and a filter tree (JSON, see ``civic.segments.filters``)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import UTCDateTime


class Segment(SQLModel, table=True):
    __tablename__ = "segment"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(80), unique=True, nullable=False))
    description: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    filter: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_by: str = Field(default="", sa_column=sa.Column(sa.String(64), nullable=False, server_default=""))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
