"""Searching and exporting the talk log (citizen ↔ bot) for staff (国富町 §9(2)(ウ)⑥)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Row
from sqlmodel import col, select

from civic.database import Database
from civic.staff.privacy import Pseudonymizer, mask_text
from civic.talklog.models import TalkEntry


@dataclass
class TalkQuery:
    since: datetime | None = None
    until: datetime | None = None
    channel_user_id: str | None = None
    direction: str | None = None  # in | out
    kind: str | None = None
    intent: str | None = None
    flow: str | None = None
    #: Words to find in what was said. Talk is encrypted at rest, so this is matched after
    #: decryption, within the rows the other filters select.
    text: str | None = None
    #: Any further test on the decrypted entry (a pseudonym filter, …).
    predicate: Callable[[Row], bool] | None = None


#: Plain rows, not ORM objects: exports read hundreds of thousands of entries and object
#: construction was most of their cost. Rows answer to the same attribute names.
_COLUMNS = (TalkEntry.id, TalkEntry.at, TalkEntry.channel_user_id, TalkEntry.direction, TalkEntry.kind,
            TalkEntry.text, TalkEntry.intent, TalkEntry.flow)


def _where(q: TalkQuery) -> list[Any]:
    clauses: list[Any] = []
    if q.since:
        clauses.append(TalkEntry.at >= q.since)
    if q.until:
        clauses.append(TalkEntry.at < q.until)
    if q.channel_user_id:
        clauses.append(TalkEntry.channel_user_id == q.channel_user_id)
    for column, value in ((TalkEntry.direction, q.direction), (TalkEntry.kind, q.kind),
                          (TalkEntry.intent, q.intent), (TalkEntry.flow, q.flow)):
        if value:
            clauses.append(column == value)
    return clauses


async def iterate(db: Database, query: TalkQuery, *, batch: int = 500) -> AsyncIterator[Row]:
    """Matching entries in time order, read in batches (exports of any size in bounded memory)."""
    last: tuple[datetime, int] | None = None
    needle = query.text.casefold() if query.text else None
    while True:
        stmt = select(*_COLUMNS).where(*_where(query))  # type: ignore[call-overload]  # SQLModel's select()/exec() are typed for at most four columns
        if last is not None:
            # "at >= …" first, so the index on ``at`` bounds the scan; the OR only breaks ties.
            stmt = stmt.where(col(TalkEntry.at) >= last[0], sa.or_(col(TalkEntry.at) > last[0], col(TalkEntry.id) > last[1]))
        async with db.read() as s:
            rows = (await s.exec(stmt.order_by(TalkEntry.at, TalkEntry.id).limit(batch))).all()
        for row in rows:
            if needle is not None and not (row.text and needle in row.text.casefold()):
                continue
            if query.predicate is None or query.predicate(row):
                yield row
        if len(rows) < batch:
            return
        last = (rows[-1].at, rows[-1].id)


async def search(db: Database, query: TalkQuery, *, limit: int = 50, offset: int = 0) -> Sequence[Row]:
    if not query.text and query.predicate is None:
        async with db.read() as s:
            return (await s.exec(select(*_COLUMNS).where(*_where(query))  # type: ignore[call-overload, return-value]  # see above
                                 .order_by(TalkEntry.at, TalkEntry.id).limit(limit).offset(offset))).all()
    found: list[Row] = []
    skipped = 0
    async for row in iterate(db, query):
        if skipped < offset:
            skipped += 1
            continue
        found.append(row)
        if len(found) >= limit:
            break
    return found


def entry_view(entry: Row | TalkEntry, *, personal: bool, pseudonym: Pseudonymizer,
               redact: Callable[[str | None], str | None] = mask_text) -> dict[str, Any]:
    """One entry as a role may see it: without ``personal.view`` the user is a pseudonym, text masked
    (``redact``: the admin API's, which masks names too)."""
    return {
        "id": entry.id,
        "at": entry.at,
        "user": entry.channel_user_id if personal else pseudonym(entry.channel_user_id),
        "direction": entry.direction,
        "kind": entry.kind,
        "text": entry.text if personal else redact(entry.text),
        "intent": entry.intent,
        "flow": entry.flow,
    }
