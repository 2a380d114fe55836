"""Scenario trees staff author (a node shows messages and options leading to other nodes, an FAQ
answer, a URL or a flow), with a draft and a published version."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import UTCDateTime


class Scenario(SQLModel, table=True):
    __tablename__ = "scenario"

    id: int | None = Field(default=None, primary_key=True)
    #: Stable key (``moving``): rich-menu postbacks say ``action=scenario&key=moving``.
    key: str = Field(sa_column=sa.Column(sa.String(40), unique=True, nullable=False))
    title: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    #: The tree being edited (JSON: ``{"start", "keywords", "nodes"}``); test accounts see it.
    draft: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    draft_version: int = Field(default=1, nullable=False)
    #: What citizens see; None until first published.
    published: dict | None = Field(default=None, sa_column=sa.Column(sa.JSON, nullable=True))
    published_version: int | None = Field(default=None, nullable=True)
    published_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    published_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(100), nullable=True))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_by: str = Field(default="", sa_column=sa.Column(sa.String(100), nullable=False))
