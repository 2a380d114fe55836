"""Emergencies first: messages that need 119 or 110 rather than a town office answer.

A small, data-driven detector: regular expressions per kind (fire, gas, medical, accident, crime,
a bare call for help) and "not urgent" contexts (「火事の後のごみ」「救急の日」), read from
``nlu/emergency.yml`` and extended by a town's ``content/<town>/nlu/emergency.yml``. Japanese
patterns and text are compared after the same folding as everything else in ``nlu`` (NFKC,
katakana→hiragana, long vowels and spaces dropped, small kana enlarged), so 「タスケテ」「ﾀｽｹﾃ」
and 「たすけて」 meet; English patterns see the lower-cased text with single spaces.

A match is discarded when a "not" span overlaps it; the first kind (in file order) with a match
left wins, so 「たすけて　家が火事です」 is a fire. ``python -m nlu eval-emergency`` measures
recall and false alarms on a labelled set.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .normalize import fold_kana

BASE = Path(__file__).with_name("emergency.yml")
_REGEX_CHARS = set(".^$*+?{}[]\\|()")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")


def fold_pattern(pattern: str) -> str:
    """Fold a Japanese pattern like the text it is matched against, leaving ASCII regex syntax alone."""
    out: list[str] = []
    for ch in pattern:
        if ord(ch) < 128:
            out.append(ch)
            continue
        folded = fold_kana(ch)
        out.append("".join("\\" + c if c in _REGEX_CHARS else c for c in folded))
    return "".join(out)


def fold_english(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")
    return " ".join(text.split())


@dataclass
class Kind:
    name: str
    number: str
    ja: list[re.Pattern[str]] = field(default_factory=list)
    en: list[re.Pattern[str]] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Emergency:
    kind: str
    #: "119", "110" or "119/110".
    number: str
    #: The language to answer in: "en" when the message has no Japanese in it.
    language: str
    #: The (folded) text that matched.
    matched: str
    #: The answer from the data; ``{contact}`` is left for the caller to fill.
    answer: str


class EmergencyDetector:
    def __init__(self, kinds: list[Kind], not_ja: list[re.Pattern[str]], not_en: list[re.Pattern[str]]) -> None:
        self.kinds = kinds
        self.not_ja = not_ja
        self.not_en = not_en
        # Most messages match nothing: one search over every pattern settles them (~20 µs, not ~250).
        self._any_ja = _union(p for k in kinds for p in k.ja)
        self._any_en = _union((p for k in kinds for p in k.en), re.IGNORECASE)

    @classmethod
    def load(cls, *extra: str | Path) -> EmergencyDetector:
        """The built-in data, extended by each existing file of ``extra`` (a town's words)."""
        kinds: dict[str, Kind] = {}
        not_ja: list[re.Pattern[str]] = []
        not_en: list[re.Pattern[str]] = []
        for path in (BASE, *extra):
            path = Path(path)
            if not path.is_file():
                continue
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            _merge(raw, kinds, not_ja, not_en, str(path))
        return cls(list(kinds.values()), not_ja, not_en)

    def detect(self, text: str | None) -> Emergency | None:
        if not text or not text.strip():
            return None
        text = text[:2000]
        ja, en = fold_kana(text), fold_english(text)
        if not self._any_ja.search(ja) and not self._any_en.search(en):
            return None
        blocked_ja = [m.span() for p in self.not_ja for m in p.finditer(ja)]
        blocked_en = [m.span() for p in self.not_en for m in p.finditer(en)]
        language = "ja" if _JAPANESE.search(text) else "en"
        for kind in self.kinds:
            found = _first(kind.ja, ja, blocked_ja) or _first(kind.en, en, blocked_en)
            if found is not None:
                answer = kind.answers.get(language) or kind.answers.get("ja") or ""
                return Emergency(kind.name, kind.number, language, found, answer)
        return None


def _union(patterns: Any, flags: int = 0) -> re.Pattern[str]:
    sources = [f"(?:{p.pattern})" for p in patterns]
    return re.compile("|".join(sources) if sources else r"(?!x)x", flags)


def _first(patterns: list[re.Pattern[str]], text: str, blocked: list[tuple[int, int]]) -> str | None:
    for pattern in patterns:
        for m in pattern.finditer(text):
            start, end = m.span()
            if not any(start < b_end and b_start < max(end, start + 1) for b_start, b_end in blocked):
                return m.group(0)
    return None


def _compile(patterns: Any, where: str, *, japanese: bool) -> list[re.Pattern[str]]:
    out = []
    for p in patterns or ():
        source = fold_pattern(str(p)) if japanese else str(p)
        try:
            out.append(re.compile(source, 0 if japanese else re.IGNORECASE))
        except re.error as exc:
            raise ValueError(f"{where}: pattern {p!r}: {exc}") from None
    return out


def _merge(raw: dict[str, Any], kinds: dict[str, Kind], not_ja: list[re.Pattern[str]],
           not_en: list[re.Pattern[str]], where: str) -> None:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a mapping with 'kinds' and 'not'")
    for name, spec in (raw.get("kinds") or {}).items():
        spec = spec or {}
        kind = kinds.get(name)
        if kind is None:
            if "number" not in spec:
                raise ValueError(f"{where}: kind {name!r} needs a number (119 / 110)")
            kind = kinds[name] = Kind(str(name), str(spec["number"]))
        elif "number" in spec:
            kind.number = str(spec["number"])
        kind.ja += _compile(spec.get("ja"), f"{where} {name}.ja", japanese=True)
        kind.en += _compile(spec.get("en"), f"{where} {name}.en", japanese=False)
        kind.answers.update({str(k): str(v) for k, v in (spec.get("answer") or {}).items()})
    negative = raw.get("not") or {}
    not_ja += _compile(negative.get("ja"), f"{where} not.ja", japanese=True)
    not_en += _compile(negative.get("en"), f"{where} not.en", japanese=False)


def evaluate_emergency(detector: EmergencyDetector, cases: str | Path | dict[str, Any]) -> dict[str, Any]:
    """Recall on ``urgent`` (a hit with the wrong number counts as a miss) and the false-alarm
    rate on ``not_urgent``; ``cases`` is a YAML file or its contents (content/<town>/eval/emergency.yml)."""
    data = cases if isinstance(cases, dict) else yaml.safe_load(Path(cases).read_text(encoding="utf-8"))
    urgent = [(str(c["text"]), str(c.get("number") or "")) for c in data.get("urgent") or ()]
    calm = [str(t) for t in data.get("not_urgent") or ()]
    misses = []
    for text, number in urgent:
        found = detector.detect(text)
        if found is None or (number and found.number != number):
            misses.append({"text": text, "expected": number, "got": found.number if found else None,
                           "kind": found.kind if found else None})
    alarms = [{"text": t, "kind": f.kind, "matched": f.matched} for t in calm if (f := detector.detect(t))]
    return {
        "urgent": len(urgent), "recall": round(1 - len(misses) / len(urgent), 4) if urgent else None,
        "not_urgent": len(calm), "false_alarm_rate": round(len(alarms) / len(calm), 4) if calm else None,
        "misses": misses, "false_alarms": alarms,
    }
