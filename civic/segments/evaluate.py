"""The meaning of a filter, said plainly in Python: does this one citizen match?

The compiler must agree with this on every citizen (tests/segments check it on random citizens
and random filters). It computes ages directly from the dates, with no ranges, no months, no
digests — a second, independent reading of the same definitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from civic.attributes.blind import normalize_text
from civic.clock import TOKYO
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

_AGE = {"years": dates.years_between, "months": dates.months_between, "days": dates.days_between}


@dataclass
class Facts:
    """One citizen: attribute values by key (as ``civic.attributes.services.citizen_values`` gives)."""

    values: dict[str, list[Any]] = field(default_factory=dict)
    followed_at: datetime | None = None


def _within(value: float, low: float | None, high: float | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def matches(node: Filter, facts: Facts, today: date) -> bool:
    if isinstance(node, Everyone):
        return True
    if isinstance(node, AllOf):
        return all(matches(i, facts, today) for i in node.items)
    if isinstance(node, AnyOf):
        return any(matches(i, facts, today) for i in node.items)
    if isinstance(node, Not):
        return not matches(node.item, facts, today)
    if isinstance(node, FriendDays):
        if facts.followed_at is None:
            return False
        return _within((today - facts.followed_at.astimezone(TOKYO).date()).days, node.min, node.max)
    values = facts.values.get(node.attribute, [])
    if isinstance(node, HasValue):
        return bool(values)
    if isinstance(node, ChoiceIs):
        if node.match == "all":
            return all(v in values for v in node.values)
        return any(v in node.values for v in values)
    if isinstance(node, NumberBetween):
        return any(_within(v, node.min, node.max) for v in values)
    if isinstance(node, TextEquals):
        return any(normalize_text(v) == normalize_text(node.equals) for v in values)
    if isinstance(node, DateBetween):
        return any((node.from_ is None or v >= node.from_) and (node.to is None or v <= node.to) for v in values)
    if isinstance(node, AgeBetween):
        return any(_within(_AGE[node.unit](v, today), node.min, node.max) for v in values)
    raise TypeError(type(node).__name__)
