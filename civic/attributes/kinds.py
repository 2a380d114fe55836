"""What a value of each attribute kind may be, read from whatever the citizen or staff gave.

``AttributeSpec`` is a definition row, parsed once; ``normalize(spec, raw)`` turns a raw answer
(JSON from the API or the LIFF page, a chat message, a CSV cell) into the canonical list of values,
or raises ``AttributeProblem`` naming the attribute and the reason in Japanese.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from civic.attributes.errors import AttributeProblem, invalid
from civic.attributes.models import DATE, MULTI, NUMBER, SINGLE, TEXT, AttributeDefinition

MAX_TEXT = 200
MIN_DATE, MAX_DATE = date(1900, 1, 1), date(2100, 12, 31)
_DATE = re.compile(r"^\s*(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})\s*日?\s*$")
_ERA = re.compile(r"^\s*(令和|平成|昭和|R|H|S)\s*(\d{1,2}|元)\s*[年.\-/]\s*(\d{1,2})\s*[月.\-/]\s*(\d{1,2})\s*日?\s*$")
_ERA_START = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988, "昭和": 1925, "S": 1925}
SPLIT = re.compile(r"[、,，\n]+|\s{2,}|\u3000")


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class AttributeSpec:
    id: int
    key: str
    label: str
    kind: str
    choices: tuple[Choice, ...] = ()
    max_values: int = 1
    min_number: float | None = None
    max_number: float | None = None
    unit: str = ""
    category: str = ""
    description: str = ""
    position: int = 0
    active: bool = True
    builtin: bool = False

    @classmethod
    def of(cls, row: AttributeDefinition) -> AttributeSpec:
        choices = tuple(Choice(str(c["value"]), str(c["label"])) for c in json.loads(row.choices or "[]"))
        return cls(row.id or 0, row.key, row.label, row.kind, choices, row.max_values, row.min_number,
                   row.max_number, row.unit, row.category, row.description, row.position, row.active, row.builtin)

    @property
    def is_choice(self) -> bool:
        return self.kind in (SINGLE, MULTI)

    @property
    def many(self) -> bool:
        """Whether a citizen may hold several values."""
        return self.kind == MULTI or (self.kind in (DATE, NUMBER, TEXT) and self.max_values > 1)

    def label_of(self, value: str) -> str:
        for c in self.choices:
            if c.value == value:
                return c.label
        return value

    def choice_values(self) -> set[str]:
        return {c.value for c in self.choices}

    def match_choice(self, text: str) -> str | None:
        """A choice from its code, its label (any width), or its number in the list (1-based)."""
        wanted = _fold(text)
        if not wanted:
            return None
        for c in self.choices:
            if wanted in (_fold(c.value), _fold(c.label)):
                return c.value
        if wanted.isdigit() and 1 <= int(wanted) <= len(self.choices):
            return self.choices[int(wanted) - 1].value
        return None


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip().casefold()


def parse_date(text: str) -> date | None:
    """``2024-05-01``, ``2024/5/1``, ``2024年5月1日``, ``令和6年5月1日``, ``R6.5.1`` (None if not a date)."""
    text = unicodedata.normalize("NFKC", text)
    m = _DATE.match(text)
    try:
        if m:
            return date(int(m[1]), int(m[2]), int(m[3]))
        m = _ERA.match(text)
        if m:
            year = 1 if m[2] == "元" else int(m[2])
            return date(_ERA_START[m[1]] + year, int(m[3]), int(m[4]))
    except ValueError:
        return None
    return None


def split_answer(text: str) -> list[str]:
    """Several answers typed in one message: separated by 、 , or new lines (single spaces stay:
    labels such as "Tiếng Việt" hold them)."""
    return [p.strip() for p in SPLIT.split(text) if p.strip()]


def _as_list(raw: Any) -> list[Any]:
    if raw is None or raw == "":
        return []
    if isinstance(raw, list | tuple | set):
        return [v for v in raw if v is not None and v != ""]
    return [raw]


def normalize(spec: AttributeSpec, raw: Any) -> list[Any]:
    """The canonical values: choice codes (str), dates, floats or texts; [] clears the attribute."""
    field = spec.key
    items = _as_list(raw)
    if spec.kind == MULTI and len(items) == 1 and isinstance(items[0], str) and spec.match_choice(items[0]) is None:
        items = split_answer(items[0])  # "本町、寺町" typed in one line
    if spec.kind == SINGLE:
        if len(items) > 1:
            raise invalid("too_many", f"「{spec.label}」は1つだけ選んでください。", field)
        return [_choice(spec, items[0])] if items else []
    if spec.kind == MULTI:
        chosen = {_choice(spec, v) for v in items}
        return [c.value for c in spec.choices if c.value in chosen]  # the list's order
    if len(items) > spec.max_values:
        raise invalid("too_many", f"「{spec.label}」は{spec.max_values}件まで登録できます。", field)
    if spec.kind == DATE:
        return [_date(spec, v) for v in items]
    if spec.kind == NUMBER:
        return [_number(spec, v) for v in items]
    if spec.kind == TEXT:
        return [_text(spec, v) for v in items]
    raise invalid("kind", f"「{spec.label}」の種類 {spec.kind} は扱えません。", field)


def _choice(spec: AttributeSpec, raw: Any) -> str:
    if not isinstance(raw, str | int):
        raise invalid("choice", f"「{spec.label}」の選択肢を指定してください。", spec.key)
    if isinstance(raw, str) and raw in spec.choice_values():
        return raw
    found = spec.match_choice(str(raw))
    if found is None:
        labels = "、".join(c.label for c in spec.choices[:8]) + ("…" if len(spec.choices) > 8 else "")
        raise invalid("choice", f"「{spec.label}」に「{str(raw)[:40]}」という選択肢はありません（{labels}）。",
                      spec.key)
    return found


def _date(spec: AttributeSpec, raw: Any) -> date:
    value = raw if isinstance(raw, date) else parse_date(raw) if isinstance(raw, str) else None
    if value is None:
        raise invalid("date", f"「{spec.label}」は日付（例 2024-05-01）で入力してください。", spec.key)
    if not MIN_DATE <= value <= MAX_DATE:
        raise invalid("date_range", f"「{spec.label}」の日付 {value.isoformat()} は範囲外です。", spec.key)
    return value


def _number(spec: AttributeSpec, raw: Any) -> float:
    if isinstance(raw, bool):
        raw = None
    try:
        value = float(unicodedata.normalize("NFKC", raw).strip()) if isinstance(raw, str) else float(raw)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value):
        raise invalid("number", f"「{spec.label}」は数値で入力してください。", spec.key)
    if spec.min_number is not None and value < spec.min_number:
        raise invalid("number_range", f"「{spec.label}」は{_num(spec.min_number)}以上にしてください。", spec.key)
    if spec.max_number is not None and value > spec.max_number:
        raise invalid("number_range", f"「{spec.label}」は{_num(spec.max_number)}以下にしてください。", spec.key)
    return value


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _text(spec: AttributeSpec, raw: Any) -> str:
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise invalid("text", f"「{spec.label}」は文字で入力してください。", spec.key)
    text = str(raw).strip()
    if len(text) > MAX_TEXT:
        raise invalid("text_length", f"「{spec.label}」は{MAX_TEXT}文字以内で入力してください。", spec.key)
    if "\x00" in text:
        raise invalid("text", f"「{spec.label}」に使えない文字が含まれています。", spec.key)
    return text


def display(spec: AttributeSpec, values: list[Any]) -> str:
    """A value as a person reads it (staff screens, CSV, chat confirmations)."""
    if spec.is_choice:
        return "、".join(spec.label_of(v) for v in values)
    if spec.kind == DATE:
        return "、".join(v.isoformat() for v in values)
    if spec.kind == NUMBER:
        return "、".join(_num(v) + spec.unit for v in values)
    return "、".join(str(v) for v in values)


def to_json(spec: AttributeSpec, values: list[Any]) -> Any:
    """Values as JSON: a list for attributes that take several, else one value or None."""
    out = [v.isoformat() if isinstance(v, date) else (int(v) if isinstance(v, float) and v.is_integer() else v)
           for v in values]
    if spec.many:
        return out
    return out[0] if out else None


def check_definition(kind: str, choices: list[Choice], max_values: int, min_number: float | None,
                     max_number: float | None) -> None:
    """Refuse definitions that could not hold a sensible value."""
    if kind in (SINGLE, MULTI):
        if not choices:
            raise invalid("choices_required", "選択式の属性には選択肢が1つ以上必要です。", "choices")
        seen: set[str] = set()
        for i, c in enumerate(choices):
            if c.value in seen:
                raise invalid("duplicate_choice", f"選択肢の値「{c.value}」が重複しています。", f"choices.{i}.value")
            seen.add(c.value)
    elif choices:
        raise invalid("choices_not_allowed", "選択肢は単一選択・複数選択の属性にだけ設定できます。", "choices")
    if not 1 <= max_values <= 20:
        raise invalid("max_values", "登録できる件数は1〜20にしてください。", "max_values")
    if min_number is not None and max_number is not None and min_number > max_number:
        raise invalid("number_range", "最小値が最大値より大きくなっています。", "min_number")


__all__ = ["AttributeProblem", "AttributeSpec", "Choice", "check_definition", "display", "normalize", "parse_date",
           "to_json"]
