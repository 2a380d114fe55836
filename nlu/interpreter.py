"""The built-in NLU pipeline: text in, Rasa ``/model/parse``-shaped dict out."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from .entities import EntityExtractor
from .entities.dates import TOKYO
from .intent_classifier import FALLBACK_INTENT, IntentClassifier
from .normalize import Morphology
from .training_data import TrainingData, load_training_data

__all__ = ["DEFAULT_THRESHOLD", "Interpreter", "MODEL_FORMAT"]

MODEL_FORMAT = "madoguchi-nlu/1"
DEFAULT_THRESHOLD = 0.4
_MAX_TEXT = 10_000  # longer input is cut before analysis (the returned "text" is the input as given)


class Interpreter:
    """Intent classifier + entity extractor sharing one Sudachi ``Morphology``.

    Build with :meth:`train` (from :class:`TrainingData` or a path) or :meth:`load` (a model
    directory written by :meth:`persist`). :meth:`parse` never raises on odd text.
    """

    def __init__(self, classifier: IntentClassifier, entities: EntityExtractor, morphology: Morphology,
                 metadata: dict[str, Any] | None = None) -> None:
        self.classifier = classifier
        self.entities = entities
        self.morphology = morphology
        self.metadata = metadata or {}

    @classmethod
    def train(cls, data: TrainingData | str | Path, *, threshold: float = DEFAULT_THRESHOLD,
              extra_lookups: dict[str, Iterable[str]] | None = None, morphology: Morphology | None = None,
              progress: Callable[[str], None] | None = None) -> Interpreter:
        """Train in memory. ``extra_lookups`` adds entity tables (facility names, garbage items ...)."""
        started = time.perf_counter()
        if not isinstance(data, TrainingData):
            data = load_training_data(data)
        say = progress or (lambda _msg: None)
        say("loading the Sudachi dictionary")
        morphology = morphology or Morphology()
        classifier = IntentClassifier.train(data, morphology, threshold=threshold, progress=say)
        say("building entity tables")
        entities = EntityExtractor.train(data, morphology, extra_lookups)
        metadata = {
            "format": MODEL_FORMAT,
            "intents": data.intents,
            "entities": entities.entity_names,
            "examples": len(data.examples),
            "threshold": threshold,
            "lookups": data.lookups,
            "regexes": data.regexes,
            "trained_seconds": round(time.perf_counter() - started, 3),
        }
        say(f"trained on {len(data.examples)} examples in {metadata['trained_seconds']} s")
        return cls(classifier, entities, morphology, metadata)

    def persist(self, directory: str | Path) -> Path:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        self.classifier.persist(d)
        self.entities.persist(d)
        (d / "metadata.json").write_text(json.dumps(self.metadata, ensure_ascii=False, indent=1), encoding="utf-8")
        return d

    @classmethod
    def load(cls, directory: str | Path, *, morphology: Morphology | None = None) -> Interpreter:
        d = Path(directory)
        meta_path = d / "metadata.json"
        if not meta_path.is_file():
            raise FileNotFoundError(f"{d}: not a model directory (no metadata.json); run `python -m nlu train`")
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
        if metadata.get("format") != MODEL_FORMAT:
            raise ValueError(f"{d}: model format {metadata.get('format')!r}, expected {MODEL_FORMAT!r}; retrain")
        morphology = morphology or Morphology()
        classifier = IntentClassifier.load(d, morphology, metadata.get("lookups"), metadata.get("regexes"))
        entities = EntityExtractor.load(d, morphology)
        return cls(classifier, entities, morphology, metadata)

    @property
    def threshold(self) -> float:
        return self.classifier.threshold

    def parse(self, text: str, *, now: datetime | None = None) -> dict[str, Any]:
        """``{"text", "intent": {"name", "confidence"}, "intent_ranking", "entities"}``.

        ``now`` resolves relative dates (明日, 来週の土曜); it defaults to the current Tokyo time,
        but callers should pass their injected clock.
        """
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        work = text[:_MAX_TEXT]
        result = self.classifier.process(work)
        entities = self.entities.process(work, now or datetime.now(TOKYO))
        return {"text": text, "intent": result["intent"], "intent_ranking": result["intent_ranking"],
                "entities": entities}

    def is_fallback(self, result: dict[str, Any]) -> bool:
        return result["intent"]["name"] == FALLBACK_INTENT
