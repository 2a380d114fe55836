"""The dense half of the hybrid FAQ search, and how it is fused with the lexical half.

Each entry is embedded as several texts — its question and its alternative phrasings — and scores
the best of them, plus a fraction of its answer's similarity (answers carry words residents use
that questions leave out). Staff translations are not indexed: a question in English is nearer to
any English text than to the Japanese one that answers it, so the few translated entries drew
every English question to themselves (measured: confident answers wrong 16 % instead of 0 %). Vectors come from an
:class:`~nlu.encoder.EmbeddingCache`, so rebuilding after an edit embeds only changed text.

Fusion (measured on both evaluation sets, see nlu/README.md): the dense cosine plus the lexical
score divided by the best lexical score of the query, weighted by ``LEXICAL_WEIGHT``; this beat
reciprocal rank fusion, which throws away how far apart the scores are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from .encoder import EmbeddingCache

__all__ = ["ANSWER_WEIGHT", "LEXICAL_WEIGHT", "DenseFaqIndex", "FusedRanking", "fuse", "reciprocal_rank_fusion"]

ANSWER_WEIGHT = 0.3
LEXICAL_WEIGHT = 0.35
RRF_K = 60

Outcome = Literal["confident", "ambiguous", "none"]


class _Entry(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def question(self) -> str: ...
    @property
    def answer(self) -> str: ...
    @property
    def alternatives(self) -> tuple[str, ...]: ...


class DenseFaqIndex:
    def __init__(self, entries: Sequence[_Entry], cache: EmbeddingCache, *, answer_weight: float = ANSWER_WEIGHT
                 ) -> None:
        self.cache = cache
        self.answer_weight = answer_weight
        texts: list[str] = []
        owner: list[int] = []
        for i, e in enumerate(entries):
            for t in dict.fromkeys([e.question, *e.alternatives]):
                if t.strip():
                    texts.append(t)
                    owner.append(i)
        self.n = len(entries)
        self.owner = np.asarray(owner, dtype=np.intp)
        # texts are grouped by entry, in entry order: each entry's best text is one reduceat segment
        self._starts = np.flatnonzero(np.r_[True, self.owner[1:] != self.owner[:-1]]) if owner else self.owner
        self._with_texts = self.owner[self._starts]
        self._limit = _one_blas_thread()
        self.vectors = cache.encode(texts, keep=True) if texts else np.zeros((0, cache.dim), np.float32)
        answers = [e.answer or e.question for e in entries]
        self.answers = cache.encode(answers, keep=True) if answers else np.zeros((0, cache.dim), np.float32)

    def embed(self, query: str) -> np.ndarray:
        return self.cache.encode_one(query)

    def scores(self, qvec: np.ndarray) -> np.ndarray:
        """Per entry: best cosine over its question texts + ``answer_weight`` × answer cosine."""
        best = np.full(self.n, -1.0, dtype=np.float32)
        if self.n == 0:
            return best
        with self._limit():
            sims = self.vectors @ qvec
            answers = self.answers @ qvec
        if len(sims):
            best[self._with_texts] = np.maximum.reduceat(sims, self._starts)
        return best + self.answer_weight * answers


def _one_blas_thread() -> Any:
    """A matrix-vector product this small loses time to BLAS threads waking on busy cores."""
    from contextlib import nullcontext

    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return nullcontext
    controller = ThreadpoolController()
    return lambda: controller.limit(limits=1, user_api="blas")


@dataclass(frozen=True, slots=True)
class FusedRanking:
    order: list[int]          # entry indexes, best first
    scores: list[float]       # fused score of each, same order
    dense_top: float          # dense score of the best fused entry
    dense_margin: float       # its dense lead over the next entry of the ranking
    lexical_agrees: bool      # the lexical ranking's first entry is the same entry


def fuse(lexical: np.ndarray | None, dense: np.ndarray, k: int, *, lexical_weight: float = LEXICAL_WEIGHT
         ) -> FusedRanking:
    """Dense score + ``lexical_weight`` × lexical score / the query's best lexical score (per entry;
    ``None`` for no lexical half)."""
    fused = dense.astype(np.float64, copy=True)
    lex_first = -1
    if lexical is not None and len(lexical) and (top_lex := float(lexical.max())) > 0:
        fused += lexical_weight * lexical / top_lex
        lex_first = int(np.argmax(lexical))
    n = min(max(k, 2), len(fused))
    part = np.argpartition(-fused, n - 1)[:n] if n < len(fused) else np.arange(len(fused))
    order = sorted(part.tolist(), key=lambda i: (-fused[i], i))
    margin = float(dense[order[0]] - dense[order[1]]) if len(order) > 1 else float(dense[order[0]])
    return FusedRanking(order, [float(fused[i]) for i in order], float(dense[order[0]]), margin,
                        lex_first == order[0])


def reciprocal_rank_fusion(lexical: Mapping[int, float], dense: np.ndarray, k: int) -> list[int]:
    """RRF (k=60) of the two rankings: kept for the evaluation's side-by-side, not used to answer."""
    score: dict[int, float] = {}
    for rank, i in enumerate(sorted(lexical, key=lambda j: (-lexical[j], j))[:100], 1):
        score[i] = score.get(i, 0.0) + 1 / (RRF_K + rank)
    for rank, i in enumerate(np.argsort(-dense, kind="stable")[:100].tolist(), 1):
        score[i] = score.get(i, 0.0) + 1 / (RRF_K + rank)
    return sorted(score, key=lambda j: (-score[j], j))[:k]
