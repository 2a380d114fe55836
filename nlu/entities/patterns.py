"""Postal codes, phone numbers and the YAML ``regex`` entries (Rasa's RegexEntityExtractor)."""

from __future__ import annotations

import re

from ..normalize import fold_with_offsets
from .types import Entity, make_entity

__all__ = ["RegexEntities", "extract_contact"]

_POSTAL = re.compile(r"(?:〒\s*)(?P<a>\d{3})-?(?P<b>\d{4})(?!\d)|(?<![\d-])(?P<c>\d{3})-(?P<d>\d{4})(?![\d-])")
_PHONE = re.compile(r"(?<![\d-])(?P<p>0\d{1,4}-\d{1,4}-\d{3,4}|0[5789]0\d{8}|0\d{9})(?![\d-])")


def extract_contact(text: str) -> list[Entity]:
    """``〒999-8501`` / ``999-8501`` → postal_code; ``0234-26-5731`` / ``09012345678`` → phone_number."""
    folded, index = fold_with_offsets(text.replace("ー", "-").replace("‐", "-").replace("−", "-"))
    out: list[Entity] = []
    for m in _PHONE.finditer(folded):
        out.append(make_entity("phone_number", m.group("p").replace("-", ""), index[m.start()],
                               index[m.end() - 1] + 1, "patterns"))
    for m in _POSTAL.finditer(folded):
        a, b = (m.group("a"), m.group("b")) if m.group("a") else (m.group("c"), m.group("d"))
        out.append(make_entity("postal_code", f"{a}-{b}", index[m.start()], index[m.end() - 1] + 1, "patterns"))
    return out


class RegexEntities:
    """Patterns from the training data named after an entity extract that entity."""

    def __init__(self, regexes: dict[str, list[str]], entity_names: set[str]) -> None:
        self.patterns = {name: [re.compile(p) for p in pats] for name, pats in regexes.items() if name in entity_names}

    def extract(self, text: str) -> list[Entity]:
        folded, index = fold_with_offsets(text)
        out: list[Entity] = []
        for name, patterns in self.patterns.items():
            for p in patterns:
                for m in p.finditer(folded):
                    if m.end() > m.start():
                        out.append(make_entity(name, m.group(0), index[m.start()], index[m.end() - 1] + 1, "regex",
                                               confidence=0.9))
        return out
