"""The filter tree of a segment, as staff write it (JSON) and as the compiler reads it.

    {"type": "and", "items": [
        {"type": "choice", "attribute": "area", "values": ["honmachi", "teramachi"]},
        {"type": "age", "attribute": "children_birth_dates", "unit": "months", "min": 3, "max": 4},
        {"type": "not", "item": {"type": "choice", "attribute": "interests", "values": ["int07"]}}]}

Leaves (a citizen matches when *any* of their values of the attribute does):

* ``choice`` — single/multiple choice; ``match: any`` (one of the values) or ``all`` (every value);
* ``has`` — the attribute has a value at all;
* ``number`` — ``min`` ≤ value ≤ ``max`` (either may be left out);
* ``date`` — ``from`` ≤ date ≤ ``to``;
* ``age`` — derived from a date: age in ``years``, ``months`` or ``days`` between ``min`` and
  ``max`` today (a child's age in months; negative days: dates still ahead, e.g. a due date);
* ``text`` — equal to a text (width and case ignored);
* ``friend_days`` — days since the citizen became a friend;
* ``all`` — everyone (an empty segment filter).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from civic.attributes.kinds import AttributeSpec
from civic.attributes.models import DATE, MULTI, NUMBER, SINGLE, TEXT
from civic.segments.errors import SegmentProblem

MAX_DEPTH = 8
MAX_LEAVES = 60


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Everyone(_Node):
    type: Literal["all"] = "all"


class AllOf(_Node):
    type: Literal["and"] = "and"
    items: list[Filter] = Field(min_length=1, max_length=30)


class AnyOf(_Node):
    type: Literal["or"] = "or"
    items: list[Filter] = Field(min_length=1, max_length=30)


class Not(_Node):
    type: Literal["not"] = "not"
    item: Filter


class ChoiceIs(_Node):
    type: Literal["choice"] = "choice"
    attribute: str = Field(min_length=1, max_length=40)
    values: list[str] = Field(min_length=1, max_length=200)
    match: Literal["any", "all"] = "any"


class HasValue(_Node):
    type: Literal["has"] = "has"
    attribute: str = Field(min_length=1, max_length=40)


class _Range(_Node):
    @model_validator(mode="after")
    def _ordered(self):
        low, high = getattr(self, "min", None), getattr(self, "max", None)
        if low is None and high is None:
            raise ValueError("min と max の少なくとも一方を指定してください。")
        if low is not None and high is not None and low > high:
            raise ValueError("min が max より大きくなっています。")
        return self


class NumberBetween(_Range):
    type: Literal["number"] = "number"
    attribute: str = Field(min_length=1, max_length=40)
    min: float | None = None
    max: float | None = None


class DateBetween(_Node):
    type: Literal["date"] = "date"
    attribute: str = Field(min_length=1, max_length=40)
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None

    @model_validator(mode="after")
    def _ordered(self):
        if self.from_ is None and self.to is None:
            raise ValueError("from と to の少なくとも一方を指定してください。")
        if self.from_ is not None and self.to is not None and self.from_ > self.to:
            raise ValueError("from が to より後になっています。")
        return self


class AgeBetween(_Range):
    type: Literal["age"] = "age"
    attribute: str = Field(min_length=1, max_length=40)
    unit: Literal["years", "months", "days"] = "years"
    min: int | None = Field(default=None, ge=-36500, le=36500)
    max: int | None = Field(default=None, ge=-36500, le=36500)


class TextEquals(_Node):
    type: Literal["text"] = "text"
    attribute: str = Field(min_length=1, max_length=40)
    equals: str = Field(min_length=1, max_length=200)


class FriendDays(_Range):
    type: Literal["friend_days"] = "friend_days"
    min: int | None = Field(default=None, ge=0, le=36500)
    max: int | None = Field(default=None, ge=0, le=36500)


Filter = Annotated[
    Union[Everyone, AllOf, AnyOf, Not, ChoiceIs, HasValue, NumberBetween, DateBetween, AgeBetween,  # noqa: UP007
          TextEquals, FriendDays],
    Field(discriminator="type"),
]
for _model in (AllOf, AnyOf, Not):
    _model.model_rebuild()
FILTER = TypeAdapter(Filter)

#: Which leaves fit which attribute kinds.
_FITS = {"choice": (SINGLE, MULTI), "number": (NUMBER,), "date": (DATE,), "age": (DATE,), "text": (TEXT,),
         "has": (SINGLE, MULTI, DATE, NUMBER, TEXT)}
_LEAF_NAMES = {"choice": "選択肢", "number": "数値の範囲", "date": "日付の範囲", "age": "年齢・経過",
               "text": "テキスト", "has": "登録あり"}


def parse(data: object) -> Filter:
    return FILTER.validate_python(data)


def dump(node: Filter) -> dict:
    return FILTER.dump_python(node, mode="json", by_alias=True, exclude_none=True)


def check(node: Filter, specs: dict[str, AttributeSpec], path: str = "filter", depth: int = 1) -> int:
    """Refuse filters naming unknown attributes, unfit kinds or unknown choices; returns the leaf count."""
    if depth > MAX_DEPTH:
        raise SegmentProblem("invalid", "too_deep", f"条件の入れ子は{MAX_DEPTH}段までです。", path)
    if isinstance(node, AllOf | AnyOf):
        leaves = sum(check(item, specs, f"{path}.items.{i}", depth + 1) for i, item in enumerate(node.items))
    elif isinstance(node, Not):
        leaves = check(node.item, specs, f"{path}.item", depth + 1)
    elif isinstance(node, Everyone | FriendDays):
        leaves = 1
    else:
        spec = specs.get(node.attribute)
        if spec is None:
            raise SegmentProblem("invalid", "unknown_attribute", f"属性「{node.attribute}」はありません。",
                                 f"{path}.attribute")
        if spec.kind not in _FITS[node.type]:
            raise SegmentProblem("invalid", "kind_mismatch",
                                 f"「{spec.label}」には「{_LEAF_NAMES[node.type]}」の条件は使えません。",
                                 f"{path}.type")
        if isinstance(node, ChoiceIs):
            known = spec.choice_values()
            for i, value in enumerate(node.values):
                if value not in known:
                    raise SegmentProblem("invalid", "unknown_choice",
                                         f"「{spec.label}」に選択肢「{value}」はありません。", f"{path}.values.{i}")
        leaves = 1
    if depth == 1 and leaves > MAX_LEAVES:
        raise SegmentProblem("invalid", "too_many_conditions", f"条件は{MAX_LEAVES}個までです。", path)
    return leaves


def attributes_of(node: Filter) -> set[str]:
    if isinstance(node, AllOf | AnyOf):
        return set().union(*(attributes_of(i) for i in node.items))
    if isinstance(node, Not):
        return attributes_of(node.item)
    return {node.attribute} if hasattr(node, "attribute") else set()
