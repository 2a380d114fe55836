"""Entity extraction: rule-based dates/times/durations/counts/contacts plus gazetteer and YAML regexes."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from ..normalize import Morphology
from ..training_data import TrainingData
from .dates import TOKYO, extract_dates, extract_times
from .durations import extract_durations
from .lookup import Gazetteer
from .numbers import extract_counts
from .patterns import RegexEntities, extract_contact
from .types import Entity, make_entity, resolve_overlaps

__all__ = ["RULE_ENTITIES", "Entity", "EntityExtractor", "make_entity"]

# entities our rules extract; annotated examples of these are not copied into the gazetteer
RULE_ENTITIES = frozenset({"date", "time", "duration", "people", "count", "postal_code", "phone_number"})
_PRIORITY = {"dates": 5, "durations": 5, "counts": 4, "patterns": 4, "lookup": 3, "regex": 1}


class EntityExtractor:
    """Rasa-shaped component (``train`` / ``process`` / ``persist`` / ``load``)."""

    def __init__(self, morphology: Morphology, tables: dict[str, list[str]], synonyms: dict[str, str],
                 regexes: dict[str, list[str]], entity_names: Iterable[str]) -> None:
        self.morphology = morphology
        self.tables = tables
        self.synonyms = synonyms
        self.regexes = regexes
        self.entity_names = sorted(set(entity_names))
        self.gazetteer = Gazetteer(tables, synonyms)
        self.regex_entities = RegexEntities(regexes, set(self.entity_names) - RULE_ENTITIES)

    @classmethod
    def train(cls, data: TrainingData, morphology: Morphology,
              extra_tables: dict[str, Iterable[str]] | None = None) -> EntityExtractor:
        tables: dict[str, set[str]] = {name: set(entries) for name, entries in data.lookups.items()}
        for ex in data.examples:
            for a in ex.entities:
                if a.entity not in RULE_ENTITIES:
                    tables.setdefault(a.entity, set()).add(ex.text[a.start : a.end])
                    tables[a.entity].add(a.value)
        for name, entries in (extra_tables or {}).items():
            tables.setdefault(name, set()).update(x for x in entries if x)
        names = set(data.entity_names) | set(tables) | set(data.regexes)
        return cls(morphology, {k: sorted(v) for k, v in tables.items()}, dict(data.synonyms),
                   dict(data.regexes), names)

    def process(self, text: str, now: datetime | None = None) -> list[Entity]:
        if not text:
            return []
        now = now or datetime.now(TOKYO)
        found: list[Entity] = []
        found += extract_dates(text, now)
        found += extract_times(text)
        found += extract_durations(text)
        found += extract_counts(text)
        found += extract_contact(text)
        found += self.regex_entities.extract(text)
        tokens = self.morphology.tokenize(text, "A")
        boundaries = {t.start for t in tokens} | {t.end for t in tokens}
        found += self.gazetteer.extract(text, boundaries)
        return resolve_overlaps(found, _PRIORITY)

    def persist(self, directory: str | Path) -> None:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        doc = {"tables": self.tables, "synonyms": self.synonyms, "regexes": self.regexes,
               "entity_names": self.entity_names}
        (d / "entities.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path, morphology: Morphology) -> EntityExtractor:
        doc = json.loads((Path(directory) / "entities.json").read_text(encoding="utf-8"))
        return cls(morphology, doc["tables"], doc["synonyms"], doc["regexes"], doc["entity_names"])
