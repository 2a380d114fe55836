"""Making, changing, finding and storing 届書 (小郡市 spec (4) a, e, f; (5) p, q, u, v).

Functions take the caller's session (the edge commits) and the time; ``staff`` is the login of who
acts. Every change of state is a ``counter_form_event`` row with who and when.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.counter.forms import DONE, DRAFTING, KINDS, NEXT, STATUSES, FormProblem, fold, missing, search_text
from civic.counter.models import CounterAttachment, CounterDocument, CounterForm, CounterFormEvent


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class Found:
    form: CounterForm
    doc: dict[str, Any]


def _number(form_id: int, now: datetime) -> str:
    return f"{now.year}-{form_id:06d}"


def _source(value: str) -> str:
    return value if value in ("qr", "typed") or value.startswith("ocr:") else "typed"


async def create_form(session: AsyncSession, doc: dict[str, Any], *, staff: str, now: datetime,
                      source: str = "typed") -> CounterForm:
    form = CounterForm(number=f"tmp-{now.timestamp()}"[:16], kind=doc["kind"], status=DRAFTING,
                       origin=doc["household"]["origin"][:64], source=_source(source),
                       data=json.dumps(doc, ensure_ascii=False), search_text=search_text(doc),
                       created_at=now, created_by=staff, updated_at=now, updated_by=staff)
    session.add(form)
    await session.flush()
    assert form.id is not None
    form.number = _number(form.id, now)
    session.add(CounterFormEvent(form_id=form.id, at=now, staff_login=staff, status_from="", status_to=DRAFTING,
                                 note=""))
    await session.flush()
    return form


async def get_form(session: AsyncSession, form_id: int) -> Found:
    form = await session.get(CounterForm, form_id)
    if form is None:
        raise NotFound(form_id)
    return Found(form, json.loads(form.data))


async def update_form(session: AsyncSession, form_id: int, doc: dict[str, Any] | None, *, staff: str,
                      now: datetime, status: str | None = None, note: str = "") -> Found:
    """New content and/or a new state. A finished 届書 (完了) no longer changes; 確認待ち and 完了
    need every required field (``FormProblem`` names the first one missing)."""
    found = await get_form(session, form_id)
    form = found.form
    if form.status == DONE and (doc is not None or status not in (None, DONE)):
        raise FormProblem("status", "finished", "完了した届書は変更できません。")
    if doc is not None:
        form.kind, form.origin = doc["kind"], doc["household"]["origin"][:64]
        form.data, form.search_text = json.dumps(doc, ensure_ascii=False), search_text(doc)
    current = json.loads(form.data)
    if status is not None and status != form.status:
        if status not in STATUSES:
            raise FormProblem("status", "invalid", f"状態は次のいずれかです: {', '.join(STATUSES)}")
        if status not in NEXT[form.status]:
            allowed = "、".join(STATUSES[s] for s in NEXT[form.status]) or "なし"
            raise FormProblem("status", "transition",
                              f"「{STATUSES[form.status]}」から「{STATUSES[status]}」にはできません（できるのは: {allowed}）。")
        if status in ("review", DONE):
            problems = missing(current)
            if problems:
                first = problems[0]
                raise FormProblem(first.field, "required", f"{first.message}（入力漏れ {len(problems)} 件）")
        session.add(CounterFormEvent(form_id=form_id, at=now, staff_login=staff, status_from=form.status,
                                     status_to=status, note=note))
        form.status = status
        if status == DONE:
            form.finished_at = now
    elif note:
        session.add(CounterFormEvent(form_id=form_id, at=now, staff_login=staff, status_from=form.status,
                                     status_to=form.status, note=note))
    form.updated_at, form.updated_by = now, staff
    session.add(form)
    await session.flush()
    return Found(form, current)


async def history(session: AsyncSession, form_id: int) -> list[CounterFormEvent]:
    rows = await session.exec(select(CounterFormEvent).where(CounterFormEvent.form_id == form_id)
                              .order_by(col(CounterFormEvent.id)))
    return list(rows.all())


@dataclass(frozen=True)
class Search:
    q: str = ""
    status: str = ""
    kind: str = ""
    origin: str = ""
    since: date | None = None
    until: date | None = None
    limit: int = 50


async def search(session: AsyncSession, query: Search, *, start: datetime | None = None,
                 end: datetime | None = None) -> list[CounterForm]:
    """Newest first. ``q`` matches the number, or names, kana, addresses and origin (decrypted here)."""
    stmt = select(CounterForm).order_by(col(CounterForm.id).desc())
    if query.status:
        stmt = stmt.where(CounterForm.status == query.status)
    if query.kind:
        stmt = stmt.where(CounterForm.kind == query.kind)
    if query.origin:
        stmt = stmt.where(col(CounterForm.origin).contains(query.origin, autoescape=True))
    if start is not None:
        stmt = stmt.where(CounterForm.created_at >= start)
    if end is not None:
        stmt = stmt.where(CounterForm.created_at < end)
    needle = fold(query.q)
    if needle and needle.replace("-", "").isdigit() and "-" in needle:
        stmt = stmt.where(CounterForm.number == needle)
        needle = ""
    out: list[CounterForm] = []
    for form in (await session.exec(stmt)).all():
        if needle and needle not in form.search_text:
            continue
        out.append(form)
        if len(out) >= query.limit:
            break
    return out


def pdf_of(document: CounterDocument, *, masked: bool) -> bytes:
    return base64.b64decode(document.masked if masked else document.full)


async def store_document(session: AsyncSession, form_id: int, *, kind: str, label: str, full: bytes, masked: bytes,
                         staff: str, now: datetime, template: str = "") -> CounterDocument:
    doc = CounterDocument(form_id=form_id, kind=kind, label=label[:128], template=template,
                          full=base64.b64encode(full).decode(),
                          masked=base64.b64encode(masked).decode(), size=len(full) + len(masked),
                          created_at=now, created_by=staff)
    session.add(doc)
    await session.flush()
    return doc


async def documents(session: AsyncSession, form_id: int) -> list[CounterDocument]:
    rows = await session.exec(select(CounterDocument).where(CounterDocument.form_id == form_id)
                              .order_by(col(CounterDocument.id)))
    return list(rows.all())


async def latest_form_pdf(session: AsyncSession, form_id: int) -> CounterDocument | None:
    rows = await session.exec(select(CounterDocument).where(CounterDocument.form_id == form_id,
                                                            CounterDocument.kind == "form")
                              .order_by(col(CounterDocument.id).desc()).limit(1))
    return rows.first()


async def add_attachment(session: AsyncSession, form_id: int, *, kind: str, layout: str, note: str, filename: str,
                         made: Any, staff: str, now: datetime) -> CounterAttachment:
    """An attached paper (``civic.counter.attachments.Made``): full and masked PDF, stored encrypted."""
    row = CounterAttachment(form_id=form_id, kind=kind, layout=layout, note=note, filename=filename, pages=made.pages,
                            masks=json.dumps(made.masks), full=made.full, masked=made.masked,
                            size=len(made.full) + len(made.masked), created_at=now, created_by=staff,
                            updated_at=now, updated_by=staff)
    session.add(row)
    await session.flush()
    return row


async def attachments(session: AsyncSession, form_id: int) -> list[CounterAttachment]:
    rows = await session.exec(select(CounterAttachment).where(CounterAttachment.form_id == form_id)
                              .order_by(col(CounterAttachment.id)))
    return list(rows.all())


async def get_attachment(session: AsyncSession, form_id: int, attachment_id: int) -> CounterAttachment:
    row = await session.get(CounterAttachment, attachment_id)
    if row is None or row.form_id != form_id:
        raise NotFound(attachment_id)
    return row


async def delete_attachment(session: AsyncSession, form_id: int, attachment_id: int) -> CounterAttachment:
    """Removes an attached paper (both PDFs). A finished 届書 (完了) keeps its papers, as it keeps its content."""
    row = await get_attachment(session, form_id, attachment_id)
    form = await session.get(CounterForm, form_id)
    if form is not None and form.status == DONE:
        raise FormProblem("status", "finished", "完了した届書の添付書類は削除できません。")
    await session.delete(row)
    await session.flush()
    return row


async def counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.exec(select(CounterForm.status, sa.func.count()).group_by(CounterForm.status))
    return {status: int(n) for status, n in rows.all()}


__all__ = ["KINDS", "STATUSES", "Found", "NotFound", "Search", "add_attachment", "attachments", "counts", "create_form",
           "delete_attachment", "get_attachment", "get_form", "history", "search", "store_document", "update_form"]
