"""Gazetteer entities: lookup tables, annotated values and synonyms, matched on folded text.

Entries and the message are both folded (NFKC, kana script, long vowels, small kana), so
``ﾍﾟｯﾄﾎﾞﾄﾙ``, ``ぺっとぼとる`` and ``ペットボトル`` all hit the entry ペットボトル. A match must start and
end on Sudachi token boundaries (split mode A) so 本町 is not found inside 日本町の… by accident.
Values go through the synonym table (Rasa's EntitySynonymMapper): 蛍光灯 → 蛍光管.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ..normalize import fold_kana, fold_kana_with_offsets
from .types import Entity, make_entity

__all__ = ["Gazetteer"]


class Gazetteer:
    def __init__(self, tables: Mapping[str, Iterable[str]], synonyms: dict[str, str] | None = None,
                 min_length: int = 2) -> None:
        """``tables``: entity name → surface strings; ``synonyms``: variant → canonical value."""
        self.synonyms = {fold_kana(k): v for k, v in (synonyms or {}).items() if fold_kana(k)}
        self.tables = {name: sorted(set(entries)) for name, entries in tables.items()}
        self._entity_of: dict[str, str] = {}
        self._canonical: dict[str, str] = {}
        for name, entries in self.tables.items():
            for entry in entries:
                key = fold_kana(entry)
                if len(key) < min_length or key in self._entity_of:
                    continue
                self._entity_of[key] = name
                self._canonical[key] = self.synonyms.get(key, entry)
        # synonym variants are searchable too, under the entity of their canonical value
        canonical_entity = {fold_kana(self._canonical[k]): e for k, e in self._entity_of.items()}
        for variant, canonical in self.synonyms.items():
            entity = canonical_entity.get(fold_kana(canonical))
            if entity and variant not in self._entity_of and len(variant) >= min_length:
                self._entity_of[variant] = entity
                self._canonical[variant] = canonical
        keys = sorted(self._entity_of, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, keys))) if keys else None

    def canonical(self, value: str) -> str:
        return self.synonyms.get(fold_kana(value), value)

    def extract(self, text: str, boundaries: set[int] | None = None) -> list[Entity]:
        if self._pattern is None or not text:
            return []
        folded, index = fold_kana_with_offsets(text)
        out: list[Entity] = []
        pos = 0
        while pos < len(folded):
            m = self._pattern.search(folded, pos)
            if m is None:
                break
            start, end = index[m.start()], index[m.end() - 1] + 1
            if boundaries is not None and (start not in boundaries or end not in boundaries):
                # try a shorter or later match starting one character further
                pos = m.start() + 1
                continue
            key = m.group(0)
            out.append(make_entity(self._entity_of[key], self._canonical[key], start, end, "lookup"))
            pos = m.end()
        return out

    def to_dict(self) -> dict:
        return {"tables": self.tables, "synonyms": self.synonyms}
