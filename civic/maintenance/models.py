from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import UTCDateTime


class MaintenanceNotice(SQLModel, table=True):
    """The scheduled maintenance window (one row, id 1) and what citizens are told about it."""

    __tablename__ = "maintenance_notice"

    id: int | None = Field(default=None, primary_key=True)
    starts_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    ends_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    message: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_by: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
