"""Recording FAQ answers, feedback and unanswered questions; the figures staff look at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.faq.models import CONFIDENT, OPEN, UNANSWERED_STATUSES, FaqAnswer, UnansweredQuestion


async def record_answer(session: AsyncSession, *, entry_id: str, question: str, channel: str,
                        asker: str | None, now: datetime, how: str = CONFIDENT) -> FaqAnswer:
    row = FaqAnswer(entry_id=entry_id, question=question[:1000], how=how, channel=channel, asker=asker, at=now)
    session.add(row)
    await session.flush()
    return row


async def record_feedback(session: AsyncSession, answer_id: int, helpful: bool, *, asker: str | None,
                          now: datetime) -> str:
    """``recorded``, ``already`` (feedback given before, kept) or ``unknown``."""
    row = await session.get(FaqAnswer, answer_id)
    if row is None or (row.asker is not None and asker is not None and row.asker != asker):
        return "unknown"
    if row.helpful is not None:
        return "already"
    row.helpful = helpful
    row.feedback_at = now
    session.add(row)
    return "recorded"


async def record_unanswered(session: AsyncSession, *, question: str, channel: str, candidates: list[str],
                            now: datetime) -> UnansweredQuestion:
    row = UnansweredQuestion(question=question[:1000], channel=channel, candidates=",".join(candidates)[:300],
                             at=now)
    session.add(row)
    await session.flush()
    return row


async def resolve_unanswered(session: AsyncSession, question_id: int, *, status: str, note: str,
                             faq_entry_id: str | None, staff: str, now: datetime) -> UnansweredQuestion | None:
    if status not in UNANSWERED_STATUSES:
        raise ValueError(status)
    row = await session.get(UnansweredQuestion, question_id)
    if row is None:
        return None
    row.status, row.note, row.faq_entry_id = status, note[:2000], faq_entry_id
    row.handled_by, row.handled_at = (staff, now) if status != OPEN else (None, None)
    session.add(row)
    return row


@dataclass(frozen=True)
class EntryStats:
    entry_id: str
    answers: int
    helpful: int
    not_helpful: int


async def feedback_stats(session: AsyncSession, since: datetime | None = None) -> list[EntryStats]:
    helpful = sa.func.sum(sa.case((col(FaqAnswer.helpful).is_(True), 1), else_=0))
    unhelpful = sa.func.sum(sa.case((col(FaqAnswer.helpful).is_(False), 1), else_=0))
    query = select(FaqAnswer.entry_id, sa.func.count(), helpful, unhelpful).group_by(FaqAnswer.entry_id)
    if since is not None:
        query = query.where(col(FaqAnswer.at) >= since)
    rows = (await session.exec(query)).all()
    stats = [EntryStats(e, int(n), int(h or 0), int(u or 0)) for e, n, h, u in rows]
    return sorted(stats, key=lambda s: (-s.not_helpful, -s.answers, s.entry_id))


async def open_questions(session: AsyncSession, *, status: str | None = OPEN, limit: int = 100,
                         offset: int = 0) -> list[UnansweredQuestion]:
    query = select(UnansweredQuestion)
    if status:
        query = query.where(UnansweredQuestion.status == status)
    query = query.order_by(col(UnansweredQuestion.at).desc(), col(UnansweredQuestion.id).desc())
    return list((await session.exec(query.limit(limit).offset(offset))).all())


async def forget_question(session: AsyncSession, *, asker: str, question: str, at: datetime) -> None:
    """A question the citizen took back (LINE's 送信取消), asked in the turn at ``at``: it leaves the
    answers given (the figures stay) and the open unanswered questions; one staff already handled
    keeps its row without the text."""
    question = question.strip()[:1000]
    for answer in (await session.exec(select(FaqAnswer).where(
            FaqAnswer.asker == asker, FaqAnswer.at == at))).all():
        if answer.question == question:
            answer.question = ""
            session.add(answer)
    for row in (await session.exec(select(UnansweredQuestion).where(UnansweredQuestion.at == at))).all():
        if row.question == question:  # one row: another citizen may have asked the same in the same batch
            if row.status == OPEN:
                await session.delete(row)
            else:
                row.question = ""
                session.add(row)
            break
