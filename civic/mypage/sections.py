"""The my-page's sections, read for one citizen. Every lookup by id is scoped to the citizen: another
citizen's notice, report or to-do is simply not found (the page answers 404, never 403)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.attributes import services as attributes
from civic.clock import tokyo
from civic.mypage.models import MyPageNotice, MyPageTodo
from civic.reports.models import STATUS_LABELS, Report, ReportStatusChange
from civic.rows import pk


def _iso(dt: datetime | None) -> str | None:
    return tokyo(dt).isoformat(timespec="minutes") if dt is not None else None


# ---- お知らせ ------------------------------------------------------------------------------------

async def notices(s: AsyncSession, citizen_id: int, *, limit: int = 50, before: int | None = None
                  ) -> dict[str, Any]:
    q = select(MyPageNotice).where(MyPageNotice.citizen_id == citizen_id)
    if before is not None:
        q = q.where(col(MyPageNotice.id) < before)
    rows = (await s.exec(q.order_by(col(MyPageNotice.id).desc()).limit(limit + 1))).all()  # newest received first
    unread = (await s.exec(select(sa.func.count()).select_from(MyPageNotice).where(
        MyPageNotice.citizen_id == citizen_id, col(MyPageNotice.read_at).is_(None)))).one()
    return {"notices": [notice_json(r) for r in rows[:limit]], "unread": int(unread),
            "more": len(rows) > limit}


def notice_json(r: MyPageNotice) -> dict[str, Any]:
    return {"id": r.id, "kind": r.kind, "title": r.title, "body": r.body, "at": _iso(r.at),
            "read": r.read_at is not None}


async def mark_read(s: AsyncSession, now: datetime, citizen_id: int, notice_id: int) -> MyPageNotice | None:
    row = await s.get(MyPageNotice, notice_id)
    if row is None or row.citizen_id != citizen_id:
        return None
    if row.read_at is None:
        row.read_at = now
        s.add(row)
    return row


# ---- 通報 ----------------------------------------------------------------------------------------

def _mine(citizen_id: int, user_id: str) -> Any:
    return sa.or_(col(Report.citizen_id) == citizen_id, col(Report.reporter) == user_id)


def report_json(r: Report, changes: list[ReportStatusChange]) -> dict[str, Any]:
    return {"id": r.id, "receipt_no": r.receipt_no, "category": r.category, "address": r.address,
            "status": r.status, "status_label": STATUS_LABELS.get(r.status, r.status), "created_at": _iso(r.created_at),
            "description": r.description,
            # the history, with the notes staff wrote for the reporter (the ones sent to them)
            "history": [{"at": _iso(c.at), "status": c.to_status, "status_label": STATUS_LABELS.get(c.to_status, ""),
                         "note": c.note if c.notified else ""} for c in changes]}


async def reports(s: AsyncSession, citizen_id: int, user_id: str) -> list[dict[str, Any]]:
    rows = (await s.exec(select(Report).where(_mine(citizen_id, user_id))
                         .order_by(col(Report.created_at).desc()).limit(200))).all()
    ids = [pk(r) for r in rows]
    changes: dict[int, list[ReportStatusChange]] = {}
    if ids:
        for c in (await s.exec(select(ReportStatusChange).where(col(ReportStatusChange.report_id).in_(ids))
                               .order_by(col(ReportStatusChange.at), col(ReportStatusChange.id)))).all():
            changes.setdefault(c.report_id, []).append(c)
    return [report_json(r, changes.get(pk(r), [])) for r in rows]


async def report(s: AsyncSession, citizen_id: int, user_id: str, report_id: int) -> dict[str, Any] | None:
    r = (await s.exec(select(Report).where(Report.id == report_id, _mine(citizen_id, user_id)))).first()
    if r is None:
        return None
    changes = (await s.exec(select(ReportStatusChange).where(ReportStatusChange.report_id == report_id)
                            .order_by(col(ReportStatusChange.at), col(ReportStatusChange.id)))).all()
    return report_json(r, list(changes))


# ---- 手続き (saved 手続きナビ results) -----------------------------------------------------------

@dataclass(frozen=True)
class SavedProcedure:
    """What is kept of one procedure of a result: never the household data the QR carried."""

    code: int
    name: str
    place: str
    bring: tuple[str, ...]
    deadline: str
    deadline_date: date | None


async def save_results(s: AsyncSession, now: datetime, citizen_id: int, event_code: str, event_title: str,
                       procedures: list[SavedProcedure]) -> int:
    """Save (or refresh) an event's procedures as to-dos; ticks already made stay."""
    existing = {t.code: t for t in (await s.exec(select(MyPageTodo).where(
        MyPageTodo.citizen_id == citizen_id, MyPageTodo.event_code == event_code))).all()}
    for p in procedures:
        row = existing.get(p.code) or MyPageTodo(citizen_id=citizen_id, event_code=event_code, code=p.code,
                                                 event_title=event_title, name=p.name, saved_at=now)
        row.event_title, row.name, row.place = event_title[:200], p.name[:200], p.place[:200]
        row.bring, row.deadline, row.deadline_date = json.dumps(list(p.bring), ensure_ascii=False), p.deadline[:200], \
            p.deadline_date
        s.add(row)
    await s.flush()
    return len(procedures)


def todo_json(t: MyPageTodo, today: date) -> dict[str, Any]:
    return {"id": t.id, "event_code": t.event_code, "event_title": t.event_title, "code": t.code, "name": t.name,
            "place": t.place, "bring": json.loads(t.bring or "[]"), "deadline": t.deadline,
            "deadline_date": t.deadline_date.isoformat() if t.deadline_date else None,
            "overdue": bool(t.deadline_date and t.deadline_date < today and t.done_at is None),
            "done": t.done_at is not None, "done_at": _iso(t.done_at)}


async def todos(s: AsyncSession, citizen_id: int, today: date) -> list[dict[str, Any]]:
    rows = (await s.exec(select(MyPageTodo).where(MyPageTodo.citizen_id == citizen_id)
                         .order_by(col(MyPageTodo.saved_at).desc(), col(MyPageTodo.event_code),
                                   col(MyPageTodo.code)))).all()
    return [todo_json(t, today) for t in rows]


async def tick(s: AsyncSession, now: datetime, citizen_id: int, todo_id: int, done: bool) -> MyPageTodo | None:
    row = await s.get(MyPageTodo, todo_id)
    if row is None or row.citizen_id != citizen_id:
        return None
    row.done_at = now if done else None
    s.add(row)
    return row


async def forget_event(s: AsyncSession, citizen_id: int, event_code: str) -> int:
    done = await s.exec(sa.delete(MyPageTodo).where(col(MyPageTodo.citizen_id) == citizen_id,
                                                    col(MyPageTodo.event_code) == event_code))
    return int(done.rowcount or 0)


# ---- 登録情報 ----------------------------------------------------------------------------------

async def registered(s: AsyncSession, citizen_id: int) -> list[dict[str, Any]]:
    """The citizen's attribute values with their labels, in the catalogue's order."""
    specs = await attributes.definitions_by_key(s)
    values = await attributes.citizen_values(s, citizen_id, specs)
    out = []
    for spec in sorted(specs.values(), key=lambda x: (x.position, x.id)):
        if spec.key not in values:
            continue
        labels = {c.value: c.label for c in spec.choices}
        shown = [labels.get(str(v), str(v)) if labels else (v.isoformat() if isinstance(v, date) else str(v))
                 for v in values[spec.key]]
        out.append({"key": spec.key, "label": spec.label, "category": spec.category,
                    "values": [f"{v}{spec.unit}" if spec.unit else v for v in shown]})
    return out
