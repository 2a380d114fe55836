"""Rasa NLU training data (YAML format 3.x): reading, merging and writing.

Supported: ``intent``/``examples`` (block string of ``- `` lines, or a list of ``{text: ...}``),
inline entities ``[text](entity)``, ``[text](entity:value)``, ``[text]{"entity": .., "role": ..,
"group": .., "value": ..}`` and the list form ``[text][{...}, {...}]``; ``synonym``, ``lookup`` and
``regex`` sections. Other top-level keys (``stories``, ``rules``, ``responses`` ...) are ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = ["EntityAnnotation", "Example", "TrainingData", "TrainingDataError", "load_training_data",
           "parse_annotated_text"]

# [entity text] followed by (entity[:value]) or {json} or [list of json]
_ANNOTATION = re.compile(
    r"\[(?P<text>[^\]]+?)\]"
    r"(?:\((?P<entity>[^:)]+?)(?::(?P<value>[^)]+))?\)"
    r"|(?P<dict>\{[^}]+?\})"
    r"|\[(?P<list>\{.*?\}(?:\s*,\s*\{.*?\})*)\])"
)
_EXAMPLE_LINE = re.compile(r"^\s*-\s?(.*)$")


class TrainingDataError(ValueError):
    """A training-data file that cannot be read; the message names the file and the item."""


@dataclass(frozen=True, slots=True)
class EntityAnnotation:
    start: int
    end: int
    value: str
    entity: str
    role: str | None = None
    group: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"start": self.start, "end": self.end, "value": self.value, "entity": self.entity}
        if self.role:
            d["role"] = self.role
        if self.group:
            d["group"] = self.group
        return d


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str
    entities: tuple[EntityAnnotation, ...] = ()

    def annotated(self) -> str:
        """The example with its entities written back in Rasa's inline syntax."""
        out, pos = [], 0
        for e in sorted(self.entities, key=lambda e: e.start):
            out.append(self.text[pos : e.start])
            surface = self.text[e.start : e.end]
            if e.role or e.group or e.value != surface:
                spec: dict[str, str] = {"entity": e.entity}
                if e.role:
                    spec["role"] = e.role
                if e.group:
                    spec["group"] = e.group
                if e.value != surface:
                    spec["value"] = e.value
                out.append(f"[{surface}]{json.dumps(spec, ensure_ascii=False)}")
            else:
                out.append(f"[{surface}]({e.entity})")
            pos = e.end
        out.append(self.text[pos:])
        return "".join(out)


@dataclass
class TrainingData:
    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # variant -> canonical value
    lookups: dict[str, list[str]] = field(default_factory=dict)  # lookup name -> entries
    regexes: dict[str, list[str]] = field(default_factory=dict)  # regex name -> patterns

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples})

    @property
    def entity_names(self) -> list[str]:
        return sorted({a.entity for e in self.examples for a in e.entities})

    def entity_roles(self) -> dict[str, list[str]]:
        roles: dict[str, set[str]] = {}
        for ex in self.examples:
            for a in ex.entities:
                roles.setdefault(a.entity, set())
                if a.role:
                    roles[a.entity].add(a.role)
        return {k: sorted(v) for k, v in sorted(roles.items())}

    def merge(self, other: TrainingData) -> TrainingData:
        lookups = {k: list(v) for k, v in self.lookups.items()}
        for k, v in other.lookups.items():
            lookups.setdefault(k, []).extend(x for x in v if x not in lookups[k])
        regexes = {k: list(v) for k, v in self.regexes.items()}
        for k, v in other.regexes.items():
            regexes.setdefault(k, []).extend(x for x in v if x not in regexes[k])
        return TrainingData(
            examples=self.examples + other.examples,
            synonyms={**self.synonyms, **other.synonyms},
            lookups=lookups,
            regexes=regexes,
        )

    def subset(self, examples: Iterable[Example]) -> TrainingData:
        return TrainingData(list(examples), dict(self.synonyms), dict(self.lookups), dict(self.regexes))

    @classmethod
    def from_yaml(cls, text: str, source: str = "<string>") -> TrainingData:
        try:
            doc = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise TrainingDataError(f"{source}: not valid YAML: {exc}") from exc
        if not isinstance(doc, dict):
            raise TrainingDataError(f"{source}: top level must be a mapping with an 'nlu' key")
        data = cls()
        for i, item in enumerate(doc.get("nlu") or []):
            if not isinstance(item, dict):
                raise TrainingDataError(f"{source}: nlu[{i}] must be a mapping, got {item!r}")
            lines = _example_lines(item.get("examples"), f"{source}: nlu[{i}]")
            if "intent" in item:
                intent = str(item["intent"])
                for line in lines:
                    text, entities = parse_annotated_text(line)
                    if text.strip():
                        data.examples.append(Example(text, intent, tuple(entities)))
                        for ent in entities:  # legacy [text](entity:value) and "value" define synonyms
                            if ent.value != text[ent.start : ent.end]:
                                data.synonyms[text[ent.start : ent.end]] = ent.value
            elif "synonym" in item:
                for line in lines:
                    data.synonyms[line] = str(item["synonym"])
            elif "lookup" in item:
                data.lookups.setdefault(str(item["lookup"]), []).extend(lines)
            elif "regex" in item:
                for pattern in lines:
                    try:
                        re.compile(pattern)
                    except re.error as exc:
                        raise TrainingDataError(f"{source}: regex {item['regex']!r}: {pattern!r}: {exc}") from exc
                data.regexes.setdefault(str(item["regex"]), []).extend(lines)
            else:
                raise TrainingDataError(f"{source}: nlu[{i}] has none of intent/synonym/lookup/regex")
        return data

    def to_yaml(self) -> str:
        """Rasa 3.1 NLU YAML for this data (used by ``export-rasa``)."""
        lines = ['version: "3.1"', "nlu:"]

        def block(kind: str, name: str, items: Iterable[str]) -> None:
            lines.append(f"- {kind}: {_yaml_scalar(name)}")
            lines.append("  examples: |")
            lines.extend(f"    - {x}" for x in items)

        by_intent: dict[str, list[str]] = {}
        for ex in self.examples:
            by_intent.setdefault(ex.intent, []).append(ex.annotated())
        for intent, items in by_intent.items():
            block("intent", intent, items)
        by_canonical: dict[str, list[str]] = {}
        for variant, canonical in self.synonyms.items():
            by_canonical.setdefault(canonical, []).append(variant)
        for canonical, variants in by_canonical.items():
            block("synonym", canonical, variants)
        for name, entries in self.lookups.items():
            block("lookup", name, entries)
        for name, patterns in self.regexes.items():
            block("regex", name, patterns)
        return "\n".join(lines) + "\n"


def _yaml_scalar(value: str) -> str:
    return json.dumps(value, ensure_ascii=False) if re.search(r"[:#\[\]{}&*!|>'\"%@`,]|^\s|\s$", value) else value


def _example_lines(raw: Any, where: str) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        out = []
        for line in raw.splitlines():
            if not line.strip():
                continue
            m = _EXAMPLE_LINE.match(line)
            if not m:
                raise TrainingDataError(f"{where}: example line must start with '- ': {line!r}")
            out.append(m.group(1).strip())
        return out
    if isinstance(raw, list):
        out = []
        for entry in raw:
            if isinstance(entry, dict) and "text" in entry:
                out.append(str(entry["text"]).strip())
            elif isinstance(entry, str | int | float):
                out.append(str(entry).strip())
            else:
                raise TrainingDataError(f"{where}: cannot read example {entry!r}")
        return out
    raise TrainingDataError(f"{where}: examples must be a block string or a list, got {type(raw).__name__}")


def parse_annotated_text(line: str) -> tuple[str, list[EntityAnnotation]]:
    """Strip Rasa inline annotations from ``line``; return plain text and entity spans."""
    text_parts: list[str] = []
    entities: list[EntityAnnotation] = []
    pos = 0
    length = 0
    for m in _ANNOTATION.finditer(line):
        before = line[pos : m.start()]
        text_parts.append(before)
        length += len(before)
        surface = m.group("text")
        specs: list[dict[str, Any]] = []
        if m.group("entity"):
            specs.append({"entity": m.group("entity").strip(), "value": (m.group("value") or "").strip() or None})
        else:
            raw = m.group("dict") or f"[{m.group('list')}]"
            try:
                loaded = json.loads(raw)
            except json.JSONDecodeError:
                loaded = None
            if isinstance(loaded, dict):
                specs.append(loaded)
            elif isinstance(loaded, list):
                specs.extend(x for x in loaded if isinstance(x, dict))
            if not specs or not all("entity" in s for s in specs):  # not an annotation: keep text as is
                text_parts.append(m.group(0))
                length += len(m.group(0))
                pos = m.end()
                continue
        start, end = length, length + len(surface)
        for spec in specs:
            value = spec.get("value")
            entities.append(
                EntityAnnotation(
                    start=start,
                    end=end,
                    value=str(value) if value is not None else surface,
                    entity=str(spec["entity"]),
                    role=str(spec["role"]) if spec.get("role") else None,
                    group=str(spec["group"]) if spec.get("group") else None,
                )
            )
        text_parts.append(surface)
        length = end
        pos = m.end()
    text_parts.append(line[pos:])
    return "".join(text_parts), entities


def load_training_data(path: str | Path) -> TrainingData:
    """Read one YAML file or every ``*.yml``/``*.yaml`` under a directory (sorted), merged."""
    p = Path(path)
    if p.is_file():
        files = [p]
    elif p.is_dir():
        files = sorted(x for x in p.rglob("*") if x.suffix in (".yml", ".yaml") and x.is_file())
    else:
        raise TrainingDataError(f"{p}: no such file or directory")
    data = TrainingData()
    for f in files:
        doc_text = f.read_text(encoding="utf-8")
        if "nlu:" not in doc_text:  # domain/stories files living beside the NLU data
            continue
        data = data.merge(TrainingData.from_yaml(doc_text, str(f)))
    return data
