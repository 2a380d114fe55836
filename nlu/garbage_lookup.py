"""Garbage-sorting dictionary lookup robust to 表記揺れ.

A query finds its item through four views of the same text, each folded the same way on both
sides (NFKC, kana script, long vowels, small kana): the surface (ｽﾌﾟﾚｰ缶 = スプレー缶), Sudachi's
normalised form (空缶 = 空き缶), the reading (しょうかき = 消火器) and declared synonyms. Only
substrings that start and end on token boundaries of the query are tried, longest first, so the
item is found inside a sentence (使い終わったスプレー缶ってどう捨てる？) without 土 matching 土曜日.
When nothing matches exactly, one wrong/missing kana is forgiven (edit distance on readings).
Items sharing a name but differing in a qualifier (バケツ（金属製）/ バケツ（プラスチック製）)
make the outcome ``ambiguous`` unless the query names the qualifier.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from rapidfuzz.distance import Levenshtein

from .normalize import Morphology, clean_text, fold_kana

__all__ = ["GarbageDictionary", "GarbageItem", "GarbageLookupResult", "GarbageMatch"]

Outcome = Literal["found", "ambiguous", "none"]
_QUALIFIER = re.compile(r"[（(]([^）)]*)[）)]")
_SPLIT_NAMES = re.compile(r"[・、/／]")
_HEADER_ALIASES = {
    "name": ("name", "品目", "品名", "ゴミの名前", "ごみの名前", "名前", "item"),
    "category": ("type", "category", "分別", "分別区分", "区分", "種類", "label", "ゴミの種類", "ごみの種類"),
    "notes": ("notice", "notes", "note", "注意点", "備考", "出し方", "メモ"),
    "reading": ("furigana", "reading", "よみ", "ふりがな", "読み"),
    "synonyms": ("synonyms", "別名", "同義語", "aliases"),
}
_VIEW_SCORE = {"surface": 1.0, "synonym": 0.97, "normalized": 0.95, "reading": 0.9, "part": 0.8}
_FUZZY_SCORE = 0.85
_HIRAGANA = re.compile(r"[ぁ-ゖ]")
_KANJI = re.compile(r"[\u4e00-\u9fff]")
_MAX_SPAN_TOKENS = 12


@dataclass(frozen=True, slots=True)
class GarbageItem:
    name: str
    category: str
    notes: str = ""
    base_name: str = ""
    qualifier: str = ""
    synonyms: tuple[str, ...] = ()
    reading: str = ""  # furigana column when it holds a full reading (5374's often holds only the initial)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class GarbageMatch:
    item: GarbageItem
    score: float
    matched: str  # the query text that matched
    how: str  # surface | normalized | reading | synonym | fuzzy

    def to_dict(self) -> dict:
        return {"item": self.item.to_dict(), "score": round(self.score, 4), "matched": self.matched, "how": self.how}


@dataclass(frozen=True, slots=True)
class GarbageLookupResult:
    outcome: Outcome
    best: GarbageMatch | None
    alternatives: list[GarbageMatch] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"outcome": self.outcome, "best": self.best.to_dict() if self.best else None,
                "alternatives": [a.to_dict() for a in self.alternatives]}


class GarbageDictionary:
    """Items in, lookups out. Build with :meth:`from_csv` or from :class:`GarbageItem` rows."""

    def __init__(self, items: Iterable[GarbageItem], *, synonyms: Mapping[str, str] | None = None,
                 morphology: Morphology | None = None) -> None:
        self.items = [self._complete(i) for i in items]
        self.morphology = morphology or Morphology()
        self._keys: dict[str, dict[str, set[int]]] = {v: {} for v in _VIEW_SCORE}
        by_name: dict[str, list[int]] = {}
        for idx, item in enumerate(self.items):
            for key in (fold_kana(item.name), fold_kana(item.base_name)):
                by_name.setdefault(key, []).append(idx)
        for idx, item in enumerate(self.items):
            for name in self._names(item):
                self._add(name, idx, ("surface", "normalized", "reading"))
            for syn in item.synonyms:
                self._add(syn, idx, ("synonym",))
            if item.reading:
                self._keys["reading"].setdefault(fold_kana(item.reading), set()).add(idx)
        for variant, canonical in (synonyms or {}).items():
            for idx in by_name.get(fold_kana(canonical), []):
                self._add(variant, idx, ("synonym",))
        # weaker keys: the segments of "XのY" names and okurigana-less kanji skeletons (吸い殻 → 吸殻)
        for idx, item in enumerate(self.items):
            for name in {item.base_name, *_SPLIT_NAMES.split(item.base_name)}:
                for seg in {name, *name.split("の")}:
                    skeleton = _HIRAGANA.sub("", seg)
                    for key in {self.morphology.normalized(seg), skeleton if _KANJI.search(skeleton) else ""}:
                        if len(key) >= 2 and key not in self._keys["surface"] and key not in self._keys["normalized"]:
                            self._keys["part"].setdefault(key, set()).add(idx)
        # content tokens per item (base name, qualifier, synonyms) and their rarity, for partial overlap
        self._tokens: list[set[str]] = []
        self._base_tokens: list[set[str]] = []
        df: dict[str, int] = {}
        for item in self.items:
            base = set(self.morphology.content_keys(item.base_name, "A"))
            extra = set(self.morphology.content_keys(" ".join([item.qualifier, *item.synonyms]), "A"))
            self._base_tokens.append(base)
            self._tokens.append(base | extra)
            for t in base | extra:
                df[t] = df.get(t, 0) + 1
        self._token_items: dict[str, list[int]] = {}
        for idx, toks in enumerate(self._tokens):
            for t in toks:
                self._token_items.setdefault(t, []).append(idx)
        self._order = {item.name: i for i, item in reversed(list(enumerate(self.items)))}
        self._fuzzy_keys = sorted({k for v in ("surface", "reading", "synonym") for k in self._keys[v] if len(k) >= 3})

    # -- building ---------------------------------------------------------------------------
    @staticmethod
    def _complete(item: GarbageItem) -> GarbageItem:
        cleaned = clean_text(item.name)
        qualifiers = _QUALIFIER.findall(cleaned)
        base = clean_text(_QUALIFIER.sub("", cleaned)) or cleaned
        return GarbageItem(name=" ".join(item.name.split()), category=item.category.strip(), notes=(item.notes or "").strip(),
                           base_name=item.base_name or base, qualifier=item.qualifier or "・".join(qualifiers),
                           synonyms=tuple(s for s in item.synonyms if s),
                           reading=item.reading if len(fold_kana(item.reading)) > 1 else "")

    @staticmethod
    def _names(item: GarbageItem) -> list[str]:
        names = [item.name, item.base_name]
        parts = [p.strip() for p in _SPLIT_NAMES.split(item.base_name) if p.strip()]
        if len(parts) > 1:
            names += parts
        if item.qualifier and item.qualifier not in ("上記以外", "上記以外のもの"):
            names.append(item.qualifier + item.base_name)  # 金属製バケツ
        return names

    def _add(self, text: str, idx: int, views: Iterable[str]) -> None:
        for view in views:
            if view == "normalized":
                keys = {self.morphology.normalized(text), "".join(self.morphology.content_keys(text, "A"))}
            elif view == "reading":
                keys = {self.morphology.reading(text)}
            else:
                keys = {fold_kana(text)}
            for key in keys:
                if key:
                    self._keys[view].setdefault(key, set()).add(idx)

    @classmethod
    def from_csv(cls, source: str | Path, *, synonyms: Mapping[str, str] | None = None,
                 morphology: Morphology | None = None) -> GarbageDictionary:
        """5374 ``target.csv`` (``type,name,notice,furigana``; header optional) or a CSV whose header
        names the columns (品目/name, 分別/category, 注意点/notes, synonyms ``|``-separated)."""
        p = Path(source) if not isinstance(source, str) or "\n" not in source else None
        text = p.read_text(encoding="utf-8-sig") if p is not None else str(source)
        return cls(cls.parse_csv(text), synonyms=synonyms, morphology=morphology)

    @staticmethod
    def load_synonyms_csv(source: str | Path) -> dict[str, str]:
        """``word,name`` rows (header optional): another way of writing an item → the item's name."""
        with open(source, encoding="utf-8-sig") as fh:
            return GarbageDictionary.parse_synonyms(fh.read())

    @staticmethod
    def parse_synonyms(text: str) -> dict[str, str]:
        """``synonyms.csv``'s text (staff keep it in the database once they edit the dictionary)."""
        out: dict[str, str] = {}
        for i, row in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff")))):
            if len(row) < 2 or not row[0].strip() or not row[1].strip():
                continue
            if i == 0 and row[0].strip().lower() in ("word", "synonym", "別名", "variant"):
                continue
            out[row[0].strip()] = row[1].strip()
        return out

    @staticmethod
    def parse_csv(text: str) -> list[GarbageItem]:
        rows = [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if any(c.strip() for c in r)]
        if not rows:
            return []
        header = [c.strip().lower() for c in rows[0]]
        columns = {field_: next((header.index(a.lower()) for a in aliases if a.lower() in header), None)
                   for field_, aliases in _HEADER_ALIASES.items()}
        if columns["name"] is not None and columns["category"] is not None:
            rows = rows[1:]
        else:  # no header: the 5374 column order
            columns = {"category": 0, "name": 1, "notes": 2, "reading": 3, "synonyms": None}

        def col(row: list[str], key: str) -> str:
            i = columns.get(key)
            return row[i].strip() if i is not None and i < len(row) else ""

        items = []
        for row in rows:
            name, category = col(row, "name"), col(row, "category")
            if name and category:
                syns = tuple(s.strip() for s in re.split(r"[|｜;；]", col(row, "synonyms")) if s.strip())
                items.append(GarbageItem(name=name, category=category, notes=col(row, "notes"), synonyms=syns,
                                         reading=col(row, "reading")))
        return items

    # -- lookup -----------------------------------------------------------------------------
    def _views(self, text: str) -> dict[str, tuple[list[str], list[int], list[int]]]:
        """Per view: token strings, their start offsets in the query, their end offsets."""
        tokens = [t for t in self.morphology.tokenize(text, "A") if t.pos not in ("補助記号", "空白")]
        starts, ends = [t.start for t in tokens], [t.end for t in tokens]
        surface = [fold_kana(t.surface) for t in tokens]
        views = {
            "surface": (surface, starts, ends),
            "normalized": ([t.key for t in tokens], starts, ends),
            "reading": ([t.reading_key for t in tokens], starts, ends),
            "synonym": (surface, starts, ends),
            "part": (surface, starts, ends),
            "part_n": ([t.key for t in tokens], starts, ends),
        }
        ctoks = [t for t in self.morphology.tokenize(text, "C") if t.pos not in ("補助記号", "空白")]
        views["normalized_c"] = ([t.key for t in ctoks], [t.start for t in ctoks], [t.end for t in ctoks])
        return views

    def lookup(self, query: str, *, max_alternatives: int = 4) -> GarbageLookupResult:
        text = clean_text(query if isinstance(query, str) else "")[:200]
        if not text or not self.items:
            return GarbageLookupResult("none", None, [])
        views = self._views(text)
        spans: dict[int, tuple[int, int, str, float]] = {}  # item → (start, end, how, view factor)

        def offer(idx: int, start: int, end: int, how: str, factor: float) -> None:
            prev = spans.get(idx)
            if prev is not None and how in ("fuzzy", "overlap") and prev[2] not in ("fuzzy", "overlap"):
                return  # an exact match of the item is never replaced by a looser one
            if prev is None or (end - start) * factor > (prev[1] - prev[0]) * prev[3]:
                spans[idx] = (start, end, how, factor)

        for view, (parts, starts, ends) in views.items():
            key_view = {"normalized_c": "normalized", "part_n": "part"}.get(view, view)
            table = self._keys[key_view]
            for i in range(len(parts)):
                acc = ""
                for j in range(i, min(len(parts), i + _MAX_SPAN_TOKENS)):
                    acc += parts[j]
                    hits = table.get(acc)
                    if not hits or (key_view == "reading" and len(acc) < 3 and (i > 0 or j < len(parts) - 1)):
                        continue
                    for idx in hits:
                        if key_view != "reading" or not self._other_word(text, starts[i], ends[j], idx, sound=False):
                            offer(idx, starts[i], ends[j], key_view, _VIEW_SCORE[key_view])
        exact = [(s, e) for s, e, _, _ in spans.values()]
        longest = max((e - s for s, e in exact), default=0)
        for idx, (s, e, dist) in self._fuzzy(views, longer_than=longest).items():
            # with exact matches present, a fuzzy span must extend one of them (ペットボトルのキャプ)
            if (not exact or any(s <= a and b <= e for a, b in exact)) and not self._other_word(text, s, e, idx, sound=dist > 0):
                offer(idx, s, e, "fuzzy", _FUZZY_SCORE * (1 - dist / max(3, e - s)))
        self._overlap(views, text, offer)
        if not spans:
            return GarbageLookupResult("none", None, [])
        scored = self._score(views, spans)
        ranked = sorted(scored, key=lambda x: (-x[0], -x[1], x[2].item is None, self._order[x[2].item.name]))
        matches = [m for _, _, m in ranked]
        top = [m for p, c, m in ranked if abs(p - ranked[0][0]) < 1e-9 and abs(c - ranked[0][1]) < 1e-9]
        if len(top) > 1:  # several items explain the query equally well: let the qualifier decide
            folded_query = fold_kana(text)
            named = [m for m in top if m.item.qualifier and any(
                fold_kana(q) in folded_query for q in _qualifier_words(m.item.qualifier))]
            if len(named) == 1:
                rest = [m for m in matches if m is not named[0]]
                return GarbageLookupResult("found", named[0], rest[:max_alternatives])
            return GarbageLookupResult("ambiguous", top[0], matches[1 : 1 + max_alternatives])
        return GarbageLookupResult("found", matches[0], matches[1 : 1 + max_alternatives])

    def _score(self, views: dict, spans: dict[int, tuple[int, int, str, float]]) -> list[tuple[float, float, GarbageMatch]]:
        """Primary: query characters the item explains (its matched span, plus query tokens outside
        the span that name its qualifier or the rest of its name), times the view factor.
        Secondary: how much of the item's own name the query covers."""
        parts, starts, ends = views["normalized"]
        text_len = max(ends, default=0)
        out = []
        for idx, (s, e, how, factor) in spans.items():
            explained = e - s
            covered_base = set()
            for tok, ts, te in zip(parts, starts, ends, strict=True):
                inside = ts >= s and te <= e
                if tok in self._tokens[idx] or self._head_match(tok, self._base_tokens[idx]):
                    if not inside:
                        explained += te - ts
                    covered_base.add(tok)
            base = self._base_tokens[idx]
            name_cover = 1.0 if how != "overlap" else (len(base & covered_base) / len(base) if base else 0.0)
            primary = round(min(explained, text_len) * factor, 6)
            matched = views["surface"][0] and self._surface(views, s, e)
            out.append((primary, name_cover, GarbageMatch(self.items[idx], round(min(1.0, primary / max(1, e - s)), 4),
                                                          matched, how)))
        return out

    @staticmethod
    def _surface(views: dict, s: int, e: int) -> str:
        return views["_text"][s:e] if "_text" in views else ""

    @staticmethod
    def _head_match(query_token: str, base: set[str]) -> bool:
        """空き缶 is a kind of 缶: a query compound ending in a name token counts for that token."""
        return any(len(query_token) > len(t) and query_token.endswith(t) and _KANJI.search(t) for t in base)

    def _overlap(self, views: dict, text: str, offer) -> None:
        """Items whose name tokens mostly appear in the query (ジャムの空き瓶 → ジャムのびん)."""
        views["_text"] = text
        parts, starts, ends = views["normalized"]
        hits: dict[int, list[int]] = {}
        for k, tok in enumerate(parts):
            for idx in self._token_items.get(tok, ()):
                hits.setdefault(idx, []).append(k)
        for k, tok in enumerate(parts):  # heads of compounds: 空き缶 → 缶
            for n in range(1, len(tok)):
                for idx in self._token_items.get(tok[n:], ()):
                    if tok[n:] in self._base_tokens[idx] and _KANJI.search(tok[n:]):
                        hits.setdefault(idx, []).append(k)
        for idx, ks in hits.items():
            base = self._base_tokens[idx]
            got = {parts[k] for k in ks}
            got_base = {t for t in base if t in got or any(self._head_match(g, {t}) for g in got)}
            all_got = got_base | (got & self._tokens[idx])
            if not base or not (len(got_base) * 2 > len(base) or (len(all_got) >= 2 and got_base)):
                continue
            if not any(len(t) >= 2 or _KANJI.search(t) for t in all_got):
                continue
            ks_base = [k for k in ks if parts[k] in base or self._head_match(parts[k], base)]
            if ks_base:
                offer(idx, starts[min(ks_base)], ends[max(ks_base)], "overlap", 0.0)

    def _other_word(self, text: str, start: int, end: int, idx: int, *, sound: bool = True) -> bool:
        """Whether a fuzzy span is another word than the item: it holds a word written in kanji that
        is not the item's, and none of the item's own words. The citizen chose those characters, so a
        near reading is not a typo (本町 is not 包丁, ごみ袋 is not 紙袋); typos are kana slips
        (ストブ, しょかき) or a slip beside the item's own word (冷蔵子). ``sound``: a word sounding
        like part of the item counts as its own (わり箸 is 割りばし); not for exact readings, where a
        homophone is another word unless it keeps one of the item's own (川原 is not 瓦, 消化器 is 消火器)."""
        item = self.items[idx]
        names = fold_kana("".join([item.name, *item.synonyms]))
        reading = _plain_kana(self.morphology.reading(item.base_name) + item.reading)
        foreign = own = False
        for token in self.morphology.tokenize(text[start:end], "A"):
            kanji = bool(_KANJI.search(token.surface))
            mine = (token.key in self._tokens[idx] or fold_kana(token.surface) in names
                    or (sound and _plain_kana(token.reading_key) in reading))
            if mine and (kanji or len(token.surface) >= 2):
                own = True
            elif kanji and not mine:
                foreign = True
        return foreign and not own

    def _fuzzy(self, views: dict, longer_than: int) -> dict[int, tuple[int, int, float]]:
        """One wrong or missing kana (two for long names) on boundary-aligned spans longer than any
        exact match; a substitution in a 3-character name is not forgiven (うんち is not ぺんち)."""
        found: dict[int, tuple[int, int, float]] = {}
        candidates: dict[str, tuple[int, int]] = {}
        for view in ("surface", "reading"):
            parts, starts, ends = views[view]
            for i in range(len(parts)):
                acc = ""
                for j in range(i, min(len(parts), i + 6)):
                    acc += parts[j]
                    if len(acc) >= 3 and ends[j] - starts[i] > longer_than:
                        candidates.setdefault(acc, (starts[i], ends[j]))
        for cand, (s, e) in candidates.items():
            for key in self._fuzzy_keys:
                if abs(len(key) - len(cand)) > 2:
                    continue
                allowed = 1 if len(key) < 7 else 2
                dist: float = Levenshtein.distance(cand, key, score_cutoff=allowed)
                if dist > allowed or (len(key) == 3 and len(cand) == 3 and dist):
                    continue
                if dist and len(key) == len(cand) + 1:
                    dist -= 0.5  # a missing kana is likelier than a wrong one (しょかき is 消火器, not 食器)
                for view in ("surface", "reading", "synonym"):
                    for idx in self._keys[view].get(key, ()):
                        prev = found.get(idx)
                        if prev is None or (e - s, -dist) > (prev[1] - prev[0], -prev[2]):
                            found[idx] = (s, e, dist)
        return found


def _plain_kana(text: str) -> str:
    """Kana without voicing marks: 割り箸 is わりばし, 箸 is はし (rendaku)."""
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if ch not in "\u3099\u309a")


def _qualifier_words(qualifier: str) -> list[str]:
    words = [w for w in re.split(r"[・、,，\s]", qualifier) if w]
    out = []
    for w in words:
        out.append(w)
        stem = re.sub(r"(製|用|式|材|のもの|もの)$", "", w)
        if stem and stem != w:
            out.append(stem)
    return out
