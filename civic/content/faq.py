"""FAQ entries in the database: list and search, create, change, delete, CSV in and out, the seed.

Only published entries are answered; a change that touches one (or publishes or withdraws one)
bumps the ``faq`` content version in the same transaction, so every process re-indexes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.content.csvtext import column_map, read_rows
from civic.content.models import DRAFT, FAQ, PUBLISHED, FaqEntryRow
from civic.content.versions import bump
from civic.stats.csvfile import csv_text

STATUSES = (DRAFT, PUBLISHED)
CSV_HEADER = ("id", "question", "alternatives", "answer", "category", "keywords", "status")
CSV_ALIASES = {
    "id": ("id", "ID", "番号"),
    "question": ("question", "質問"),
    "alternatives": ("alternatives", "言い換え", "別の聞き方"),
    "answer": ("answer", "回答"),
    "category": ("category", "分類", "カテゴリ"),
    "keywords": ("keywords", "キーワード"),
    "status": ("status", "状態"),
}
_LIST_SPLIT = re.compile(r"[\n|｜]")
_STATUS_WORDS = {"published": PUBLISHED, "公開": PUBLISHED, "公開中": PUBLISHED, "draft": DRAFT, "下書き": DRAFT}


def as_entry(row: FaqEntryRow) -> dict[str, Any]:
    """What the FAQ index is built from (``nlu.faq_retrieval.FaqEntry.from_dict``)."""
    return {"id": row.id, "question": row.question, "alternatives": list(row.alternatives), "answer": row.answer,
            "category": row.category, "keywords": list(row.keywords), "translations": dict(row.translations)}


def matches(row: FaqEntryRow, q: str) -> bool:
    needle = q.strip().lower()
    return not needle or any(needle in t.lower() for t in (
        row.id, row.question, row.answer, row.category, *row.alternatives, *row.keywords))


async def list_entries(session: AsyncSession, *, q: str = "", status: str | None = None) -> list[FaqEntryRow]:
    query = select(FaqEntryRow)
    if status:
        query = query.where(FaqEntryRow.status == status)
    rows = (await session.exec(query.order_by(col(FaqEntryRow.position), col(FaqEntryRow.id)))).all()
    return [r for r in rows if matches(r, q)]


async def published(session: AsyncSession) -> list[dict[str, Any]]:
    return [as_entry(r) for r in await list_entries(session, status=PUBLISHED)]


async def count(session: AsyncSession) -> int:
    return int((await session.exec(select(sa.func.count()).select_from(FaqEntryRow))).one())


async def next_id(session: AsyncSession) -> str:
    ids = (await session.exec(select(FaqEntryRow.id))).all()
    numbers = [int(m.group(1)) for i in ids if (m := re.fullmatch(r"faq-(\d+)", i))]
    return f"faq-{max(numbers, default=0) + 1:03d}"


async def next_position(session: AsyncSession) -> int:
    top = (await session.exec(select(sa.func.max(FaqEntryRow.position)))).one()
    return int(top or 0) + 1


FIELDS = ("question", "alternatives", "answer", "category", "keywords", "status")


def snapshot(row: FaqEntryRow) -> dict[str, Any]:
    return {"id": row.id, **{f: getattr(row, f) for f in FIELDS}}


async def create(session: AsyncSession, values: Mapping[str, Any], *, now: datetime, staff: str,
                 entry_id: str | None = None) -> FaqEntryRow:
    row = FaqEntryRow(id=entry_id or await next_id(session), question=values["question"],
                      alternatives=list(values.get("alternatives") or []), answer=values.get("answer") or "",
                      category=values.get("category") or "", keywords=list(values.get("keywords") or []),
                      status=values.get("status") or DRAFT, position=await next_position(session),
                      updated_at=now, updated_by=staff)
    session.add(row)
    await session.flush()
    if row.status == PUBLISHED:
        await bump(session, FAQ, now)
    return row


async def update(session: AsyncSession, row: FaqEntryRow, values: Mapping[str, Any], *, now: datetime,
                 staff: str) -> bool:
    """Change ``values`` (only the fields given); whether the bot's answers change (version bumped)."""
    live = row.status == PUBLISHED
    changed = False
    for name, value in values.items():
        if name in FIELDS and getattr(row, name) != value:
            setattr(row, name, list(value) if isinstance(value, list | tuple) else value)
            changed = True
    if not changed:
        return False
    row.updated_at, row.updated_by = now, staff
    session.add(row)
    await session.flush()
    if live or row.status == PUBLISHED:
        await bump(session, FAQ, now)
        return True
    return False


async def delete(session: AsyncSession, row: FaqEntryRow, *, now: datetime) -> None:
    live = row.status == PUBLISHED
    await session.delete(row)
    await session.flush()
    if live:
        await bump(session, FAQ, now)


async def seed(session: AsyncSession, entries: Iterable[Mapping[str, Any]], *, now: datetime) -> int:
    """The town's ``faq.yml``, published, when the table is empty (first start); returns how many."""
    if await count(session):
        return 0
    n = 0
    for n, e in enumerate(entries, start=1):
        session.add(FaqEntryRow(
            id=str(e.get("id") or f"faq-{n:03d}"), question=str(e.get("question") or ""),
            alternatives=[str(a) for a in e.get("alternatives") or ()], answer=str(e.get("answer") or ""),
            category=str(e.get("category") or ""), keywords=[str(k) for k in e.get("keywords") or ()],
            translations=dict(e.get("translations") or {}), status=PUBLISHED, position=n, updated_at=now,
            updated_by="content"))
    await session.flush()
    await bump(session, FAQ, now)
    return n


# -- CSV ------------------------------------------------------------------------------------------

def export_csv(rows: Iterable[FaqEntryRow]) -> str:
    """Excel-friendly: UTF-8 with BOM; lists one item per line inside the cell; a cell that a
    spreadsheet would run as a formula is quoted with ``'`` (undone on import, ``read_rows``)."""
    return csv_text(CSV_HEADER, ([r.id, r.question, "\n".join(r.alternatives), r.answer, r.category,
                                   "\n".join(r.keywords), r.status] for r in rows))


@dataclass
class CsvImport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def _split(cell: str) -> list[str]:
    return [p.strip() for p in _LIST_SPLIT.split(cell) if p.strip()]


def parse_csv(text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    """Rows as entry values (with their line) and per-row errors."""
    rows = read_rows(text)
    errors: list[dict[str, Any]] = []
    if not rows:
        return [], [{"line": 1, "message": "CSV が空です。"}]
    columns = column_map(rows[0][1], CSV_ALIASES)
    if "question" not in columns:
        return [], [{"line": rows[0][0], "message": "見出し行に question（質問）の列がありません。"}]
    out = []
    for line, cells in rows[1:]:
        def cell(name: str, cells: list[str] = cells) -> str:
            i = columns.get(name)
            return cells[i] if i is not None and i < len(cells) else ""

        question = cell("question")
        if not question:
            errors.append({"line": line, "message": "質問が空です。"})
            continue
        raw_status = cell("status")
        status = _STATUS_WORDS.get(raw_status.lower(), None) if raw_status else DRAFT
        if status is None:
            errors.append({"line": line, "message": f"状態「{raw_status}」は published か draft で指定してください。"})
            continue
        if len(question) > 500 or len(cell("answer")) > 5000:
            errors.append({"line": line, "message": "質問は500文字、回答は5000文字までです。"})
            continue
        out.append((line, {"id": cell("id"), "question": question, "alternatives": _split(cell("alternatives")),
                           "answer": cell("answer"), "category": cell("category")[:100],
                           "keywords": _split(cell("keywords")), "status": status}))
    return out, errors


async def import_csv(session: AsyncSession, text: str, *, now: datetime, staff: str) -> CsvImport:
    """Rows with a known id change that entry; the others are added. Nothing is deleted."""
    parsed, errors = parse_csv(text)
    report = CsvImport(errors=errors)
    for _line, values in parsed:
        entry_id = values.pop("id")
        row = await session.get(FaqEntryRow, entry_id) if entry_id else None
        if row is None:
            await create(session, values, now=now, staff=staff, entry_id=entry_id[:64] or None)
            report.created += 1
        else:
            before = snapshot(row)
            await update(session, row, values, now=now, staff=staff)
            if snapshot(row) != before:
                report.updated += 1
            else:
                report.unchanged += 1
    return report
