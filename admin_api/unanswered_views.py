"""The unanswered-question loop (issue #16): the questions the FAQ could not answer, grouped by what
they ask (by meaning when the service has a sentence encoder), with the candidates the bot had and
their 役に立たなかった counts; from a group staff make a new FAQ entry or add the questions as other
phrasings of an entry, add them as NLU training examples of an intent (``nlu.edit`` too; the bot
learns them at the next accepted retrain), or set the group aside, and the group leaves the list. The fallback rate of
the last 7 days beside the 7 days before shows whether it helps.

Permissions: ``faq.read`` (the questions are citizens' words: masked without ``personal.view``),
``faq.edit``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlmodel import col, select

from admin_api.errors import ApiError
from admin_api.faq_entry_views import FaqEntryIn, changed, who
from admin_api.nlu_views import INTENT, add_examples
from admin_api.routing import ApiRouter, Call, JapanDateTime
from civic.content import faq as entries
from civic.content.models import FaqEntryRow
from civic.faq.models import ANSWERED, DISMISSED, OPEN, FaqAnswer, UnansweredQuestion
from civic.faq.services import feedback_stats, open_questions, resolve_unanswered

router = ApiRouter("faq")


class GroupsQuery(BaseModel):
    limit: int = Field(default=300, ge=1, le=1000, description="新しい順に何件の未対応の質問をまとめるか")


class QuestionOut(BaseModel):
    id: int
    question: str
    channel: str
    at: JapanDateTime


class CandidateOut(BaseModel):
    entry_id: str
    question: str
    times: int = Field(description="このグループで候補になった回数")
    not_helpful: int = Field(description="この FAQ が「役に立たなかった」と評価された回数（全期間）")


class GroupOut(BaseModel):
    size: int
    questions: list[QuestionOut]
    candidates: list[CandidateOut]


class FallbackRate(BaseModel):
    days: int
    recent: float | None = Field(description="直近の期間に答えられなかった割合（質問がなければ null）")
    before: float | None = Field(description="その前の同じ長さの期間の割合")
    recent_questions: int
    before_questions: int


class GroupsOut(BaseModel):
    groups: list[GroupOut]
    fallback: FallbackRate


class ResolveGroupIn(BaseModel):
    question_ids: list[int] = Field(min_length=1, max_length=500)
    action: Literal["new_entry", "alternatives", "nlu_examples", "dismiss"]
    entry: FaqEntryIn | None = Field(default=None, description="new_entry: 作る FAQ")
    faq_entry_id: str | None = Field(default=None, max_length=64, description="alternatives: 言い換えを足す FAQ")
    alternatives: list[str] = Field(default_factory=list, max_length=100,
                                    description="alternatives: 足す言い換え（職員が整えた文。省略すると質問そのまま）")
    intent: str | None = Field(default=None, pattern=INTENT, description="nlu_examples: 例文を足す意図")
    examples: list[str] = Field(default_factory=list, max_length=100,
                                description="nlu_examples: 足す例文（職員が整えた文。省略すると質問そのまま）")
    note: str = Field(default="", max_length=2000)


class ResolveGroupOut(BaseModel):
    resolved: int
    faq_entry_id: str | None
    nlu_examples: int = Field(default=0, description="nlu_examples: 足した例文の数（意図にすでにあったものは数えない）")


async def _fallback(call: Call, days: int = 7) -> FallbackRate:
    now = call.ctx.clock.now()
    periods = [(now - timedelta(days=days), now), (now - timedelta(days=2 * days), now - timedelta(days=days))]
    out = []
    async with call.ctx.db.read() as s:
        for start, end in periods:
            answered = (await s.exec(select(sa.func.count()).select_from(FaqAnswer).where(
                col(FaqAnswer.at) >= start, col(FaqAnswer.at) < end))).one()
            missed = (await s.exec(select(sa.func.count()).select_from(UnansweredQuestion).where(
                col(UnansweredQuestion.at) >= start, col(UnansweredQuestion.at) < end))).one()
            total = int(answered) + int(missed)
            out.append((round(int(missed) / total, 3) if total else None, total))
    return FallbackRate(days=days, recent=out[0][0], before=out[1][0], recent_questions=out[0][1],
                        before_questions=out[1][1])


@router.route("GET", "/faq/unanswered/groups", personal="faq_questions", summary="答えられなかった質問（似たものごと）",
              permission="faq.read", query=GroupsQuery, response=GroupsOut)
async def unanswered_groups(call: Call) -> GroupsOut:
    live = call.ctx.need(call.ctx.live_content, "質問のまとめ")
    async with call.ctx.db.read() as s:
        rows = await open_questions(s, status=OPEN, limit=call.query.limit)
        unhelpful = {st.entry_id: st.not_helpful for st in await feedback_stats(s)}
    labels = call.ctx.faq_questions or {}
    groups = []
    for members in await live.group_questions([r.question for r in rows]):
        picked = [rows[i] for i in members]
        times: dict[str, int] = {}
        for r in picked:
            for c in (c for c in r.candidates.split(",") if c):
                times[c] = times.get(c, 0) + 1
        candidates = [CandidateOut(entry_id=c, question=labels.get(c, ""), times=n, not_helpful=unhelpful.get(c, 0))
                      for c, n in sorted(times.items(), key=lambda kv: (-kv[1], kv[0]))[:5]]
        groups.append(GroupOut(size=len(picked), candidates=candidates, questions=[
            QuestionOut(id=r.id or 0, question=call.redact(r.question) or "", channel=r.channel, at=r.at)
            for r in picked]))
    return GroupsOut(groups=groups, fallback=await _fallback(call))


@router.route("POST", "/faq/unanswered/groups/resolve", summary="質問のグループから FAQ を作る・言い換えに足す",
              permission="faq.edit", body=ResolveGroupIn, response=ResolveGroupOut,
              errors={404: "質問か FAQ が見つからない", 422: "action に要るものがない"})
async def resolve_group(call: Call) -> ResolveGroupOut:
    body: ResolveGroupIn = call.body
    now, staff = call.ctx.clock.now(), who(call)
    async with call.ctx.db.write() as s:
        rows = [await s.get(UnansweredQuestion, i) for i in dict.fromkeys(body.question_ids)]
        if any(r is None for r in rows):
            raise ApiError(404, "not_found", "質問が見つかりません（ほかの職員が対応したかもしれません）。", "question_ids")
        entry_id: str | None = None
        added_examples = 0
        if body.action == "nlu_examples":
            if call.principal is not None:
                call.principal.require("nlu.edit")
            if not body.intent:
                raise ApiError(422, "invalid", "例文を足す意図（intent）を選んでください。", "intent")
            texts = [" ".join(t.split()) for t in body.examples if t.strip()] or \
                [" ".join(r.question.split())[:500] for r in rows if r]
            added_examples = len(await add_examples(s, call, body.intent, texts))
        elif body.action == "new_entry":
            if body.entry is None:
                raise ApiError(422, "invalid", "作る FAQ（entry）を入力してください。", "entry")
            if body.entry.id and await s.get(FaqEntryRow, body.entry.id) is not None:
                raise ApiError(409, "exists", f"FAQ「{body.entry.id}」はすでにあります。", "entry.id")
            row = await entries.create(s, body.entry.model_dump(exclude={"id"}), now=now, staff=staff,
                                       entry_id=body.entry.id)
            entry_id = row.id
        elif body.action == "alternatives":
            target = await s.get(FaqEntryRow, body.faq_entry_id or "")
            if target is None:
                raise ApiError(404, "not_found", "言い換えを足す FAQ が見つかりません。", "faq_entry_id")
            added = [a.strip() for a in body.alternatives if a.strip()] or [r.question.strip() for r in rows if r]
            await entries.update(s, target, {"alternatives": list(dict.fromkeys([*target.alternatives, *added]))},
                                 now=now, staff=staff)
            entry_id = target.id
        status = DISMISSED if body.action == "dismiss" else ANSWERED
        for r in rows:
            assert r is not None and r.id is not None
            await resolve_unanswered(s, r.id, status=status, note=body.note, faq_entry_id=entry_id, staff=staff,
                                     now=now)
        out = ResolveGroupOut(resolved=len(rows), faq_entry_id=entry_id, nlu_examples=added_examples)
        logged = f"faq:{entry_id}" if entry_id else f"nlu_intent:{body.intent}" if added_examples else "unanswered"
        await call.audit(s, f"faq.unanswered_{body.action}", logged,
                         after={"question_ids": body.question_ids, "action": body.action, "faq_entry_id": entry_id,
                                "intent": body.intent if body.action == "nlu_examples" else None,
                                "nlu_examples": added_examples})
    if entry_id:
        changed(call)
    return out
