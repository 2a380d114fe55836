"""Saving recommendation rules, counting who each one reaches, and the rules one citizen matches today.

A rule's condition is a segment filter, checked and compiled by ``civic.segments`` exactly as a
segment's is: a citizen matches a rule when the compiled condition selects them (the same SQL as
``segments.services.is_member``). Where the condition is an age reached from a date attribute
(a child's age in months), the date that age is reached is shown beside the rule.
"""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.attributes import services as attributes
from civic.rows import pk
from civic.segments import compiler, evaluate, filters
from civic.segments import services as segments
from civic.segments.compiler import CITIZEN, PRODUCTION
from civic.segments.errors import SegmentProblem
from civic.segments.filters import AgeBetween, AllOf, Filter

from .models import RecommendationRule

FIELDS = ("title", "body", "link_url", "date_label", "active", "starts_on", "ends_on", "position")
OPTIONAL = ("starts_on", "ends_on")


@dataclass(frozen=True)
class Match:
    """One rule a citizen matches today, with the dates its age conditions are reached (if any)."""

    rule: RecommendationRule
    dates: tuple[date, ...]


def rule_filter(row: RecommendationRule) -> Filter:
    return filters.parse(json.loads(row.filter))


def in_period(row: RecommendationRule, today: date) -> bool:
    return row.active and (row.starts_on is None or row.starts_on <= today) and (
        row.ends_on is None or today <= row.ends_on)


# ---- rules ---------------------------------------------------------------------------------

async def list_rules(s: AsyncSession) -> list[RecommendationRule]:
    query = select(RecommendationRule).order_by(col(RecommendationRule.position), col(RecommendationRule.id))
    return list((await s.exec(query)).all())


async def get_rule(s: AsyncSession, rule_id: int) -> RecommendationRule:
    row = await s.get(RecommendationRule, rule_id)
    if row is None:
        raise SegmentProblem("not_found", "not_found", f"おすすめ（ID {rule_id}）は見つかりません。", "rule_id")
    return row


def _check_period(row: RecommendationRule) -> None:
    if row.starts_on is not None and row.ends_on is not None and row.starts_on > row.ends_on:
        raise SegmentProblem("invalid", "invalid_period", "掲載終了日が掲載開始日より前になっています。", "ends_on")


async def create_rule(s: AsyncSession, now: datetime, *, filter_data: Any, by: str = "",
                      **values: Any) -> RecommendationRule:
    node = await segments.checked(s, filter_data)
    row = RecommendationRule(filter=json.dumps(filters.dump(node), ensure_ascii=False), created_by=by[:64],
                             created_at=now, updated_at=now, **{k: v for k, v in values.items() if k in FIELDS})
    _check_period(row)
    s.add(row)
    await s.flush()
    return row


async def update_rule(s: AsyncSession, now: datetime, rule_id: int, *, filter_data: Any = None,
                      **values: Any) -> RecommendationRule:
    """Only the fields given change (``values`` as the API sends them: unset fields left out)."""
    row = await get_rule(s, rule_id)
    if filter_data is not None:
        row.filter = json.dumps(filters.dump(await segments.checked(s, filter_data)), ensure_ascii=False)
    for key, value in values.items():
        if key in FIELDS and (value is not None or key in OPTIONAL):  # null clears a date only
            setattr(row, key, value)
    _check_period(row)
    row.updated_at = now
    s.add(row)
    await s.flush()
    return row


async def delete_rule(s: AsyncSession, rule_id: int) -> None:
    await s.delete(await get_rule(s, rule_id))
    await s.flush()


# ---- counts (staff see numbers only) -----------------------------------------------------

async def count(s: AsyncSession, node: Filter, today: date) -> int:
    return await segments.count(s, node, today, audience=PRODUCTION)


async def counts(s: AsyncSession, rows: list[RecommendationRule], today: date) -> dict[int, int]:
    """How many friends (not test accounts) each rule reaches today, its period aside."""
    ctx = await segments.context(s, today)
    out: dict[int, int] = {}
    for row in rows:
        result = await s.exec(compiler.count_query(rule_filter(row), ctx, PRODUCTION))  # type: ignore[call-overload]
        out[pk(row)] = int(result.one()[0])
    return out


# ---- one citizen ------------------------------------------------------------------------------

def reached(born: date, unit: str, age: int) -> date:
    """The day an age is reached, as ``civic.segments.dates`` counts ages (a day missing from a short
    month: the next month's first day; 29 February: 1 March)."""
    if unit == "days":
        return born + timedelta(days=age)
    total = born.year * 12 + born.month - 1 + (age * 12 if unit == "years" else age)
    year, month = divmod(total, 12)
    if born.day > calendar.monthrange(year, month + 1)[1]:
        year, month = divmod(total + 1, 12)
        return date(year, month + 1, 1)
    return date(year, month + 1, born.day)


def _age_leaves(node: Filter) -> list[AgeBetween]:
    """Age conditions a match depends on (the top level and ``and`` groups; not under ``or``/``not``)."""
    if isinstance(node, AgeBetween):
        return [node] if node.min is not None else []
    if isinstance(node, AllOf):
        return [leaf for item in node.items for leaf in _age_leaves(item)]
    return []


def milestone_dates(node: Filter, values: dict[str, list[Any]], today: date) -> tuple[date, ...]:
    """For each value that satisfies an age condition, the day it reached the condition's lower bound."""
    found = []
    for leaf in _age_leaves(node):
        for value in values.get(leaf.attribute, []):
            one = evaluate.Facts({leaf.attribute: [value]})
            if isinstance(value, date) and leaf.min is not None and evaluate.matches(leaf, one, today):
                found.append(reached(value, leaf.unit, leaf.min))
    return tuple(sorted(set(found)))


async def for_citizen(s: AsyncSession, citizen_id: int, today: date) -> list[Match]:
    """The active rules in their period that the citizen matches today, in the staff's order."""
    rows = [r for r in await list_rules(s) if in_period(r, today)]
    if not rows:
        return []
    ctx = await segments.context(s, today)
    values: dict[str, list[Any]] | None = None
    out = []
    for row in rows:
        node = rule_filter(row)
        query = sa.select(CITIZEN.c.id).where(CITIZEN.c.id == citizen_id, compiler.condition(node, ctx))
        if (await s.exec(query)).first() is None:  # type: ignore[call-overload]
            continue
        shown: tuple[date, ...] = ()
        if row.date_label:
            if values is None:
                values = await attributes.citizen_values(s, citizen_id, ctx.specs)
            shown = milestone_dates(node, values, today)
        out.append(Match(row, shown))
    return out


def match_json(m: Match) -> dict[str, Any]:
    """What the my-page shows of a match."""
    r = m.rule
    return {"id": r.id, "title": r.title, "body": r.body, "link_url": r.link_url or None,
            "date_label": r.date_label if m.dates else None, "dates": [d.isoformat() for d in m.dates]}


async def my_page(s: AsyncSession, citizen_id: int, today: date) -> list[dict[str, Any]]:
    return [match_json(m) for m in await for_citizen(s, citizen_id, today)]
