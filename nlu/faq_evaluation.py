"""FAQ evaluation side by side: lexical vs dense vs hybrid (and RRF) on several BEIR sets in one run,
with what the confident / ambiguous / none decision does on each (``python -m nlu eval-faq --set``).

A set is a directory in the BEIR layout (``corpus.jsonl``, ``queries.jsonl``, ``qrels/test.tsv``);
queries may carry ``metadata.lang`` (the translated subset), reported per language as well.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .encoder import EmbeddingCache
from .evaluation import load_beir, retrieval_metrics
from .faq_retrieval import FaqIndex
from .normalize import Morphology

__all__ = ["MODES", "build_index", "evaluate_outcomes", "evaluate_sets", "format_table"]

MODES = ("lexical", "dense", "hybrid", "rrf")


def build_index(corpus: Sequence[Mapping[str, Any]], *, extra_fields: Mapping[str, Mapping] | None = None,
                synonyms: Mapping[str, str] | None = None, morphology: Morphology | None = None,
                encoder: EmbeddingCache | None = None) -> FaqIndex:
    """An index over a BEIR corpus; ``extra_fields`` (id → FAQ dict) adds alternatives, keywords and
    translations a BEIR corpus cannot carry."""
    entries = []
    for d in corpus:
        extra = (extra_fields or {}).get(str(d["_id"]), {})
        entries.append({**extra, "id": str(d["_id"]), "question": d.get("title", ""), "answer": d.get("text", "")})
    return FaqIndex(entries, synonyms=synonyms, morphology=morphology, encoder=encoder)


def evaluate_outcomes(index: FaqIndex, queries: Iterable[tuple[str, str]], qrels: Mapping[str, set[str]]
                      ) -> dict[str, Any]:
    """How often each outcome is chosen for answerable questions, and how often a confident answer
    is wrong (the ≤ 5 % target) or a question with an answer gets ``none``."""
    n = confident = wrong = ambiguous = ambiguous_hit = none = 0
    for qid, text in queries:
        if qid not in qrels:
            continue
        n += 1
        result = index.search(text, k=4)
        ids = [h.entry_id for h in result.hits]
        if result.outcome == "confident":
            confident += 1
            wrong += ids[0] not in qrels[qid]
        elif result.outcome == "ambiguous":
            ambiguous += 1
            ambiguous_hit += bool(set(ids) & qrels[qid])
        else:
            none += 1
    d = n or 1
    return {"queries": n, "confident": round(confident / d, 4),
            "confident_wrong": round(wrong / (confident or 1), 4),
            "ambiguous": round(ambiguous / d, 4), "ambiguous_with_answer": round(ambiguous_hit / (ambiguous or 1), 4),
            "none": round(none / d, 4)}


def evaluate_off_topic(index: FaqIndex, messages: Iterable[str]) -> dict[str, Any]:
    """Off-topic messages: the share the FAQ would answer (wrongly) and the share it calls ``none``."""
    outcomes = [index.search(t, k=4).outcome for t in messages]
    d = len(outcomes) or 1
    return {"messages": len(outcomes), "confident": round(outcomes.count("confident") / d, 4),
            "ambiguous": round(outcomes.count("ambiguous") / d, 4), "none": round(outcomes.count("none") / d, 4)}


def evaluate_sets(sets: Sequence[str | Path], *, extra_fields: Mapping[str, Mapping] | None = None,
                  synonyms: Mapping[str, str] | None = None, morphology: Morphology | None = None,
                  encoder: EmbeddingCache | None = None) -> dict[str, Any]:
    """Per set: metrics for each mode (dense/hybrid/rrf only with an encoder), outcome rates of the
    index as configured, and per-language hit@1 when queries carry ``metadata.lang``."""
    morphology = morphology or Morphology()
    report: dict[str, Any] = {}
    indexes: dict[tuple[str, ...], FaqIndex] = {}
    for s in sets:
        d = Path(s)
        corpus, queries, qrels = load_beir(d / "corpus.jsonl", d / "queries.jsonl", d / "qrels" / "test.tsv")
        key = tuple(str(c["_id"]) + str(c.get("title")) for c in corpus)
        if key not in indexes:
            indexes[key] = build_index(corpus, extra_fields=extra_fields, synonyms=synonyms,
                                       morphology=morphology, encoder=encoder)
        index = indexes[key]
        modes = MODES if index.dense is not None else ("lexical",)
        rankings = {m: {str(q["_id"]): index.rank(q["text"], 10, mode=m) for q in queries} for m in modes}
        entry: dict[str, Any] = {m: retrieval_metrics(r, qrels) for m, r in rankings.items()}
        entry["outcomes"] = evaluate_outcomes(index, ((str(q["_id"]), q["text"]) for q in queries), qrels)
        by_lang: dict[str, list[str]] = defaultdict(list)
        for q in queries:
            lang = (q.get("metadata") or {}).get("lang")
            if lang:
                by_lang[lang].append(str(q["_id"]))
        if by_lang:
            best = "hybrid" if "hybrid" in rankings else "lexical"
            entry["hit@1_by_language"] = {
                lang: retrieval_metrics({q: rankings[best][q] for q in ids}, qrels)["hit@1"]
                for lang, ids in sorted(by_lang.items())}
        report[d.name] = entry
    return report


def format_table(report: Mapping[str, Any]) -> str:
    cols = ("hit@1", "hit@3", "hit@5", "mrr@10", "recall@10")
    lines = [f"{'set':<18} {'mode':<8} " + " ".join(f"{c:>9}" for c in cols)]
    for name, entry in report.items():
        for mode in MODES:
            if mode in entry:
                lines.append(f"{name:<18} {mode:<8} " + " ".join(f"{entry[mode][c]:>9.3f}" for c in cols))
        o = entry["outcomes"]
        lines.append(f"{'':<18} outcome: confident {o['confident']:.3f} (wrong {o['confident_wrong']:.3f}), "
                     f"ambiguous {o['ambiguous']:.3f}, none {o['none']:.3f}")
        if "hit@1_by_language" in entry:
            lines.append(f"{'':<18} hit@1 by language: "
                         + ", ".join(f"{k} {v:.3f}" for k, v in entry["hit@1_by_language"].items()))
    return "\n".join(lines)
