"""Tables of the content staff edit live: FAQ entries, the garbage dictionary, and the version rows
every process polls to know when to re-index."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import UTCDateTime

DRAFT, PUBLISHED = "draft", "published"
FAQ, GARBAGE = "faq", "garbage"


class FaqEntryRow(SQLModel, table=True):
    """One FAQ entry as staff edit it; only ``published`` ones are answered."""

    __tablename__ = "faq_entry"

    id: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    question: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    alternatives: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    answer: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    category: str = Field(default="", sa_column=sa.Column(sa.String(100), nullable=False))
    keywords: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    #: Staff translations from the seed (``{"en": {"question": …, "answer": …}}``), kept as they are.
    translations: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    status: str = Field(default=DRAFT, sa_column=sa.Column(sa.String(16), nullable=False, index=True))
    position: int = Field(default=0, nullable=False)
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_by: str = Field(default="", sa_column=sa.Column(sa.String(100), nullable=False))


class GarbageItemRow(SQLModel, table=True):
    """One item of the garbage dictionary (a row of 5374's ``target.csv``)."""

    __tablename__ = "garbage_item"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False, index=True))
    category: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    notes: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    furigana: str = Field(default="", sa_column=sa.Column(sa.String(200), nullable=False))
    synonyms: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))


class GarbageCategoryRow(SQLModel, table=True):
    """A category (a row of 5374's ``description.csv``)."""

    __tablename__ = "garbage_category"

    label: str = Field(sa_column=sa.Column(sa.String(100), primary_key=True))
    sublabel: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    description: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    styles: str = Field(default="", sa_column=sa.Column(sa.String(200), nullable=False))
    bgcolor: str = Field(default="", sa_column=sa.Column(sa.String(32), nullable=False))
    position: int = Field(default=0, nullable=False)


class GarbageFile(SQLModel, table=True):
    """A 5374 file kept as it was imported (``area_days.csv``, ``center.csv``): collection areas and days."""

    __tablename__ = "garbage_file"

    name: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    text: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))


class ContentVersion(SQLModel, table=True):
    """Bumped by every change the bot must answer from (``faq``, ``garbage``); every process polls it."""

    __tablename__ = "content_version"

    name: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    version: int = Field(default=1, nullable=False)
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
