"""Life-event trees staff edit in the console (issue #16): stored in ``procedure_event_source``, checked
by the loader (:func:`civic.procedures.loader.load_event_text`), previewed path by path, published.

The files of ``content/<town>/procedures/events/`` seed the table on first start; from then on the
published text in the database is what the 手続きナビ page and the LINE dialogue walk, and
:func:`export_files` gives the files back. Publishing bumps the ``procedures`` content version: every
process re-reads the published trees within seconds (``bot.procedure_reload``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.clock import Clock
from civic.content.versions import bump
from civic.procedures.conditions import Condition
from civic.procedures.loader import ContentProblem, load_event_text
from civic.procedures.models import ProcedureDraft, ProcedureEventSource
from civic.procedures.navigator import Navigator
from civic.procedures.tree import Content, LifeEvent, Question

#: The content version every process polls (``civic.content.versions``).
PROCEDURES = "procedures"
#: A preview lists at most this many paths (みどり町の転入 has 5,400: independent yes/no questions multiply).
MAX_PATHS = 10000


# -- checking and previewing -----------------------------------------------------------------------------


def check(content: Content, text: str, file: str, code: str | None = None
          ) -> tuple[LifeEvent | None, list[ContentProblem]]:
    """The loader's verdict on ``text``, plus: the code is the one edited, and no other event has it."""
    event, problems = load_event_text(text, file, content.catalogue)
    if event is not None:
        if code is not None and event.code != code:
            problems.append(ContentProblem(file, "code", f"code は {code} のままにしてください（{event.code}）"))
        elif code is None and event.code in content.events:
            problems.append(ContentProblem(file, "code", f"ライフイベント {event.code} はすでにあります"))
    return (event if not problems else None), problems


def problem_dict(p: ContentProblem) -> dict[str, Any]:
    return {"file": p.file, "field": p.path, "line": p.line, "message": p.reason, "text": str(p)}


def describe(cond: Condition, labels: dict[str, Question]) -> str:
    """A condition as staff read it: 「転入前の住所 = 国外」."""
    if cond.op == "true":
        return ""
    if cond.op == "in":
        q = labels.get(cond.question)
        name = q.text if q else cond.question
        values = "・".join(q.label_of(v) if q else v for v in cond.values)
        return f"{name} = {values}"
    if cond.op == "not":
        return f"（{describe(cond.parts[0], labels)}）ではない"
    joiner = " かつ " if cond.op == "all" else " または "
    return joiner.join(f"（{describe(p, labels)}）" if p.op in ("all", "any") else describe(p, labels)
                       for p in cond.parts)


def _all_questions(questions: tuple[Question, ...]) -> dict[str, Question]:
    out: dict[str, Question] = {}
    for q in questions:
        out[q.id] = q
        for o in q.options:
            out.update(_all_questions(o.then))
    return out


def structure(content: Content, event: LifeEvent) -> dict[str, Any]:
    """The tree as data (the console's structured view): questions with options and follow-ups,
    the procedures with the conditions under which they apply, in words."""
    labels = _all_questions(event.questions)

    def question(q: Question) -> dict[str, Any]:
        return {"id": q.id, "text": q.text, "kind": q.kind, "help": q.help, "when": describe(q.when, labels),
                "options": [{"value": o.value, "label": o.label, "then": [question(c) for c in o.then]}
                            for o in q.options]}

    procedures = []
    for use in event.procedures:
        proc = content.catalogue.get(use.code)
        procedures.append({"code": use.code, "name": proc.name if proc else str(use.code),
                           "when": describe(use.when, labels)})
    return {"code": event.code, "title": event.title, "label": event.label, "summary": event.summary,
            "questions": [question(q) for q in event.questions], "procedures": procedures}


@dataclass
class PathPreview:
    answers: list[dict[str, str]] = field(default_factory=list)  # {"question", "answer"}
    procedures: list[dict[str, Any]] = field(default_factory=list)  # {"code", "name", "counter"}


def paths(content: Content, event: LifeEvent, clock: Clock, limit: int = MAX_PATHS) -> tuple[list[PathPreview], bool]:
    """Every way through the questions (a date question is answered with today) and the result of each,
    as the navigator computes it for a resident; and whether the list was cut at ``limit``."""
    nav = Navigator(content, event, clock)
    today = nav.today().isoformat()
    out: list[PathPreview] = []
    cut = False

    def walk(answers: dict[str, str], shown: list[dict[str, str]]) -> None:
        nonlocal cut
        if len(out) >= limit:
            cut = True
            return
        q = nav.next_question(answers)
        if q is None:
            results = nav.result(answers)
            out.append(PathPreview(shown, [{"code": r.code, "name": r.name, "counter": r.counter.place}
                                           for r in results]))
            return
        if q.kind == "date":
            walk({**answers, q.id: today}, [*shown, {"question": q.text, "answer": "（日付: 今日）"}])
            return
        for o in q.options:
            walk({**answers, q.id: o.value}, [*shown, {"question": q.text, "answer": o.label}])

    walk({}, [])
    return out, cut


# -- the table ---------------------------------------------------------------------------------------------


def file_name(code: str) -> str:
    return f"events/{code}.yaml"


async def seed(session: AsyncSession, directory: Path, content: Content, now: datetime) -> int:
    """The life events of ``directory/events`` the table does not hold yet (all of them on first start; a
    life event a later release adds); how many. What staff edited is never overwritten."""
    known = set((await session.exec(select(ProcedureEventSource.code))).all())
    n = 0
    for event in content.events.values():
        path = directory / event.source
        if event.code in known or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        session.add(ProcedureEventSource(code=event.code, file=event.source, draft=text, published=text,
                                         updated_at=now, updated_by="content", published_at=now,
                                         published_by="content"))
        n += 1
    await session.flush()
    return n


async def rows(session: AsyncSession, *, deleted: bool = False) -> list[ProcedureEventSource]:
    """The life events staff see (``deleted``: with the marks of the deleted ones, for the reloader)."""
    query = select(ProcedureEventSource).order_by(ProcedureEventSource.code)
    if not deleted:
        query = query.where(col(ProcedureEventSource.deleted_at).is_(None))
    return list((await session.exec(query)).all())


async def residents_on_it(session: AsyncSession, code: str, now: datetime) -> tuple[int, datetime | None]:
    """Residents part-way through ``code`` (their drafts, not yet expired), and when the last draft expires:
    a deleted event would leave them on a page whose questions are gone."""
    count, last = (await session.exec(
        select(sa.func.count(), sa.func.max(ProcedureDraft.expires_at))
        .where(ProcedureDraft.event_code == code, col(ProcedureDraft.expires_at) > now))).one()
    return int(count), last


async def delete(session: AsyncSession, row: ProcedureEventSource, *, now: datetime, by: str) -> int | None:
    """The life event leaves the 手続きナビ page and LINE: the row stays as an empty mark (the town's files do
    not seed it again); every process re-reads the trees when it was published (the new content version)."""
    was_published = bool(row.published)
    row.draft = row.published = ""
    row.deleted_at, row.deleted_by, row.updated_at, row.updated_by = now, by, now, by
    session.add(row)
    await session.flush()
    return await bump(session, PROCEDURES, now) if was_published else None


async def save_draft(session: AsyncSession, code: str, text: str, *, now: datetime, by: str) -> ProcedureEventSource:
    row = await session.get(ProcedureEventSource, code)
    if row is None:
        row = ProcedureEventSource(code=code, file=file_name(code), draft=text, published="", updated_at=now,
                                   updated_by=by)
    if row.deleted_at is not None:  # a deleted code used again: a new life event
        row.published, row.published_at, row.published_by, row.deleted_at, row.deleted_by = "", None, "", None, ""
    row.draft, row.updated_at, row.updated_by = text, now, by
    session.add(row)
    await session.flush()
    return row


async def publish(session: AsyncSession, row: ProcedureEventSource, *, now: datetime, by: str) -> int:
    """The draft becomes what residents walk; every process re-reads it (the new content version)."""
    row.published, row.published_at, row.published_by = row.draft, now, by
    session.add(row)
    await session.flush()
    return await bump(session, PROCEDURES, now)


def rebuild(content: Content, sources: list[ProcedureEventSource]) -> tuple[dict[str, LifeEvent], list[ContentProblem]]:
    """The life events of the published texts, checked against the catalogue in use; an event whose
    text no longer passes keeps its previous version (and its problems are returned)."""
    events: dict[str, LifeEvent] = {}
    problems: list[ContentProblem] = []
    for row in sources:
        if not row.published:
            continue
        event, found = load_event_text(row.published, row.file, content.catalogue)
        if event is None:
            problems.extend(found)
            if row.code in content.events:
                events[row.code] = content.events[row.code]
            continue
        events[event.code] = event
    return events, problems
