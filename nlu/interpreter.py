"""The built-in NLU pipeline: text in, Rasa ``/model/parse``-shaped dict out."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from .encoder import EmbeddingCache
from .entities import EntityExtractor
from .entities.dates import TOKYO
from .intent_classifier import FALLBACK_INTENT, IntentClassifier
from .normalize import Morphology
from .off_topic import ElsewhereRule
from .semantic_intents import MIX_BELOW, MIX_INTENTS, OUT_OF_SCOPE, SemanticIntentModel, mix_rankings
from .training_data import TrainingData, load_training_data

__all__ = ["DEFAULT_THRESHOLD", "Interpreter", "MODEL_FORMAT"]

MODEL_FORMAT = "madoguchi-nlu/1"
DEFAULT_THRESHOLD = 0.4
_MAX_TEXT = 10_000  # longer input is cut before analysis (the returned "text" is the input as given)
_SMALL_TALK = frozenset({"greet", "thanks", "help", "stop", "affirm", "deny"})


class Interpreter:
    """Intent classifier + entity extractor sharing one Sudachi ``Morphology``.

    Build with :meth:`train` (from :class:`TrainingData` or a path) or :meth:`load` (a model
    directory written by :meth:`persist`). :meth:`parse` never raises on odd text. Given a sentence
    encoder, intents the lexical model is unsure of are decided with a model of their meaning too
    (``semantic_intents``).
    """

    def __init__(self, classifier: IntentClassifier, entities: EntityExtractor, morphology: Morphology,
                 metadata: dict[str, Any] | None = None, semantic: SemanticIntentModel | None = None) -> None:
        self.classifier = classifier
        self.entities = entities
        self.morphology = morphology
        self.metadata = metadata or {}
        self.semantic = semantic
        #: Set by the service to the town's own place names: another town's matter is out of scope.
        self.elsewhere: ElsewhereRule | None = None

    def set_home_places(self, names: Iterable[str]) -> None:
        self.elsewhere = ElsewhereRule(self.morphology, names)

    @classmethod
    def train(cls, data: TrainingData | str | Path, *, threshold: float = DEFAULT_THRESHOLD,
              extra_lookups: dict[str, Iterable[str]] | None = None, morphology: Morphology | None = None,
              progress: Callable[[str], None] | None = None, encoder: EmbeddingCache | None = None,
              semantic_examples: dict[str, list[str]] | None = None) -> Interpreter:
        """Train in memory. ``extra_lookups`` adds entity tables (facility names, garbage items ...);
        ``semantic_examples`` more examples by intent for the meaning model (the FAQ's questions)."""
        started = time.perf_counter()
        if not isinstance(data, TrainingData):
            data = load_training_data(data)
        say = progress or (lambda _msg: None)
        say("loading the Sudachi dictionary")
        morphology = morphology or Morphology()
        classifier = IntentClassifier.train(data, morphology, threshold=threshold, progress=say)
        say("building entity tables")
        entities = EntityExtractor.train(data, morphology, extra_lookups)
        semantic = None
        if encoder is not None:
            say(f"embedding {len(data.examples)} examples ({encoder.name})")
            semantic = SemanticIntentModel.train(data, encoder, extra=semantic_examples)
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
        return cls(classifier, entities, morphology, metadata, semantic)

    def persist(self, directory: str | Path) -> Path:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        self.classifier.persist(d)
        self.entities.persist(d)
        if self.semantic is not None:
            self.semantic.persist(d)
        (d / "metadata.json").write_text(json.dumps(self.metadata, ensure_ascii=False, indent=1), encoding="utf-8")
        return d

    @classmethod
    def load(cls, directory: str | Path, *, morphology: Morphology | None = None,
             encoder: EmbeddingCache | None = None) -> Interpreter:
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
        semantic = SemanticIntentModel.load(d, encoder) if encoder is not None else None
        return cls(classifier, entities, morphology, metadata, semantic)

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
        result = self.classify(work)
        entities = self.entities.process(work, now or datetime.now(TOKYO))
        return {"text": text, "intent": result["intent"], "intent_ranking": result["intent_ranking"],
                "entities": entities}

    def classify(self, text: str) -> dict[str, Any]:
        """``{"intent", "intent_ranking"}`` alone (no entities)."""
        result = self.classifier.process(text, ranking_length=10 if self.semantic is None else 20)
        if (self.elsewhere is not None and result["intent"]["name"] not in _SMALL_TALK
                and self.elsewhere.applies(text)):
            out = {"name": OUT_OF_SCOPE, "confidence": 1.0}
            return {"intent": out, "intent_ranking": [out, *result["intent_ranking"][:9]]}
        if self.semantic is None:
            return result
        lexical = [r for r in result["intent_ranking"] if r["name"] != FALLBACK_INTENT]
        if not lexical:  # empty text: the fallback alone
            return result
        if lexical[0]["confidence"] >= MIX_BELOW and lexical[0]["name"] not in MIX_INTENTS:
            return {"intent": result["intent"], "intent_ranking": result["intent_ranking"][:10]}
        ranking = mix_rankings(lexical, self.semantic.probabilities(text))[:10]
        if ranking[0]["confidence"] < self.threshold:
            fallback = {"name": FALLBACK_INTENT, "confidence": self.threshold}
            return {"intent": fallback, "intent_ranking": [fallback, *ranking]}
        return {"intent": dict(ranking[0]), "intent_ranking": ranking}

    def is_fallback(self, result: dict[str, Any]) -> bool:
        return result["intent"]["name"] == FALLBACK_INTENT
