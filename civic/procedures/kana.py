"""The katakana reading of a name written in kanji (§8(6) n), as a suggestion the resident can edit.

SudachiPy (core dictionary) gives a reading per word; names it does not know come back as written,
so the page always leaves the field editable. The dictionary loads once, on first use.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Protocol

import jaconv

_SPACES = re.compile(r"[\s\u3000]+")
_KATAKANA = re.compile(r"^[\u30A1-\u30F6\u30FC\u30FB\u3000 ]+$")


class KanaReader(Protocol):
    def reading(self, name: str) -> str:
        """Katakana reading; the surname and given name stay separated by a full-width space."""
        ...


def normalize_kana(text: str) -> str:
    """Hiragana or half-width kana → full-width katakana; spaces → one full-width space."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    text = jaconv.hira2kata(text)
    return _SPACES.sub("\u3000", text)


def is_katakana(text: str) -> bool:
    return bool(text) and bool(_KATAKANA.match(text))


class SudachiKanaReader:
    def __init__(self, dict_name: str = "core") -> None:
        self._dict_name = dict_name
        self._tokenizer = None
        self._lock = threading.Lock()

    def _tok(self):
        if self._tokenizer is None:
            from sudachipy import Dictionary, SplitMode  # heavy: imported on first use

            dictionary = Dictionary(dict=self._dict_name)
            make = getattr(dictionary, "tokenizer", None)  # SudachiPy ≥ 0.6.9; create() before that
            self._tokenizer = make(mode=SplitMode.C) if make else dictionary.create(mode=SplitMode.C)
        return self._tokenizer

    def reading(self, name: str) -> str:
        text = unicodedata.normalize("NFKC", name or "").strip()
        if not text:
            return ""
        parts = []
        with self._lock:  # a Sudachi tokenizer is not safe to share between threads
            tok = self._tok()
            for part in _SPACES.split(text):  # a space would be read as 記号 (キゴウ)
                parts.append("".join(m.reading_form() for m in tok.tokenize(part)))
        return normalize_kana("\u3000".join(parts))
