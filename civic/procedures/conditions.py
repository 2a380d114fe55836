"""Conditions on earlier answers (小郡市 spec §8(6) p: questions that dig deeper depending on answers).

Written in YAML by staff, as a mapping:

* ``{from: abroad}``                  — the answer to ``from`` is ``abroad``
* ``{from: [abroad, domestic]}``      — one of these answers
* ``{from: abroad, kids: "yes"}``     — several keys: all must hold
* ``{all: [c1, c2]}``, ``{any: [c1, c2]}``, ``{not: c}`` — combinations

A condition on a question that is not answered (or no longer applies) is false.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

KEYWORDS = frozenset({"all", "any", "not"})


class ConditionError(ValueError):
    """A condition written wrongly; ``path`` points inside the condition."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason)
        self.path, self.reason = path, reason


def scalar(value: Any) -> str:
    """YAML 1.1 reads yes/no/on/off as booleans; answers are always text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@dataclass(frozen=True)
class Condition:
    op: str  # "in" | "all" | "any" | "not" | "true"
    question: str = ""
    values: tuple[str, ...] = ()
    parts: tuple[Condition, ...] = ()

    def holds(self, answers: Mapping[str, str]) -> bool:
        if self.op == "true":
            return True
        if self.op == "in":
            return answers.get(self.question) in self.values
        if self.op == "all":
            return all(p.holds(answers) for p in self.parts)
        if self.op == "any":
            return any(p.holds(answers) for p in self.parts)
        return not self.parts[0].holds(answers)  # "not"

    def references(self) -> list[tuple[str, tuple[str, ...]]]:
        """Every (question id, values) this condition looks at."""
        if self.op == "in":
            return [(self.question, self.values)]
        return [ref for p in self.parts for ref in p.references()]


ALWAYS = Condition("true")


def equals(question: str, value: str) -> Condition:
    return Condition("in", question, (value,))


def both(a: Condition, b: Condition) -> Condition:
    if a.op == "true":
        return b
    if b.op == "true":
        return a
    return Condition("all", parts=(a, b))


def parse_condition(raw: Any, path: str = "when") -> Condition:
    if raw is None:
        return ALWAYS
    if not isinstance(raw, Mapping) or not raw:
        raise ConditionError(path, "条件は「質問ID: 回答」の形（例 {from: abroad}）で書いてください")
    parts: list[Condition] = []
    for key, value in raw.items():
        key = scalar(key)
        here = f"{path}.{key}"
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise ConditionError(here, f"{key} には条件のリストを書いてください")
            parts.append(Condition(key, parts=tuple(
                parse_condition(v, f"{here}[{i}]") for i, v in enumerate(value)
            )))
        elif key == "not":
            parts.append(Condition("not", parts=(parse_condition(value, here),)))
        else:
            values = value if isinstance(value, list) else [value]
            if not values or any(isinstance(v, (Mapping, list)) or v is None for v in values):
                raise ConditionError(here, "回答の値（文字列または文字列のリスト）を書いてください")
            parts.append(Condition("in", key, tuple(scalar(v) for v in values)))
    return parts[0] if len(parts) == 1 else Condition("all", parts=tuple(parts))
