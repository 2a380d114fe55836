"""Typed access to SQLModel rows and tables, so that callers need no suppression comments.

SQLModel declares a primary key as ``id: int | None`` (None until the row is flushed) and does not
declare ``__table__`` on the class; these two helpers say what the code already relies on."""

from __future__ import annotations

from typing import Protocol, cast

import sqlalchemy as sa
from sqlmodel import SQLModel


class _HasId(Protocol):
    @property
    def id(self) -> int | None: ...


def pk(row: _HasId) -> int:
    """The primary key of a row that has been flushed or loaded; a row without one is a programming error."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no primary key yet (add and flush it first)")
    return row.id


def table_of(model: type[SQLModel]) -> sa.Table:
    """The Core table of a ``table=True`` model (for inserts, updates and joins written in Core)."""
    return cast(sa.Table, model.__table__)  # type: ignore[attr-defined]  # set by SQLAlchemy's declarative mapping
