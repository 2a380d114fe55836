"""Intents by meaning: a linear model over sentence vectors, mixed with the lexical classifier.

The lexical SVM (``intent_classifier``) is fast and sure of the phrasings it was trained on; this
model, multinomial logistic regression over the encoder's vectors of the same examples, carries
what the words do not share (「引っ越してきた」 ~ 転入). They are mixed only where the lexical
model is unsure or says ``faq``/``out_of_scope`` — a message the SVM is sure of is never embedded,
so its parse stays at the lexical cost. ``out_of_scope`` (雑談, spam, other towns' matters) is an
intent of the training data like any other; the dialogue layer answers it with a polite refusal.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .encoder import EmbeddingCache
from .normalize import clean_text
from .training_data import TrainingData

__all__ = ["OUT_OF_SCOPE", "SemanticIntentModel", "mix_rankings"]

OUT_OF_SCOPE = "out_of_scope"
#: Mix only when the lexical top intent is below this confidence or one of ``MIX_INTENTS``.
MIX_BELOW = 0.8
MIX_INTENTS = frozenset({"faq", OUT_OF_SCOPE})
#: Share of the semantic model in the mixed confidence (measured: nlu/README.md).
SEMANTIC_WEIGHT = 0.3
_FILE = "semantic_intents.npz"


def embedding_key(text: str) -> str:
    """The text as the FAQ index embeds it, so a question is embedded once per turn."""
    return clean_text(text)[:500]


class SemanticIntentModel:
    def __init__(self, labels: list[str], weights: np.ndarray, bias: np.ndarray, cache: EmbeddingCache) -> None:
        self.labels, self.weights, self.bias, self.cache = labels, weights, bias, cache

    @classmethod
    def train(cls, data: TrainingData, cache: EmbeddingCache, *, extra: dict[str, list[str]] | None = None,
              c: float = 10.0) -> SemanticIntentModel:
        """``extra``: more examples by intent for this model only — the FAQ's questions as ``faq``,
        so every topic the town answers counts as in scope, not only the few in the YAML."""
        from sklearn.linear_model import LogisticRegression

        pairs = [(e.text, e.intent) for e in data.examples]
        pairs += [(t, intent) for intent, texts in (extra or {}).items() if intent in data.intents for t in texts]
        x = cache.encode([embedding_key(t) for t, _ in pairs], keep=True)
        y = [intent for _, intent in pairs]
        model = LogisticRegression(C=c, max_iter=2000).fit(x, y)
        weights, bias = model.coef_.astype(np.float32), model.intercept_.astype(np.float32)
        if len(model.classes_) == 2:  # one row for the second class: softmax over (0, w·x + b) is its sigmoid
            weights, bias = np.vstack([np.zeros_like(weights), weights]), np.concatenate([np.zeros_like(bias), bias])
        return cls([str(c) for c in model.classes_], weights, bias, cache)

    def probabilities(self, text: str) -> dict[str, float]:
        z = self.weights @ self.cache.encode_one(embedding_key(text)) + self.bias
        p = np.exp(z - z.max())
        p /= p.sum()
        return dict(zip(self.labels, p.tolist(), strict=True))

    def persist(self, directory: str | Path) -> None:
        d = Path(directory)
        np.savez_compressed(d / _FILE, weights=self.weights, bias=self.bias,
                            labels=np.asarray(json.dumps(self.labels, ensure_ascii=False)),
                            encoder=np.asarray(self.cache.name))

    @classmethod
    def load(cls, directory: str | Path, cache: EmbeddingCache) -> SemanticIntentModel | None:
        """``None`` when the directory has no model for this encoder (train again to get one)."""
        path = Path(directory) / _FILE
        if not path.is_file():
            return None
        arrays = np.load(path, allow_pickle=False)
        if str(arrays["encoder"]) != cache.name:
            return None
        return cls(json.loads(str(arrays["labels"])), arrays["weights"], arrays["bias"], cache)


def mix_rankings(lexical: list[dict], semantic: dict[str, float], *, weight: float = SEMANTIC_WEIGHT) -> list[dict]:
    """Rasa-shaped ranking from both models' confidences (intents missing from one count 0 there)."""
    lex = {r["name"]: float(r["confidence"]) for r in lexical}
    names = set(lex) | set(semantic)
    mixed = {n: (1 - weight) * lex.get(n, 0.0) + weight * semantic.get(n, 0.0) for n in names}
    return [{"name": n, "confidence": round(p, 6)} for n, p in sorted(mixed.items(), key=lambda kv: (-kv[1], kv[0]))]
