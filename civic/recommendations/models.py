"""Recommendation rules. A rule holds nothing about a citizen: a text, a link and a filter tree."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import UTCDateTime


class RecommendationRule(SQLModel, table=True):
    __tablename__ = "recommendation_rule"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    body: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    link_url: str = Field(default="", sa_column=sa.Column(sa.String(500), nullable=False, server_default=""))
    #: the condition: a segment filter tree (JSON)
    filter: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    #: shown with the date an age condition is reached, e.g. 「1歳6か月になる日」 (empty: no date shown)
    date_label: str = Field(default="", sa_column=sa.Column(sa.String(60), nullable=False, server_default=""))
    active: bool = Field(default=True, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.true()))
    starts_on: date | None = Field(default=None, sa_column=sa.Column(sa.Date, nullable=True))
    ends_on: date | None = Field(default=None, sa_column=sa.Column(sa.Date, nullable=True))
    position: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    created_by: str = Field(default="", sa_column=sa.Column(sa.String(64), nullable=False, server_default=""))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
