"""Japanese text normalisation: character folding and Sudachi morphology.

Two layers:

* pure character folding (``clean_text``, ``fold_kana``, ``fold_with_offsets``) with no
  dictionary: NFKC (half/full width), control characters removed, katakana folded to hiragana,
  long-vowel marks dropped and small kana enlarged, so ``ｽﾌﾟﾚｰ缶``, ``スプレー缶`` and ``すぷれかん``
  compare equal where that is what we want;
* ``Morphology``: a SudachiPy tokenizer (split modes A and C) loaded once per object, giving
  surface, normalised form (``空缶`` → ``空き缶``) and reading (``消火器`` → ``しようかき`` after folding).

SudachiPy is used directly rather than through ``spacy.blank("ja")`` because we need split mode C
and A side by side and because a spaCy ``Doc`` costs several times the tokenisation itself.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import jaconv

# SudachiPy's normalised form maps ゴミ to 塵 (粗大ゴミ → 粗大塵) but leaves ごみ as is; people
# write ごみ/ゴミ, never 塵, so we fold those normalised forms back.
_NORMALIZED_FIXES = {"塵": "ごみ", "芥": "ごみ"}

_SMALL_KANA = str.maketrans("ぁぃぅぇぉっゃゅょゎゕゖ", "あいうえおつやゆよわかけ")
_LONG_VOWEL = str.maketrans("", "", "ー〜～-‐―−")
_MAX_TOKENIZE_CHARS = 2000  # longer text is cut into chunks so Sudachi never sees a huge input

__all__ = [
    "Morphology",
    "Token",
    "clean_text",
    "fold_kana",
    "fold_kana_with_offsets",
    "fold_with_offsets",
]


def _is_control(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat in ("Cc", "Cf", "Cs", "Co", "Cn") and ch not in "\n\t"


def clean_text(text: str) -> str:
    """NFKC, control/format characters removed, whitespace collapsed to single spaces."""
    if not text:
        return ""
    text = "".join(" " if ch in "\n\t\r" else ch for ch in text if not _is_control(ch))
    text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


@lru_cache(maxsize=4096)
def fold_kana(text: str) -> str:
    """A matching key: NFKC, lower case, katakana→hiragana, no long vowels, no small kana, no spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = jaconv.kata2hira(text)
    text = text.replace("ゔ", "ぶ")
    text = text.translate(_LONG_VOWEL).translate(_SMALL_KANA)
    return "".join(ch for ch in text if not ch.isspace() and not _is_control(ch))


@lru_cache(maxsize=64)
def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Character-by-character NFKC + lower case keeping, for each output char, its source index.

    Used by extractors that search a normalised string but must report offsets in the original.
    Cached (the returned list must not be modified): several extractors fold the same message.
    """
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if _is_control(ch):
            continue
        folded = unicodedata.normalize("NFKC", ch).lower()
        for f in folded:
            out.append(f)
            index.append(i)
    index.append(len(text))
    return "".join(out), index


def fold_kana_with_offsets(text: str) -> tuple[str, list[int]]:
    """``fold_kana`` keeping, for each output char, its source index (plus a final sentinel)."""
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if _is_control(ch) or ch.isspace():
            continue
        folded = unicodedata.normalize("NFKC", ch).lower()
        for f in folded:
            if f in "\u3099\u309a" and out:  # half-width (semi-)voiced mark: compose with the kana before
                composed = unicodedata.normalize("NFC", out[-1] + f)
                if len(composed) == 1:
                    out[-1] = fold_kana(composed) or out[-1]
                continue
            key = fold_kana(f)
            if key:
                out.append(key)
                index.append(i)
    index.append(len(text))
    return "".join(out), index


@dataclass(frozen=True, slots=True)
class Token:
    surface: str
    normalized: str
    reading: str  # katakana, as Sudachi gives it
    pos: str  # first POS level: 名詞, 動詞, 助詞 ...
    pos2: str
    start: int
    end: int

    @property
    def is_content(self) -> bool:
        """Content word: noun, verb, adjective, adverb, prefix-less stem; not particles or symbols."""
        if self.pos in ("名詞", "動詞", "形容詞", "形状詞", "代名詞", "接頭辞") and self.pos2 != "数詞":
            return self.pos2 not in ("非自立可能",) or self.pos == "名詞"
        return self.pos == "接尾辞" and self.pos2 == "名詞的"

    @property
    def key(self) -> str:
        """Normalised form, with Sudachi's 塵 fixed and kana folded: the term we index."""
        return fold_kana(_NORMALIZED_FIXES.get(self.normalized, self.normalized))

    @property
    def reading_key(self) -> str:
        return fold_kana(self.reading) if self.reading else fold_kana(self.surface)


class Morphology:
    """SudachiPy tokenizers (modes A and C) with a small cache; one instance per pipeline."""

    def __init__(self, dict_type: str = "core", cache_size: int = 4096) -> None:
        from sudachipy import Dictionary, SplitMode  # imported here: no work at import time

        self._dictionary = Dictionary(dict=dict_type)
        self._tok_c = self._dictionary.tokenizer(mode=SplitMode.C)
        self._tok_a = self._dictionary.tokenizer(mode=SplitMode.A)
        self._cache: dict[tuple[str, str], list[Token]] = {}
        self._cache_size = cache_size

    def tokenize(self, text: str, mode: str = "C") -> list[Token]:
        """Tokens of ``text`` (already cleaned or not); offsets refer to ``text``."""
        if not text:
            return []
        key = (mode, text)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        tokenizer = self._tok_a if mode == "A" else self._tok_c
        tokens: list[Token] = []
        for offset in range(0, len(text), _MAX_TOKENIZE_CHARS):
            chunk = text[offset : offset + _MAX_TOKENIZE_CHARS]
            try:
                morphemes = tokenizer.tokenize(chunk)
            except Exception:  # Sudachi rejects some malformed input; treat as no tokens
                continue
            for m in morphemes:
                surface = m.surface()
                if not surface or surface.isspace():
                    continue
                pos = m.part_of_speech()
                tokens.append(
                    Token(
                        surface=surface,
                        normalized=m.normalized_form(),
                        reading=m.reading_form(),
                        pos=pos[0],
                        pos2=pos[1],
                        start=offset + m.begin(),
                        end=offset + m.end(),
                    )
                )
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        self._cache[key] = tokens
        return tokens

    def person_names(self, text: str) -> list[tuple[int, int]]:
        """Spans of personal names (Sudachi's 名詞-固有名詞-人名: 山田, 花子, やまだ) in ``text``;
        not cached (free text for masking, not NLU input)."""
        spans: list[tuple[int, int]] = []
        for offset in range(0, len(text), _MAX_TOKENIZE_CHARS):
            try:
                morphemes = self._tok_c.tokenize(text[offset : offset + _MAX_TOKENIZE_CHARS])
            except Exception:  # Sudachi rejects some malformed input: nothing found there
                continue
            spans += [(offset + m.begin(), offset + m.end()) for m in morphemes if m.part_of_speech()[2] == "人名"]
        return spans

    def content_keys(self, text: str, mode: str = "C") -> list[str]:
        """Normalised, kana-folded content words of ``text`` (the BM25/classifier terms)."""
        return [t.key for t in self.tokenize(text, mode) if t.is_content and t.key]

    def reading(self, text: str) -> str:
        """Folded hiragana reading of the whole text (symbols dropped)."""
        parts = []
        for t in self.tokenize(text, "A"):
            if t.pos in ("補助記号", "空白"):
                continue
            parts.append(t.reading_key)
        return "".join(parts)

    def normalized(self, text: str) -> str:
        """Folded concatenation of normalised forms (okurigana unified: 空缶 = 空き缶)."""
        return "".join(t.key for t in self.tokenize(text, "C") if t.pos not in ("補助記号", "空白"))
