"""A filter tree to SQL: one boolean expression over ``citizen``, the same on SQLite and PostgreSQL.

Each leaf becomes ``citizen.id IN (SELECT citizen_id FROM citizen_attribute_value WHERE
attribute_id = … AND <column condition>)``: both databases build the inner set once from a
covering index (``attribute_id, <column>, citizen_id``) and probe it per citizen, so a count over
50,000 citizens stays in tens of milliseconds. ``not`` is ``NOT IN`` (``citizen_id`` is never
NULL, so there is no NULL trap). Derived conditions (ages, days since following) are turned into
ranges in Python first (``civic.segments.dates``): SQL never computes a date.

Personal dates are encrypted; SQL sees their month (plain) and a keyed digest of the exact day
(``civic.attributes.blind``). A range of dates becomes: the months wholly inside it, by month; the
days of the months at either end, by digest (at most 62 digests).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from civic.attributes.blind import BlindIndex, month_code
from civic.attributes.kinds import AttributeSpec
from civic.attributes.models import CitizenAttributeValue
from civic.citizens.models import Citizen
from civic.clock import TOKYO
from civic.rows import table_of
from civic.segments import dates
from civic.segments.filters import (
    AgeBetween,
    AllOf,
    AnyOf,
    ChoiceIs,
    DateBetween,
    Everyone,
    Filter,
    FriendDays,
    HasValue,
    Not,
    NumberBetween,
    TextEquals,
)

CITIZEN = table_of(Citizen)
VALUE = table_of(CitizenAttributeValue)
PRODUCTION, TEST = "production", "test"


@dataclass(frozen=True)
class Context:
    specs: dict[str, AttributeSpec]
    blind: BlindIndex
    today: date  # in Asia/Tokyo


def _holders(spec: AttributeSpec, *conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    inner = sa.select(VALUE.c.citizen_id).where(VALUE.c.attribute_id == spec.id, *conditions)
    return CITIZEN.c.id.in_(inner)


def date_rows(spec: AttributeSpec, first: date | None, last: date | None,
              blind: BlindIndex) -> ColumnElement[bool] | None:
    """Rows of ``spec`` whose date is in [first, last] (None ends open); None if none can be."""
    if first is not None and last is not None and first > last:
        return None
    parts: list[ColumnElement[bool]] = []
    digests: list[str] = []
    lo_month = None if first is None else month_code(first) + (first.day != 1)
    hi_month = None if last is None else month_code(last) - (last != dates.month_end(last))
    if first is not None and last is not None and month_code(first) == month_code(last):
        if first.day == 1 and last == dates.month_end(last):
            parts.append(VALUE.c.date_month == month_code(first))
        else:
            digests = [blind.date(spec.id, d) for d in dates.days(first, last)]
    else:
        if lo_month is None or hi_month is None or lo_month <= hi_month:
            months = []
            if lo_month is not None:
                months.append(VALUE.c.date_month >= lo_month)
            if hi_month is not None:
                months.append(VALUE.c.date_month <= hi_month)
            parts.append(sa.and_(*months) if months else VALUE.c.date_month.is_not(None))
        if first is not None and first.day != 1:
            digests += [blind.date(spec.id, d) for d in dates.days(first, dates.month_end(first))]
        if last is not None and last != dates.month_end(last):
            digests += [blind.date(spec.id, d) for d in dates.days(dates.month_start(last), last)]
    if digests:
        parts.append(VALUE.c.digest.in_(digests))
    return sa.or_(*parts) if len(parts) > 1 else parts[0]


def condition(node: Filter, ctx: Context) -> ColumnElement[bool]:
    if isinstance(node, Everyone):
        return sa.true()
    if isinstance(node, AllOf):
        return sa.and_(*(condition(i, ctx) for i in node.items))
    if isinstance(node, AnyOf):
        return sa.or_(*(condition(i, ctx) for i in node.items))
    if isinstance(node, Not):
        return sa.not_(condition(node.item, ctx))
    if isinstance(node, FriendDays):
        return _friend_days(node, ctx.today)
    spec = ctx.specs[node.attribute]
    if isinstance(node, HasValue):
        return _holders(spec)
    if isinstance(node, ChoiceIs):
        if node.match == "all":
            return sa.and_(*(_holders(spec, VALUE.c.choice == v) for v in dict.fromkeys(node.values)))
        return _holders(spec, VALUE.c.choice.in_(sorted(set(node.values))))
    if isinstance(node, NumberBetween):
        bounds = []
        if node.min is not None:
            bounds.append(VALUE.c.number >= node.min)
        if node.max is not None:
            bounds.append(VALUE.c.number <= node.max)
        return _holders(spec, *bounds)
    if isinstance(node, TextEquals):
        return _holders(spec, VALUE.c.digest == ctx.blind.text(spec.id, node.equals))
    if isinstance(node, DateBetween):
        first, last = node.from_, node.to
    elif isinstance(node, AgeBetween):
        first, last = dates.age_range(ctx.today, node.unit, node.min, node.max)
    else:  # pragma: no cover - the union is closed
        raise TypeError(type(node).__name__)
    rows = date_rows(spec, first, last, ctx.blind)
    return sa.false() if rows is None else _holders(spec, rows)


def _friend_days(node: FriendDays, today: date) -> ColumnElement[bool]:
    """Days since following, counted in Tokyo days: followed today is 0."""
    column = CITIZEN.c.followed_at
    bounds: list[ColumnElement[bool]] = [column.is_not(None)]
    if node.min is not None:  # followed on or before today - min
        bounds.append(column < datetime.combine(today - timedelta(days=node.min - 1), time(), TOKYO))
    if node.max is not None:  # followed on or after today - max
        bounds.append(column >= datetime.combine(today - timedelta(days=node.max), time(), TOKYO))
    return sa.and_(*bounds)


def population(audience: str = PRODUCTION) -> ColumnElement[bool]:
    """Who may receive anything: friends; test sends only ever reach test accounts (§9(2)(ア)⑧)."""
    return sa.and_(CITIZEN.c.is_friend == sa.true(), CITIZEN.c.is_test_account == (audience == TEST))


def member_query(node: Filter, ctx: Context, audience: str = PRODUCTION) -> sa.Select:
    return sa.select(CITIZEN.c.id).where(population(audience), condition(node, ctx))


def count_query(node: Filter, ctx: Context, audience: str = PRODUCTION) -> sa.Select:
    return sa.select(sa.func.count()).select_from(CITIZEN).where(population(audience), condition(node, ctx))
