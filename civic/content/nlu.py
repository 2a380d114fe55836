"""NLU training examples staff edit (issue #16): intents and their examples, the town's extra sections
(synonyms, lookups, regexes) kept as Rasa YAML, and every retrain with the figures it was judged by.

The examples are the Rasa lines as written (entities inline, ``[みどり町](place)``); ``heldout`` marks
the part held back from training to judge a new model against the one in use. Editing examples changes
nothing the bot answers; an accepted retrain stores the model here and bumps the ``nlu`` content version
(every process loads it, ``bot.content_reload``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.content.versions import bump
from civic.types import UTCDateTime

NLU = "nlu"
#: How a retrain ended: in use now, kept from before (not worse), or not used (worse than the one in use).
FILES, ACCEPTED, REJECTED = "files", "accepted", "rejected"


class NluExampleRow(SQLModel, table=True):
    """One training example of an intent, as a Rasa YAML line (entities inline)."""

    __tablename__ = "nlu_example"

    id: int | None = Field(default=None, primary_key=True)
    intent: str = Field(sa_column=sa.Column(sa.String(100), nullable=False, index=True))
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    #: Held back from training: the set a new model and the one in use are both scored on.
    heldout: bool = Field(default=False, nullable=False)
    position: int = Field(default=0, nullable=False)
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_by: str = Field(default="", sa_column=sa.Column(sa.String(100), nullable=False))


class NluExtra(SQLModel, table=True):
    """The parts of the training data that are not examples (``synonym``, ``lookup``, ``regex``) as Rasa YAML."""

    __tablename__ = "nlu_extra"

    section: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    text: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))


class NluModelRow(SQLModel, table=True):
    """A model: the one trained from the files (``files``) and every retrain, accepted or rejected."""

    __tablename__ = "nlu_model"

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False, index=True))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    created_by: str = Field(default="", sa_column=sa.Column(sa.String(100), nullable=False))
    #: ``{"candidate": {"accuracy", "f1"}, "current": {...}, "examples", "heldout", "seconds", "errors"}``
    report: dict = Field(default_factory=dict, sa_column=sa.Column(sa.JSON, nullable=False))
    #: The training data as Rasa YAML (what this model learnt from, held-back part excluded).
    training_yaml: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    #: The persisted model (a zip of its directory); none for the files' model and rejected ones.
    model: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary, nullable=True))


EXTRAS = "extras"


async def count(session: AsyncSession) -> int:
    return int((await session.exec(select(func.count()).select_from(NluExampleRow))).one())


async def examples(session: AsyncSession, intent: str | None = None) -> list[NluExampleRow]:
    q = select(NluExampleRow)
    if intent is not None:
        q = q.where(NluExampleRow.intent == intent)
    return list((await session.exec(q.order_by(col(NluExampleRow.intent), col(NluExampleRow.position),
                                               col(NluExampleRow.id)))).all())


async def intents(session: AsyncSession) -> list[dict[str, Any]]:
    rows = (await session.exec(select(NluExampleRow.intent, func.count(), func.sum(sa.cast(
        col(NluExampleRow.heldout), sa.Integer))).group_by(col(NluExampleRow.intent))
        .order_by(col(NluExampleRow.intent)))).all()
    return [{"intent": i, "examples": int(n), "heldout": int(h or 0)} for i, n, h in rows]


async def extras(session: AsyncSession) -> str:
    row = await session.get(NluExtra, EXTRAS)
    return row.text if row is not None else ""


async def add(session: AsyncSession, intent: str, text: str, *, now: datetime, staff: str,
              heldout: bool = False) -> NluExampleRow | None:
    """One more example (``None`` when the intent has it already)."""
    same = await session.exec(select(NluExampleRow).where(NluExampleRow.intent == intent, NluExampleRow.text == text))
    if same.first() is not None:
        return None
    last = (await session.exec(select(func.max(NluExampleRow.position)))).one()
    row = NluExampleRow(intent=intent, text=text, heldout=heldout, position=int(last or 0) + 1, updated_at=now,
                        updated_by=staff)
    session.add(row)
    await session.flush()
    return row


async def replace(session: AsyncSession, items: Iterable[tuple[str, str, bool]], extra_yaml: str, *,
                  now: datetime, staff: str) -> int:
    """All examples (``(intent, text, heldout)``) and the extra sections, replaced; how many examples."""
    await session.exec(sa.delete(NluExampleRow))
    n = 0
    for n, (intent, text, heldout) in enumerate(items, start=1):
        session.add(NluExampleRow(intent=intent, text=text, heldout=heldout, position=n, updated_at=now,
                                  updated_by=staff))
    row = await session.get(NluExtra, EXTRAS)
    if row is None:
        row = NluExtra(section=EXTRAS)
    row.text = extra_yaml
    session.add(row)
    await session.flush()
    return n


async def seed(session: AsyncSession, items: list[tuple[str, str, bool]], extra_yaml: str, training_yaml: str, *,
               now: datetime) -> int:
    """The town's ``nlu/*.yml`` and the model trained from them at start, when the table is empty."""
    if await count(session):
        return 0
    n = await replace(session, items, extra_yaml, now=now, staff="content")
    session.add(NluModelRow(status=FILES, created_at=now, created_by="content", training_yaml=training_yaml,
                            report={"examples": n}))
    await session.flush()
    return n


async def in_use(session: AsyncSession) -> NluModelRow | None:
    """The model the bot answers from: the last accepted retrain, else the files' model."""
    q = select(NluModelRow).where(col(NluModelRow.status).in_((FILES, ACCEPTED))).order_by(col(NluModelRow.id).desc())
    return (await session.exec(q.limit(1))).first()


async def record(session: AsyncSession, *, accepted: bool, report: dict[str, Any], training_yaml: str,
                 model: bytes | None, now: datetime, staff: str) -> NluModelRow:
    """A retrain's outcome; an accepted one is what every process loads next (the ``nlu`` version moves)."""
    row = NluModelRow(status=ACCEPTED if accepted else REJECTED, created_at=now, created_by=staff, report=report,
                      training_yaml=training_yaml, model=model if accepted else None)
    session.add(row)
    await session.flush()
    if accepted:
        await bump(session, NLU, now)
    return row


async def history(session: AsyncSession, limit: int = 20) -> list[NluModelRow]:
    q = select(NluModelRow).order_by(col(NluModelRow.id).desc()).limit(limit)
    return list((await session.exec(q)).all())
