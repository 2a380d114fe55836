"""安否確認 (safety check, issue #22): staff ask everyone or a segment how they are; citizens answer in
one tap (無事 / 支援が必要 / 避難中), then where they are and anything to add; staff see tallies by
district and the people who need help, to follow up.

One answer per citizen and check (the latest tap counts). Where they are and what they wrote are
stored encrypted; the district is the citizen's own ``area`` attribute (or the town's district
attribute), read when staff look, so the tallies follow what the citizen registered.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.attributes.models import AttributeDefinition, CitizenAttributeValue
from civic.citizens.models import Citizen
from civic.database import Database
from civic.disaster.models import ANSWERS, CHECK_CLOSED, CHECK_OPEN, SafetyAnswer, SafetyCheck
from civic.disaster.services import DisasterError
from civic.rows import table_of

ANSWER = table_of(SafetyAnswer)
VALUE = table_of(CitizenAttributeValue)
DEFINITION = table_of(AttributeDefinition)
#: The attribute whose choice is the citizen's district (居住地区).
DISTRICT_ATTRIBUTE = "area"
NO_DISTRICT = "（地区未登録）"
MAX_PLACE, MAX_NOTE = 200, 1000


async def create_check(s: AsyncSession, now: datetime, *, title: str, question: str, target: str = "all",
                       segment_id: int | None = None, by: str = "") -> SafetyCheck:
    title, question = title.strip(), question.strip()
    if not title or len(title) > 100:
        raise DisasterError("invalid", "タイトルは1〜100文字で入力してください。")
    if not question or len(question) > 1000:
        raise DisasterError("invalid", "問いかけの文は1〜1000文字で入力してください。")
    if target not in ("all", "segment") or (target == "segment") != (segment_id is not None):
        raise DisasterError("invalid", "送り先は全員（all）か、セグメント（segment と segment_id）にしてください。")
    row = SafetyCheck(title=title, question=question, target=target, segment_id=segment_id, created_by=by[:80],
                      created_at=now)
    s.add(row)
    await s.flush()
    return row


async def get_check(s: AsyncSession, check_id: int) -> SafetyCheck:
    row = await s.get(SafetyCheck, check_id)
    if row is None:
        raise DisasterError("not_found", f"安否確認（ID {check_id}）は見つかりません。")
    return row


async def checks(s: AsyncSession, limit: int = 50) -> list[SafetyCheck]:
    return list((await s.exec(select(SafetyCheck).order_by(col(SafetyCheck.created_at).desc(),
                                                           col(SafetyCheck.id).desc()).limit(limit))).all())


async def close_check(s: AsyncSession, now: datetime, check_id: int) -> SafetyCheck:
    row = await get_check(s, check_id)
    if row.status != CHECK_CLOSED:
        row.status, row.closed_at = CHECK_CLOSED, now
        s.add(row)
        await s.flush()
    return row


async def record_answer(s: AsyncSession, now: datetime, check_id: int, citizen_id: int,
                        status: str) -> SafetyAnswer | None:
    """The citizen's answer (a later tap replaces the earlier one); None when the check is over or unknown."""
    if status not in ANSWERS:
        return None
    check = await s.get(SafetyCheck, check_id)
    if check is None or check.status != CHECK_OPEN:
        return None
    row = await answer_of(s, check_id, citizen_id)
    if row is None:
        row = SafetyAnswer(check_id=check_id, citizen_id=citizen_id, status=status, answered_at=now, updated_at=now)
    row.status, row.updated_at = status, now
    s.add(row)
    await s.flush()
    return row


async def answer_of(s: AsyncSession, check_id: int, citizen_id: int) -> SafetyAnswer | None:
    return (await s.exec(select(SafetyAnswer).where(SafetyAnswer.check_id == check_id,
                                                    SafetyAnswer.citizen_id == citizen_id))).first()


async def add_details(s: AsyncSession, now: datetime, check_id: int, citizen_id: int, *, place: str | None = None,
                      latitude: float | None = None, longitude: float | None = None,
                      note: str | None = None) -> SafetyAnswer | None:
    row = await answer_of(s, check_id, citizen_id)
    if row is None:
        return None
    if place is not None:
        row.place = place.strip()[:MAX_PLACE] or None
    if latitude is not None and longitude is not None:
        row.location = f"{latitude:.6f},{longitude:.6f}"
    if note is not None:
        row.note = note.strip()[:MAX_NOTE] or None
    row.updated_at = now
    s.add(row)
    await s.flush()
    return row


# ---- for staff ----------------------------------------------------------------------------------

@dataclass
class Tallies:
    total: int = 0
    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ANSWERS, 0))
    #: district label → status → count (districts in the attribute's order, 未登録 last).
    districts: dict[str, dict[str, int]] = field(default_factory=dict)


def _district_of() -> sa.Subquery:
    """citizen_id → the choice of the district attribute (the first value)."""
    return (select(VALUE.c.citizen_id, sa.func.min(VALUE.c.choice).label("district"))
            .join(DEFINITION, DEFINITION.c.id == VALUE.c.attribute_id)
            .where(DEFINITION.c.key == DISTRICT_ATTRIBUTE).group_by(VALUE.c.citizen_id).subquery())


async def district_labels(s: AsyncSession) -> dict[str, str]:
    row = (await s.exec(select(AttributeDefinition).where(AttributeDefinition.key == DISTRICT_ATTRIBUTE))).first()
    if row is None or not row.choices:
        return {}
    return {c["value"]: c["label"] for c in json.loads(row.choices)}


async def tallies(s: AsyncSession, check_id: int) -> Tallies:
    district = _district_of()
    rows = (await s.exec(select(ANSWER.c.status, district.c.district, sa.func.count())
                         .select_from(ANSWER.outerjoin(district, district.c.citizen_id == ANSWER.c.citizen_id))
                         .where(ANSWER.c.check_id == check_id)
                         .group_by(ANSWER.c.status, district.c.district))).all()
    labels = await district_labels(s)
    out = Tallies()
    order = [*labels.values(), NO_DISTRICT]
    found: dict[str, dict[str, int]] = {}
    for status, choice, n in rows:
        out.total += int(n)
        out.by_status[status] = out.by_status.get(status, 0) + int(n)
        name = labels.get(choice) or choice if choice else NO_DISTRICT
        assert name is not None
        counts = found.setdefault(name, dict.fromkeys(ANSWERS, 0))
        counts[status] = counts.get(status, 0) + int(n)
    out.districts = {name: found[name] for name in sorted(found, key=lambda d: order.index(d) if d in order
                                                          else len(order) - 1)}
    return out


@dataclass(frozen=True)
class AnswerRow:
    answer: SafetyAnswer
    channel_user_id: str
    display_name: str | None
    district: str


def _answers_query(check_id: int, status: str | None) -> Any:
    district = _district_of()
    query = (select(SafetyAnswer, Citizen.channel_user_id, Citizen.display_name, district.c.district)
             .join(Citizen, col(Citizen.id) == col(SafetyAnswer.citizen_id))
             .outerjoin(district, district.c.citizen_id == col(SafetyAnswer.citizen_id))
             .where(SafetyAnswer.check_id == check_id))
    if status is not None:
        query = query.where(SafetyAnswer.status == status)
    return query.order_by(col(SafetyAnswer.updated_at).desc(), col(SafetyAnswer.id).desc())


async def answers(s: AsyncSession, check_id: int, *, status: str | None = None, limit: int = 100,
                  offset: int = 0) -> tuple[int, list[AnswerRow]]:
    count = select(sa.func.count()).select_from(ANSWER).where(ANSWER.c.check_id == check_id)
    if status is not None:
        count = count.where(ANSWER.c.status == status)
    total = int((await s.exec(count)).one())
    labels = await district_labels(s)
    rows = (await s.exec(_answers_query(check_id, status).limit(limit).offset(offset))).all()
    return total, [AnswerRow(a, uid, name, labels.get(d, d) if d else NO_DISTRICT) for a, uid, name, d in rows]


async def every_answer(db: Database, check_id: int, *, chunk: int = 500) -> AsyncIterator[AnswerRow]:
    """Every answer, for the CSV (read in chunks, each in its own short read)."""
    offset = 0
    while True:
        async with db.read() as s:
            _, rows = await answers(s, check_id, limit=chunk, offset=offset)
        for row in rows:
            yield row
        if len(rows) < chunk:
            return
        offset += chunk
