"""Accuracy checks staff run before publishing (酒田市 spec 5-6(2) 精度検証).

* :func:`cross_validate` — k-fold intent accuracy, per-intent precision/recall/F1, confusion
  table, and entity precision/recall/F1 (exact span, entity and role) on Rasa YAML data;
* :func:`evaluate_retrieval` — hit@k and MRR@10 on BEIR-format files, ours beside plain TF-IDF;
* :func:`evaluate_garbage` — top-1/top-3 on a ``query<TAB>expected`` variant set.
"""

from __future__ import annotations

import csv
import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from .entities import EntityExtractor
from .entities.dates import TOKYO
from .intent_classifier import FALLBACK_INTENT, IntentClassifier
from .normalize import Morphology, fold_kana
from .training_data import Example, TrainingData

__all__ = ["cross_validate", "evaluate_garbage", "evaluate_heldout", "evaluate_retrieval", "load_beir", "prf_table",
           "retrieval_metrics"]

OUT_OF_SCOPE = "out_of_scope"

_EVAL_NOW = datetime(2026, 1, 1, 9, 0, tzinfo=TOKYO)


def _folds(examples: Sequence[Example], k: int, seed: int) -> list[list[int]]:
    """Stratified folds: each intent's examples dealt round-robin after a seeded shuffle."""
    by_intent: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(examples):
        by_intent[e.intent].append(i)
    rng = random.Random(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    offset = 0
    for intent in sorted(by_intent):
        idx = by_intent[intent]
        rng.shuffle(idx)
        for j, i in enumerate(idx):
            folds[(j + offset) % k].append(i)
        offset += len(idx)
    return folds


def prf_table(gold: Sequence[str], pred: Sequence[str]) -> dict[str, dict[str, float]]:
    labels = sorted(set(gold) | set(pred))
    out = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if p == label and g != label)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == label and p != label)
        out[label] = _prf(tp, fp, fn) | {"support": sum(1 for g in gold if g == label)}
    return out


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def cross_validate(data: TrainingData, *, folds: int = 5, seed: int = 0, threshold: float = 0.4,
                   morphology: Morphology | None = None, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    morphology = morphology or Morphology()
    examples = [e for e in data.examples if e.text.strip()]
    gold, pred, pred_fb = [], [], []
    ent_counts: dict[str, Counter[str]] = defaultdict(Counter)
    for k, test_idx in enumerate(_folds(examples, folds, seed)):
        if progress:
            progress(f"fold {k + 1}/{folds}")
        test_set = set(test_idx)
        train = data.subset(e for i, e in enumerate(examples) if i not in test_set)
        clf = IntentClassifier.train(train, morphology, threshold=threshold)
        ext = EntityExtractor.train(train, morphology)
        for i in test_idx:
            ex = examples[i]
            ranking = clf.ranking(ex.text)
            gold.append(ex.intent)
            pred.append(ranking[0][0])
            pred_fb.append(ranking[0][0] if ranking[0][1] >= threshold else FALLBACK_INTENT)
            found = {(e["entity"], e["start"], e["end"], e["role"]) for e in ext.process(ex.text, _EVAL_NOW)}
            wanted = {(a.entity, a.start, a.end, a.role) for a in ex.entities}
            for ent in {x[0] for x in found | wanted}:
                f = {x for x in found if x[0] == ent}
                w = {x for x in wanted if x[0] == ent}
                ent_counts[ent]["tp"] += len(f & w)
                ent_counts[ent]["fp"] += len(f - w)
                ent_counts[ent]["fn"] += len(w - f)
    labels = sorted(set(gold) | set(pred_fb))
    confusion = {g: {p: 0 for p in labels} for g in labels}
    for g, p in zip(gold, pred_fb, strict=True):
        confusion[g][p] += 1
    annotated = {a.entity for e in examples for a in e.entities}
    per_entity = {ent: _prf(c["tp"], c["fp"], c["fn"]) | {"support": c["tp"] + c["fn"]}
                  for ent, c in sorted(ent_counts.items())}
    tot: Counter[str] = Counter()
    for ent, c in ent_counts.items():
        if ent in annotated:  # entities our rules find but the data never annotates are reported, not scored
            tot.update(c)
    return {
        "examples": len(examples),
        "folds": folds,
        "intent_accuracy": round(sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold), 4),
        # the intents the town answers, without out_of_scope (diverse small talk, recalled worst)
        "intent_accuracy_in_scope": round(sum(g == p for g, p in zip(gold, pred, strict=True) if g != OUT_OF_SCOPE)
                                          / (sum(g != OUT_OF_SCOPE for g in gold) or 1), 4),
        "intent_accuracy_with_fallback": round(sum(g == p for g, p in zip(gold, pred_fb, strict=True)) / len(gold), 4),
        "fallback_rate": round(sum(p == FALLBACK_INTENT for p in pred_fb) / len(gold), 4),
        "per_intent": prf_table(gold, pred),
        "confusion": confusion,
        "entity_f1": _prf(tot["tp"], tot["fp"], tot["fn"])["f1"],
        "entity_micro": _prf(tot["tp"], tot["fp"], tot["fn"]),
        "per_entity": per_entity,
        "errors": [{"text": examples_text, "gold": g, "predicted": p}
                   for examples_text, g, p in zip((examples[i].text for f in _folds(examples, folds, seed) for i in f),
                                                  gold, pred, strict=True) if g != p],
    }


def evaluate_heldout(data: TrainingData, heldout: TrainingData, *, threshold: float = 0.4,
                     morphology: Morphology | None = None, encoder: Any = None,
                     semantic_examples: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Train on all of ``data``, score ``heldout`` (sentences never in the training data).

    Cross-validation over paraphrase families can flatter a model; a set written apart from the
    training data shows whether new phrasings are understood. Examples labelled ``out_of_scope``
    should fall back (``nlu_fallback``) or, when the data has that intent, be ``out_of_scope``; the
    others should get their intent above the threshold. With ``encoder`` (an ``EmbeddingCache``)
    intents are decided by the interpreter's lexical + semantic mix, as in the service.
    """
    from .interpreter import Interpreter

    morphology = morphology or Morphology()
    interpreter = Interpreter.train(data, threshold=threshold, morphology=morphology, encoder=encoder,
                                    semantic_examples=semantic_examples)
    gold, pred, errors = [], [], []
    oos_total = oos_fallback = 0
    for ex in heldout.examples:
        top = next(r for r in interpreter.classify(ex.text)["intent_ranking"] if r["name"] != FALLBACK_INTENT)
        name, confidence = top["name"], top["confidence"]
        if ex.intent == OUT_OF_SCOPE:
            oos_total += 1
            if name == OUT_OF_SCOPE:  # recognised as out of scope: handled like a fallback
                oos_fallback += 1
                continue
            oos_fallback += confidence < threshold
            if confidence >= threshold:
                errors.append({"text": ex.text, "gold": OUT_OF_SCOPE, "predicted": name, "confidence": round(confidence, 3)})
            continue
        gold.append(ex.intent)
        pred.append(name if confidence >= threshold else FALLBACK_INTENT)
        if name != ex.intent:
            errors.append({"text": ex.text, "gold": ex.intent, "predicted": name, "confidence": round(confidence, 3)})
    n = len(gold) or 1
    return {
        "examples": len(gold),
        "intent_accuracy": round(1 - sum(e["gold"] != OUT_OF_SCOPE for e in errors) / n, 4),
        "intent_accuracy_with_fallback": round(sum(g == p for g, p in zip(gold, pred, strict=True)) / n, 4),
        "out_of_scope": oos_total,
        "out_of_scope_fallback_rate": round(oos_fallback / oos_total, 4) if oos_total else None,
        "errors": errors,
    }


# -- retrieval (BEIR) ---------------------------------------------------------------------------
def load_beir(corpus: str | Path, queries: str | Path, qrels: str | Path) -> tuple[list[dict], list[dict], dict[str, set[str]]]:
    docs = [json.loads(line) for line in Path(corpus).read_text(encoding="utf-8").splitlines() if line.strip()]
    qs = [json.loads(line) for line in Path(queries).read_text(encoding="utf-8").splitlines() if line.strip()]
    rel: dict[str, set[str]] = defaultdict(set)
    with open(qrels, encoding="utf-8") as fh:
        for i, row in enumerate(csv.reader(fh, delimiter="\t")):
            if not row or (i == 0 and not row[-1].strip().lstrip("-").isdigit()):
                continue  # header
            if len(row) >= 3 and int(row[2]) > 0:
                rel[row[0]].add(row[1])
    return docs, qs, dict(rel)


def retrieval_metrics(rankings: dict[str, list[str]], qrels: dict[str, set[str]]) -> dict[str, float]:
    qids = [q for q in rankings if q in qrels]
    if not qids:
        return {"queries": 0, "hit@1": 0.0, "hit@3": 0.0, "hit@5": 0.0, "mrr@10": 0.0, "recall@10": 0.0}
    out: dict[str, float] = {"queries": len(qids)}
    for k in (1, 3, 5):
        out[f"hit@{k}"] = round(sum(bool(set(rankings[q][:k]) & qrels[q]) for q in qids) / len(qids), 4)
    mrr = 0.0
    for q in qids:
        for rank, doc in enumerate(rankings[q][:10], 1):
            if doc in qrels[q]:
                mrr += 1 / rank
                break
    out["mrr@10"] = round(mrr / len(qids), 4)
    out["recall@10"] = round(sum(len(set(rankings[q][:10]) & qrels[q]) / len(qrels[q]) for q in qids) / len(qids), 4)
    return out


class TfidfBaseline:
    """Plain TF-IDF: Sudachi surface tokens of title+text, cosine similarity. The yardstick."""

    def __init__(self, docs: Sequence[dict], morphology: Morphology) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.morphology = morphology
        self.ids = [str(d["_id"]) for d in docs]
        self.vectorizer = TfidfVectorizer(analyzer=self._tokens)
        self.matrix = self.vectorizer.fit_transform([f"{d.get('title', '')} {d.get('text', '')}" for d in docs])

    def _tokens(self, text: str) -> list[str]:
        return [t.surface for t in self.morphology.tokenize(text) if t.pos not in ("補助記号", "空白")]

    def rank(self, query: str, k: int = 10) -> list[str]:
        scores = (self.matrix @ self.vectorizer.transform([query]).T).toarray().ravel()
        order = scores.argsort()[::-1][:k]
        return [self.ids[i] for i in order if scores[i] > 0]


def evaluate_retrieval(corpus: str | Path, queries: str | Path, qrels: str | Path, *,
                       synonyms: dict[str, str] | None = None, morphology: Morphology | None = None,
                       extra_fields: dict[str, dict] | None = None) -> dict[str, Any]:
    """Ours and the TF-IDF baseline on the same BEIR files. ``extra_fields`` (id → FAQ dict) lets the
    index use alternatives/keywords a BEIR corpus cannot carry."""
    from .faq_retrieval import FaqIndex

    morphology = morphology or Morphology()
    docs, qs, rel = load_beir(corpus, queries, qrels)
    entries = []
    for d in docs:
        extra = (extra_fields or {}).get(str(d["_id"]), {})
        entries.append({**extra, "id": str(d["_id"]), "question": d.get("title", ""), "answer": d.get("text", "")})
    index = FaqIndex(entries, synonyms=synonyms, morphology=morphology)
    baseline = TfidfBaseline(docs, morphology)
    ours = {str(q["_id"]): index.rank(q["text"], 10) for q in qs}
    base = {str(q["_id"]): baseline.rank(q["text"], 10) for q in qs}
    return {**retrieval_metrics(ours, rel), "baseline_tfidf": retrieval_metrics(base, rel)}


# -- garbage ------------------------------------------------------------------------------------
def evaluate_garbage(dictionary: Any, queries: str | Path | Iterable[tuple[str, str]]) -> dict[str, Any]:
    """``dictionary``: a GarbageDictionary; ``queries``: TSV path with header ``query<TAB>expected``.

    ``expected`` ``-`` marks a query that names no item (「本町」, 「指定ごみ袋」): any item found for it
    is a wrong answer (a wrong category is worse than asking); ``refused`` is the share of those
    answered with nothing, ``wrong`` lists the others. ``top1``/``top3`` count the item queries only."""
    if isinstance(queries, str | Path):
        with open(queries, encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        pairs = [(r["query"], r["expected"]) for r in rows if r.get("query") is not None]
    else:
        pairs = list(queries)
    top1 = top3 = refused = 0
    misses, wrong = [], []
    items = [(q, e) for q, e in pairs if e.strip() != "-"]
    for query, expected in items:
        result = dictionary.lookup(query)
        names = ([result.best] if result.best else []) + list(result.alternatives)
        want = fold_kana(expected)
        ok = [want in (fold_kana(m.item.name), fold_kana(m.item.base_name)) for m in names]
        if ok[:1] == [True]:
            top1 += 1
        else:
            misses.append({"query": query, "expected": expected, "got": result.best.item.name if result.best else None})
        if any(ok[:3]):
            top3 += 1
    nothing = [q for q, e in pairs if e.strip() == "-"]
    for query in nothing:
        result = dictionary.lookup(query)
        if result.best is None:
            refused += 1
        else:
            wrong.append({"query": query, "got": result.best.item.name})
    n = len(items) or 1
    report: dict[str, Any] = {"queries": len(items), "top1": round(top1 / n, 4), "top3": round(top3 / n, 4),
                              "misses": misses}
    if nothing:
        report.update(not_items=len(nothing), refused=round(refused / len(nothing), 4), wrong=wrong)
    return report
