"""What citizens answered a form, for staff (国富町 §9(2)(ア)①, §9(3)(オ)⑦ satisfaction survey):
one row per citizen who answered, with their values for the form's questions; per-question tallies.

A form stores no answers of its own — answers are attribute values (``civic.attributes.forms``) —
so a row shows what the citizen holds now, and the tallies count the citizens who answered the form
by what they hold now. Dates and free text are personal: tallies only count them, never list them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.attributes import services
from civic.attributes.forms import FormSpec, questions
from civic.attributes.kinds import AttributeSpec, display
from civic.attributes.models import MULTI, NUMBER, SINGLE, CitizenAttributeValue, FormResponse
from civic.citizens.models import Citizen
from civic.database import Database
from civic.rows import table_of

RESPONSE = table_of(FormResponse)
VALUE = table_of(CitizenAttributeValue)
VIA_LABELS = {"liff": "フォーム画面", "chat": "トーク", "staff": "職員が代理入力"}


@dataclass(frozen=True)
class AnswerRow:
    citizen_id: int
    channel_user_id: str
    display_name: str | None
    submitted_at: datetime
    via: str
    times: int
    values: dict[str, list[Any]]


@dataclass(frozen=True)
class Tally:
    spec: AttributeSpec
    answered: int
    #: (value, label, citizens): choices in their order (unchosen ones too), numbers ascending.
    counts: list[tuple[str, str, int]] = field(default_factory=list)
    mean: float | None = None


def _responders(form: FormSpec) -> Any:
    return select(RESPONSE.c.citizen_id).where(RESPONSE.c.form_id == form.id)


async def responders(s: AsyncSession, form: FormSpec) -> int:
    query = select(sa.func.count(sa.distinct(RESPONSE.c.citizen_id))).where(RESPONSE.c.form_id == form.id)
    return int((await s.exec(query)).one())


async def answer_rows(s: AsyncSession, form: FormSpec, *, limit: int, offset: int = 0
                      ) -> tuple[list[AttributeSpec], list[AnswerRow]]:
    """The form's questions and one page of the citizens who answered it, the latest answer first."""
    asked = [q.attribute for q in await questions(s, form)]
    last = sa.func.max(RESPONSE.c.submitted_at).label("last")
    page = (await s.exec(select(RESPONSE.c.citizen_id, last, sa.func.count().label("times"))
                         .where(RESPONSE.c.form_id == form.id).group_by(RESPONSE.c.citizen_id)
                         .order_by(last.desc(), RESPONSE.c.citizen_id.desc()).limit(limit).offset(offset))).all()
    ids = [int(r[0]) for r in page]
    if not ids:
        return asked, []
    vias: dict[int, tuple[datetime, str]] = {}
    for cid, at, via in (await s.exec(select(RESPONSE.c.citizen_id, RESPONSE.c.submitted_at, RESPONSE.c.via)
                                      .where(RESPONSE.c.form_id == form.id, RESPONSE.c.citizen_id.in_(ids)))).all():
        if cid not in vias or at >= vias[cid][0]:
            vias[cid] = (at, via)
    people = {c.id: c for c in (await s.exec(select(Citizen).where(col(Citizen.id).in_(ids)))).all()}
    by_id = {a.id: a for a in asked}
    values: dict[int, dict[str, list[Any]]] = {cid: {} for cid in ids}
    if by_id:
        rows = (await s.exec(select(CitizenAttributeValue)
                             .where(col(CitizenAttributeValue.citizen_id).in_(ids),
                                    col(CitizenAttributeValue.attribute_id).in_(list(by_id)))
                             .order_by(col(CitizenAttributeValue.citizen_id), col(CitizenAttributeValue.attribute_id),
                                       col(CitizenAttributeValue.position)))).all()
        for row in rows:
            spec = by_id[row.attribute_id]
            values[row.citizen_id].setdefault(spec.key, []).append(services.decode_value(spec, row))
    out = []
    for cid, at, times in page:
        person = people.get(cid)
        out.append(AnswerRow(int(cid), person.channel_user_id if person else "", person.display_name if person else None,
                             at, vias[cid][1], int(times), values[cid]))
    return asked, out


async def every_answer(db: Database, form: FormSpec, *, batch: int = 500) -> AsyncIterator[AnswerRow]:
    """Every citizen's row, a page at a time (for the CSV: each page in a short read transaction)."""
    offset = 0
    while True:
        async with db.read() as s:
            _, rows = await answer_rows(s, form, limit=batch, offset=offset)
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        offset += batch


async def tallies(s: AsyncSession, form: FormSpec) -> list[Tally]:
    """Per question: how many who answered the form hold a value, and by value for choices and numbers."""
    out = []
    for q in await questions(s, form):
        spec = q.attribute
        where = (VALUE.c.attribute_id == spec.id, VALUE.c.citizen_id.in_(_responders(form)))
        answered = int((await s.exec(select(sa.func.count(sa.distinct(VALUE.c.citizen_id)))
                                     .where(*where))).one())
        if spec.kind in (SINGLE, MULTI):
            got: dict[Any, Any] = dict((await s.exec(select(VALUE.c.choice, sa.func.count(sa.distinct(VALUE.c.citizen_id)))
                                     .where(*where).group_by(VALUE.c.choice))).all())
            counts = [(c.value, c.label, int(got.pop(c.value, 0))) for c in spec.choices]
            counts += [(str(v), str(v), int(n)) for v, n in sorted(got.items(), key=lambda x: str(x[0]))]
            out.append(Tally(spec, answered, counts))
        elif spec.kind == NUMBER:
            numbers = (await s.exec(select(VALUE.c.number, sa.func.count(sa.distinct(VALUE.c.citizen_id)))
                                .where(*where).group_by(VALUE.c.number).order_by(VALUE.c.number))).all()
            mean = (await s.exec(select(sa.func.avg(VALUE.c.number)).where(*where))).one()
            counts = [(format(v, "g"), display(spec, [v]), int(n)) for v, n in numbers]
            out.append(Tally(spec, answered, counts, None if mean is None else round(float(mean), 2)))
        else:
            out.append(Tally(spec, answered))
    return out
