"""Staff API for the FAQ's results: 役に立った / 役に立たなかった per entry, the answers given, and the
questions nobody could answer (to triage into new FAQ entries).

Permissions: ``faq.read``, ``faq.edit`` (resolve unanswered questions). The questions are what
citizens wrote: without ``personal.view`` names, phone numbers and such in them are masked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlmodel import col, select

from admin_api.errors import ApiError
from admin_api.fields import Offset
from admin_api.routing import ApiRouter, Call, JapanDateTime
from civic.faq.models import FaqAnswer, UnansweredQuestion
from civic.faq.services import feedback_stats, open_questions, resolve_unanswered


class StatsQuery(BaseModel):
    since: JapanDateTime | None = Field(default=None, description="この日時以降の回答だけを数える（時差の記載がなければ日本時間）")


class EntryStatsOut(BaseModel):
    entry_id: str
    question: str
    answers: int
    helpful: int
    not_helpful: int
    helpful_rate: float | None = Field(description="評価のうち「役に立った」の割合（評価がなければ null）")


class AnswersQuery(BaseModel):
    entry_id: str | None = Field(default=None, max_length=64)
    helpful: Literal["yes", "no", "none"] | None = Field(default=None, description="評価で絞り込み（none: 未評価）")
    limit: int = Field(default=50, ge=1, le=500)
    offset: Offset = 0


class AnswerOut(BaseModel):
    id: int
    entry_id: str
    question: str
    how: str
    channel: str
    helpful: bool | None
    at: datetime


class UnansweredQuery(BaseModel):
    status: Literal["open", "answered", "dismissed", "all"] = "open"
    limit: int = Field(default=50, ge=1, le=500)
    offset: Offset = 0


class UnansweredOut(BaseModel):
    id: int
    question: str
    channel: str
    candidates: list[str]
    status: str
    note: str
    faq_entry_id: str | None
    handled_by: str | None
    handled_at: datetime | None
    at: datetime


class ResolveIn(BaseModel):
    status: Literal["open", "answered", "dismissed"]
    note: str = Field(default="", max_length=2000)
    faq_entry_id: str | None = Field(default=None, max_length=64, description="回答として追加・紹介した FAQ の ID")


router = ApiRouter("faq")


def label(call: Call, entry_id: str) -> str:
    return (call.ctx.faq_questions or {}).get(entry_id, "")


def unanswered_out(row: UnansweredQuestion, call: Call) -> UnansweredOut:
    assert row.id is not None
    return UnansweredOut(id=row.id, question=call.redact(row.question) or "", channel=row.channel,
                         candidates=[c for c in row.candidates.split(",") if c], status=row.status, note=row.note,
                         faq_entry_id=row.faq_entry_id, handled_by=row.handled_by, handled_at=row.handled_at,
                         at=row.at)


@router.route("GET", "/faq/stats", summary="FAQ ごとの回答数と評価", permission="faq.read", query=StatsQuery,
              response=list[EntryStatsOut])
async def faq_stats(call: Call) -> list[EntryStatsOut]:
    async with call.ctx.db.read() as s:
        stats = await feedback_stats(s, call.query.since)
    out = []
    for st in stats:
        rated = st.helpful + st.not_helpful
        out.append(EntryStatsOut(entry_id=st.entry_id, question=label(call, st.entry_id), answers=st.answers,
                                 helpful=st.helpful, not_helpful=st.not_helpful,
                                 helpful_rate=round(st.helpful / rated, 3) if rated else None))
    return out


@router.route("GET", "/faq/answers", personal="faq_questions", summary="回答の記録（新しい順）", permission="faq.read", query=AnswersQuery,
              response=list[AnswerOut])
async def faq_answers(call: Call) -> list[AnswerOut]:
    q: AnswersQuery = call.query
    query = select(FaqAnswer)
    if q.entry_id:
        query = query.where(FaqAnswer.entry_id == q.entry_id)
    if q.helpful == "yes":
        query = query.where(col(FaqAnswer.helpful).is_(True))
    elif q.helpful == "no":
        query = query.where(col(FaqAnswer.helpful).is_(False))
    elif q.helpful == "none":
        query = query.where(col(FaqAnswer.helpful).is_(None))
    async with call.ctx.db.read() as s:
        rows = (await s.exec(query.order_by(col(FaqAnswer.at).desc(), col(FaqAnswer.id).desc())
                             .limit(q.limit).offset(q.offset))).all()
    return [AnswerOut(id=r.id, entry_id=r.entry_id, question=call.redact(r.question) or "", how=r.how,
                      channel=r.channel,
                      helpful=r.helpful, at=r.at) for r in rows]


@router.route("GET", "/faq/unanswered", personal="faq_questions", summary="答えられなかった質問", permission="faq.read",
              query=UnansweredQuery, response=list[UnansweredOut])
async def faq_unanswered(call: Call) -> list[UnansweredOut]:
    q: UnansweredQuery = call.query
    async with call.ctx.db.read() as s:
        rows = await open_questions(s, status=None if q.status == "all" else q.status, limit=q.limit,
                                    offset=q.offset)
    return [unanswered_out(r, call) for r in rows]


@router.route("GET", "/faq/unanswered/count", summary="未対応の質問の件数", permission="faq.read", response=dict)
async def faq_unanswered_count(call: Call) -> dict[str, int]:
    async with call.ctx.db.read() as s:
        n = (await s.exec(select(sa.func.count()).select_from(UnansweredQuestion)
                          .where(UnansweredQuestion.status == "open"))).one()
    return {"open": int(n)}


@router.route("POST", r"/faq/unanswered/{id:\d+}", summary="質問の対応を記録", permission="faq.edit",
              body=ResolveIn, response=UnansweredOut)
async def resolve_question(call: Call) -> UnansweredOut:
    body: ResolveIn = call.body
    questions = call.ctx.faq_questions
    if body.faq_entry_id and questions is not None and body.faq_entry_id not in questions:
        raise ApiError(422, "unknown_faq", f"FAQ「{body.faq_entry_id}」がありません。", "faq_entry_id")
    staff = call.principal.display_name if call.principal else ""
    async with call.ctx.db.write() as s:
        row = await resolve_unanswered(s, call.path_int("id"), status=body.status, note=body.note,
                                       faq_entry_id=body.faq_entry_id, staff=staff, now=call.ctx.clock.now())
        if row is None:
            raise ApiError(404, "not_found", "質問が見つかりません。", "id")
        await call.audit(s, "faq.resolve", f"unanswered:{row.id}", after=body)
        return unanswered_out(row, call)

