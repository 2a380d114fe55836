"""FAQ retrieval: field-weighted BM25 over Sudachi-normalised words, readings and characters.

Each FAQ entry is indexed in four fields, each its own BM25 index (k1=1.2, b=0.75):

* ``question`` — content words (normalised form, modes C and A, so 住民票の写し also yields 住民/票)
  of the question and its alternative phrasings, with synonyms folded to one term;
* ``answer`` — the same for the answer text (lower weight: answers are long and mention much);
* ``reading`` — kana readings of those words, so a query typed in hiragana still matches kanji;
* ``chars`` — character bigrams of the folded question text, for typos and unknown words;
* ``kanji`` — single kanji of the question text (開く ~ 開庁, 何時 ~ 時間), a weak semantic net.

The combined score ranks entries. The outcome uses how much of the query's informative terms the
best entry covers and how far it stands from the runner-up: ``confident`` (answer directly),
``ambiguous`` (offer the candidates) or ``none`` (say we do not know, hand over to staff).

Given a sentence encoder (``encoder=``), the index is hybrid: this lexical score is fused with a
dense one (``faq_semantic``) and the outcome is decided on the dense score, its lead and whether
both halves agree. Without one (``NLU_ENCODER=none``, or the package absent) it is lexical only.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .encoder import EmbeddingCache
from .faq_semantic import DenseFaqIndex, fuse, reciprocal_rank_fusion
from .language import script_language
from .normalize import Morphology, clean_text, fold_kana

__all__ = ["BM25", "FaqEntry", "FaqHit", "FaqIndex", "FaqSearchResult"]

Outcome = Literal["confident", "ambiguous", "none"]

# generic question words: they say "this is a question", not what it is about
STOP_TERMS = frozenset(map(fold_kana, """
する 為る ある 有る いる 居る なる 成る できる 出来る 教える 知る 思う 言う いい 良い よい こと 事 もの 物 ため 為
ください 下さい 下さる 分かる わかる 聞く 方 かた ほう 場合 どう どの どこ 何 なに なん いつ 誰 よう 様 くれる 貰う もらう
たい ます です ない 無い 欲しい ほしい みる 見る 行く いく 来る くる 有り 良う 今 いま それ これ あれ そう 問い合わせ ところ 所
つく 就く 付く 関する 対する 際 おく 置く しまう 仕舞う ちゃう 的 ね よ か
""".split()))

# hybrid outcome thresholds on the dense score (cosine + 0.3 × answer cosine), calibrated on both
# evaluation sets (nlu/README.md): confident answers wrong ≤ 5 %
DENSE_CONFIDENT = 0.80
DENSE_MARGIN = 0.05
DENSE_AMBIGUOUS = 0.55
UNKNOWN_COVERAGE = 0.2  # below this lexical coverage a dense score under DENSE_AGREE is "none"
DENSE_AGREE = 0.65  # confident from this dense score when the lexical ranking agrees and covers the query
# a question in another language: dense only (the lexical half matches noise), and cross-lingual
# cosines run lower — calibrated on the translated subset (2.3 % of confident answers wrong there)
CROSS_CONFIDENT = 0.50
CROSS_MARGIN = 0.08
CROSS_AMBIGUOUS = 0.45

_FIELD_WEIGHTS = {"question": 1.0, "answer": 0.35, "reading": 0.3, "chars": 0.25, "kanji": 0.3}


@dataclass(frozen=True, slots=True)
class FaqEntry:
    id: str
    question: str
    answer: str = ""
    alternatives: tuple[str, ...] = ()
    category: str = ""
    keywords: tuple[str, ...] = ()
    #: staff translations: (language code, question, answer), e.g. ("en", "...", "...")
    translations: tuple[tuple[str, str, str], ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FaqEntry:
        alts = d.get("alternatives") or d.get("paraphrases") or d.get("questions") or ()
        kws = d.get("keywords") or ()
        trans = d.get("translations") or {}
        return cls(id=str(d.get("id") or d.get("_id")), question=str(d.get("question") or d.get("title") or ""),
                   answer=str(d.get("answer") or d.get("text") or ""),
                   alternatives=tuple(str(a) for a in alts), category=str(d.get("category") or ""),
                   keywords=tuple(str(k) for k in kws),
                   translations=tuple((str(lang), str(t.get("question") or ""), str(t.get("answer") or ""))
                                      for lang, t in trans.items() if isinstance(t, Mapping)))

    def translation(self, lang: str) -> tuple[str, str] | None:
        """``(question, answer)`` in ``lang`` when staff gave both, else ``None``."""
        for code, question, answer in self.translations:
            if code == lang and question and answer:
                return question, answer
        return None


@dataclass(frozen=True, slots=True)
class FaqHit:
    entry_id: str
    score: float
    question: str

    def to_dict(self) -> dict[str, Any]:
        return {"entry_id": self.entry_id, "score": round(self.score, 4), "question": self.question}


@dataclass(frozen=True, slots=True)
class FaqSearchResult:
    outcome: Outcome
    hits: list[FaqHit] = field(default_factory=list)
    coverage: float = 0.0  # share of the query's term weight found in the best entry, 0..1

    def to_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "coverage": round(self.coverage, 4), "hits": [h.to_dict() for h in self.hits]}


class BM25:
    """Okapi BM25 over pre-tokenised documents; scores all documents for a query at once.

    Each term's postings are kept as arrays of (document, BM25 weight), so a query is a handful of
    ``bincount`` calls — a 2,000-entry FAQ costs tens of microseconds per field, not milliseconds.
    """

    def __init__(self, docs: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.n = len(docs)
        self.lengths = [len(d) for d in docs]
        self.avgdl = (sum(self.lengths) / self.n) if self.n else 1.0
        # flat (term, document, tf) triples, weighted and split per term with numpy: a staff edit
        # re-indexes 2,000 entries in well under a second (a dict of Python lists took seconds)
        term_ids: dict[str, int] = {}
        tids: list[int] = []
        dids: list[int] = []
        tfs: list[int] = []
        self.doc_terms: list[frozenset[str]] = []
        for i, d in enumerate(docs):
            counts = Counter(d)
            self.doc_terms.append(frozenset(counts))
            for term, tf in counts.items():
                tids.append(term_ids.setdefault(term, len(term_ids)))
                dids.append(i)
                tfs.append(tf)
        names = list(term_ids)
        df = np.bincount(np.asarray(tids, dtype=np.intp), minlength=len(names)).tolist()
        idfs = [math.log(1 + (self.n - n + 0.5) / (n + 0.5)) for n in df]
        self.idf = dict(zip(names, idfs, strict=True))
        norm = np.asarray([self.k1 * (1 - self.b + self.b * (dl / self.avgdl if self.avgdl else 0))
                           for dl in self.lengths], dtype=np.float64)
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if not tids:
            return
        t = np.asarray(tids, dtype=np.intp)
        docs_of = np.asarray(dids, dtype=np.intp)
        tf_of = np.asarray(tfs, dtype=np.float64)
        weights = np.asarray(idfs, dtype=np.float64)[t] * tf_of * (self.k1 + 1) / (tf_of + norm[docs_of])
        order = np.argsort(t, kind="stable")  # by term, documents ascending within each
        t, docs_of, weights = t[order], docs_of[order], weights[order]
        starts = np.r_[0, np.flatnonzero(np.diff(t)) + 1]
        ends = np.r_[starts[1:], len(t)]
        for tid, start, end in zip(t[starts].tolist(), starts.tolist(), ends.tolist(), strict=True):
            self.postings[names[tid]] = (docs_of[start:end], weights[start:end])

    def score_array(self, query: Iterable[str]) -> np.ndarray:
        out = np.zeros(self.n, dtype=np.float64)
        for term, qtf in Counter(query).items():
            hit = self.postings.get(term)
            if hit is not None:
                out += qtf * np.bincount(hit[0], weights=hit[1], minlength=self.n)
        return out

    def scores(self, query: Iterable[str]) -> dict[int, float]:
        arr = self.score_array(query)
        idx = np.flatnonzero(arr)
        return dict(zip(idx.tolist(), arr[idx].tolist(), strict=True))


class FaqIndex:
    """Build once from FAQ entries (dicts or :class:`FaqEntry`); :meth:`search` per question."""

    def __init__(self, entries: Iterable[FaqEntry | Mapping[str, Any]], *, synonyms: Mapping[str, str] | None = None,
                 morphology: Morphology | None = None, confident_coverage: float = 0.5,
                 confident_margin: float = 0.2, ambiguous_coverage: float = 0.3,
                 encoder: EmbeddingCache | None = None, previous: FaqIndex | None = None) -> None:
        """``previous``: the index this one replaces (staff published a change); the analysis of every
        text it already had is reused, so only new or edited entries are tokenised and embedded."""
        self.entries = [e if isinstance(e, FaqEntry) else FaqEntry.from_dict(e) for e in entries]
        self.morphology = morphology or Morphology()
        self.synonyms = {}
        for variant, canonical in (synonyms or {}).items():
            for key in self._keys_raw(variant):
                self.synonyms[key] = "".join(self._keys_raw(canonical)) or fold_kana(canonical)
        self.confident_coverage = confident_coverage
        self.confident_margin = confident_margin
        self.ambiguous_coverage = ambiguous_coverage
        fields: dict[str, list[list[str]]] = {f: [] for f in _FIELD_WEIGHTS}
        self._readings: list[str] = []
        reuse = previous._analysed if previous is not None and previous.synonyms == self.synonyms else {}
        self._analysed: dict[str, dict[str, list[str]]] = {}
        for e in self.entries:
            qtext = " ".join([e.question, *e.alternatives, *e.keywords])
            terms = self._analyse(qtext, reuse)
            self._readings.append(terms["reading_text"][0])
            fields["question"].append(terms["words"])
            fields["reading"].append(terms["reading"])
            fields["chars"].append(terms["chars"])
            fields["kanji"].append(terms["kanji"])
            fields["answer"].append(self._analyse(e.answer, reuse)["words"])
        self.indexes = {f: BM25(docs) for f, docs in fields.items()}
        self.dense = DenseFaqIndex(self.entries, encoder) if encoder is not None else None

    def _analyse(self, text: str, reuse: dict[str, dict[str, list[str]]]) -> dict[str, list[str]]:
        terms = reuse.get(text) or self._analysed.get(text)
        if terms is None:  # interned: 2,000 entries repeat the same few thousand n-grams ~500,000 times
            terms = {k: [sys.intern(t) for t in v] for k, v in self._terms(text).items()}
        self._analysed[text] = terms
        return terms

    def _keys_raw(self, text: str) -> list[str]:
        return [k for k in self.morphology.content_keys(clean_text(text), "C") if k not in STOP_TERMS]

    def _terms(self, text: str) -> dict[str, list[str]]:
        text = clean_text(text)
        words: list[str] = []
        readings: list[str] = []
        seen_c = set()
        for t in self.morphology.tokenize(text, "C"):
            if t.is_content and t.key and t.key not in STOP_TERMS:
                key = self.synonyms.get(t.key, t.key)
                words.append(key)
                readings.append(t.reading_key)
                seen_c.add(key)
        cwords = list(words)
        full_reading = self.morphology.reading(text)
        reading = [full_reading[i : i + 3] for i in range(len(full_reading) - 2)]
        for t in self.morphology.tokenize(text, "A"):  # sub-words of compounds: 住民票 → 住民, 票
            if t.is_content and t.key and t.key not in STOP_TERMS and t.key not in seen_c and len(t.key) > 1:
                words.append(self.synonyms.get(t.key, t.key))
        folded = fold_kana(text)
        chars = [folded[i : i + 2] for i in range(len(folded) - 1)]
        kanji = [ch for ch in folded if "\u4e00" <= ch <= "\u9fff"]
        return {"words": words, "reading": reading, "chars": chars, "kanji": kanji, "reading_text": [full_reading],
                "cwords": cwords, "reading_aligned": readings}

    def _combined_array(self, terms: dict[str, list[str]]) -> np.ndarray:
        total = np.zeros(len(self.entries), dtype=np.float64)
        for f, weight in _FIELD_WEIGHTS.items():
            q = terms["words"] if f in ("question", "answer") else terms[f]
            total += weight * self.indexes[f].score_array(q)
        return total

    def _combined(self, terms: dict[str, list[str]]) -> dict[int, float]:
        total = self._combined_array(terms)
        idx = np.flatnonzero(total)
        return dict(zip(idx.tolist(), total[idx].tolist(), strict=True))

    def _coverage(self, terms: dict[str, list[str]], doc: int) -> float:
        """Share of the query's IDF mass (question words) that entry ``doc`` contains in its question
        or answer; reading matches count for kana-written words."""
        qidx, aidx = self.indexes["question"], self.indexes["answer"]
        total = got = 0.0
        for word, reading in zip(terms["cwords"], terms["reading_aligned"], strict=True):
            weight = qidx.idf.get(word, math.log(1 + (qidx.n + 0.5) / 0.5))
            total += weight
            if _in_doc(qidx, word, doc):
                got += weight
            elif _in_doc(aidx, word, doc):
                got += 0.6 * weight
            elif len(reading) >= 2 and reading in self._readings[doc]:
                got += 0.8 * weight
        return got / total if total else 0.0

    def search(self, query: str, k: int = 5) -> FaqSearchResult:
        text = clean_text(query if isinstance(query, str) else "")[:500]
        if not text or not self.entries:
            return FaqSearchResult("none", [], 0.0)
        terms = self._terms(text)
        if self.dense is not None:
            return self._hybrid(text, terms, self._combined_array(terms), k)
        scores = self._combined(terms)
        if not scores:
            return FaqSearchResult("none", [], 0.0)
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[: max(k, 2)]
        hits = [FaqHit(self.entries[i].id, s, self.entries[i].question) for i, s in ranked]
        outcome, coverage = self._lexical_outcome(terms, ranked)
        return FaqSearchResult(outcome, hits[:k], coverage)

    def _lexical_outcome(self, terms: dict[str, list[str]], ranked: list[tuple[int, float]]) -> tuple[Outcome, float]:
        coverage = self._coverage(terms, ranked[0][0]) if terms["words"] else 0.0
        s1 = ranked[0][1]
        s2 = ranked[1][1] if len(ranked) > 1 else 0.0
        margin = (s1 - s2) / s1 if s1 > 0 else 0.0
        # a runner-up that covers the query as well as the best one makes a small margin ambiguous
        tied = len(ranked) > 1 and self._coverage(terms, ranked[1][0]) >= coverage - 1e-9
        if coverage >= self.confident_coverage and margin >= self.confident_margin * (2 if tied else 1):
            return "confident", coverage
        return ("ambiguous" if coverage >= self.ambiguous_coverage else "none"), coverage

    def _hybrid(self, text: str, terms: dict[str, list[str]], lexical: np.ndarray, k: int) -> FaqSearchResult:
        """Fused ranking; the outcome from the dense score of the best entry and its lead, helped
        when the lexical ranking puts the same entry first and covers the query."""
        assert self.dense is not None
        cross = script_language(text) != "ja"
        ranking = fuse(None if cross else lexical, self.dense.scores(self.dense.embed(text)), k)
        hits = [FaqHit(self.entries[i].id, s, self.entries[i].question)
                for i, s in zip(ranking.order, ranking.scores, strict=True)]
        coverage = 0.0 if cross or not terms["words"] else self._coverage(terms, ranking.order[0])
        agree = ranking.lexical_agrees and coverage >= self.ambiguous_coverage
        top, lead = ranking.dense_top, ranking.dense_margin
        if cross:
            confident, ambiguous = top >= CROSS_CONFIDENT and lead >= CROSS_MARGIN, top >= CROSS_AMBIGUOUS
        elif len(terms["cwords"]) <= 1 and lexical.any():
            # a bare keyword (マイナンバー, ごみ) says too little for a sentence vector: the lexical rule
            top2 = np.argsort(-lexical, kind="stable")[:2]
            lexical_outcome, _ = self._lexical_outcome(terms, [(int(i), float(lexical[i])) for i in top2 if lexical[i] > 0])
            return FaqSearchResult(lexical_outcome, hits[:k], coverage)
        else:
            confident = lead >= DENSE_MARGIN and (top >= DENSE_CONFIDENT or (agree and top >= DENSE_AGREE))
            # words the FAQ has never seen (宇宙人の住民登録) and only a middling vector: nothing fits
            ambiguous = top >= DENSE_AMBIGUOUS and (coverage >= UNKNOWN_COVERAGE or top >= DENSE_AGREE)
        outcome: Outcome = "confident" if confident else "ambiguous" if ambiguous else "none"
        return FaqSearchResult(outcome, hits[:k], coverage)

    def rank(self, query: str, k: int = 10, *, mode: str = "auto") -> list[str]:
        """Entry ids, best first (for evaluation). ``mode``: ``auto`` (as :meth:`search`), ``lexical``,
        ``dense``, ``hybrid`` or ``rrf`` (reciprocal rank fusion, for comparison)."""
        if mode == "auto":
            return [h.entry_id for h in self.search(query, k).hits]
        text = clean_text(query if isinstance(query, str) else "")[:500]
        if not text or not self.entries:
            return []
        lexical = self._combined(self._terms(text))
        if mode == "lexical":
            order = sorted(lexical, key=lambda i: (-lexical[i], i))[:k]
        else:
            if self.dense is None:
                raise ValueError(f"mode {mode!r} needs an encoder")
            dense = self.dense.scores(self.dense.embed(text))
            if mode == "dense":
                order = sorted(range(len(dense)), key=lambda i: (-dense[i], i))[:k]
            elif mode == "rrf":
                order = reciprocal_rank_fusion(lexical, dense, k)
            else:
                order = fuse(None if script_language(text) != "ja" else self._combined_array(self._terms(text)),
                             dense, k).order[:k]
        return [self.entries[i].id for i in order]


def _in_doc(index: BM25, term: str, doc: int) -> bool:
    return term in index.doc_terms[doc]
