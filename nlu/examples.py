"""NLU examples as rows (issue #16): the Rasa YAML the project reads in and out, and the held-back part.

Rows are ``(intent, annotated text)`` — a Rasa example line with its entities inline. :func:`split`
holds back a stratified share of each intent's examples with a fixed seed, the set a new model and
the one in use are both scored on before the new one replaces it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from .training_data import Example, TrainingData, parse_annotated_text

__all__ = ["HELDOUT_SHARE", "MIN_FOR_HELDOUT", "SPLIT_SEED", "export_yaml", "extras_yaml", "parse_yaml", "split",
           "training_data"]

#: The share of each intent's examples held back, and the seed of the (stratified) draw.
HELDOUT_SHARE, SPLIT_SEED = 0.2, 16
#: Intents with fewer examples than this are never held back from (each needs its examples to be learnt).
MIN_FOR_HELDOUT = 5


def split(examples: Sequence[tuple[str, str]]) -> list[bool]:
    """Which of ``(intent, text)`` to hold back: ``HELDOUT_SHARE`` of each intent (at least one when it
    has ``MIN_FOR_HELDOUT`` examples), drawn with a fixed seed — the same data always splits the same way."""
    by_intent: dict[str, list[int]] = defaultdict(list)
    for i, (intent, _text) in enumerate(examples):
        by_intent[intent].append(i)
    held = [False] * len(examples)
    for intent in sorted(by_intent):
        idx = by_intent[intent]
        if len(idx) < MIN_FOR_HELDOUT:
            continue
        chosen = list(idx)
        random.Random(f"{SPLIT_SEED}:{intent}").shuffle(chosen)
        for i in chosen[:max(1, round(len(idx) * HELDOUT_SHARE))]:
            held[i] = True
    return held


def extras_yaml(data: TrainingData) -> str:
    """The sections that are not examples (synonyms, lookups, regexes), as Rasa YAML."""
    return TrainingData(synonyms=dict(data.synonyms), lookups=dict(data.lookups), regexes=dict(data.regexes)).to_yaml()


def training_data(rows: Sequence[tuple[str, str]], extra: str) -> TrainingData:
    """Rasa training data from ``(intent, annotated text)`` rows and the extra sections."""
    data = TrainingData.from_yaml(extra, "nlu_extra") if extra.strip() else TrainingData()
    for intent, line in rows:
        text, entities = parse_annotated_text(line)
        if text.strip():
            data.examples.append(Example(text, intent, tuple(entities)))
    return data


def parse_yaml(text: str, source: str = "nlu.yml") -> tuple[list[tuple[str, str]], str]:
    """Uploaded Rasa YAML → ``(intent, annotated text)`` rows and the extra sections (``TrainingDataError``)."""
    data = TrainingData.from_yaml(text, source)
    return [(e.intent, e.annotated()) for e in data.examples], extras_yaml(data)


def export_yaml(rows: Sequence[tuple[str, str]], extra: str) -> str:
    """The examples (held-back ones too) and the extra sections, in the Rasa YAML the project reads."""
    return training_data(rows, extra).to_yaml()
