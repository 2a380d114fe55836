"""NLU figures against the issue's targets: ``python -m bench nlu [--content content/midori]``.

Measures, on the demo town's content: training time, cross-validated intent accuracy and entity
F1, parse cost per message (median / p99, Sudachi cache cleared before each message so repeated
texts are not free), process RSS with the interpreter + FAQ index + garbage dictionary loaded,
FAQ hit@k/MRR@10 beside plain TF-IDF, FAQ search cost, and garbage top-1/top-3.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import datetime
from pathlib import Path


def _rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _percentiles(samples_ms: list[float]) -> dict[str, float]:
    s = sorted(samples_ms)
    return {"median_ms": round(statistics.median(s), 4), "p99_ms": round(s[min(len(s) - 1, int(0.99 * len(s)))], 4),
            "mean_ms": round(statistics.fmean(s), 4), "n": len(s)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench nlu")
    ap.add_argument("--content", default="content/midori")
    ap.add_argument("--repeat", type=int, default=3, help="passes over the messages when timing parse")
    ap.add_argument("--skip-cv", action="store_true")
    ap.add_argument("--heldout", default="tests/nlu/fixtures/intent_heldout.yml",
                    help="intent sentences never trained on (skipped if missing)")
    ap.add_argument("--encoder", default="use", help="sentence encoder: use (the service's default) or none")
    args = ap.parse_args(argv)
    content = Path(args.content)

    import yaml

    from nlu import FaqIndex, GarbageDictionary, Interpreter, Morphology, load_training_data
    from nlu.entities.dates import TOKYO
    from nlu.evaluation import cross_validate, evaluate_garbage, evaluate_heldout, evaluate_retrieval

    figures: dict[str, object] = {"rss_start_mb": round(_rss_mb(), 1)}
    data = load_training_data(content / "nlu")
    morphology = Morphology()
    figures["rss_after_sudachi_mb"] = round(_rss_mb(), 1)

    from nlu.encoder import load_encoder

    encoder = load_encoder(args.encoder)
    figures["encoder"] = encoder.name if encoder else "none"
    figures["rss_after_encoder_mb"] = round(_rss_mb(), 1)
    from dialogues.services import faq_questions

    faq_path = content / "faq.yml"
    faq_entries = yaml.safe_load(faq_path.read_text(encoding="utf-8")) if faq_path.is_file() else []
    meaning = {"faq": faq_questions(faq_entries)}
    started = time.perf_counter()
    interpreter = Interpreter.train(data, morphology=morphology, encoder=encoder, semantic_examples=meaning)
    interpreter.set_home_places(["みどり町"])
    figures["train_seconds"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    cold = Interpreter.train(data)  # with the Sudachi dictionary load, as `python -m nlu train` does
    figures["train_seconds_cold"] = round(time.perf_counter() - started, 3)
    del cold

    if not args.skip_cv:
        cv = cross_validate(data, morphology=morphology)
        figures["cv_intent_accuracy"] = cv["intent_accuracy"]
        figures["cv_intent_accuracy_in_scope"] = cv["intent_accuracy_in_scope"]
        figures["cv_intent_accuracy_with_fallback"] = cv["intent_accuracy_with_fallback"]
        figures["cv_entity_f1"] = cv["entity_f1"]
    if args.heldout and Path(args.heldout).is_file():
        held = evaluate_heldout(data, load_training_data(args.heldout), morphology=morphology, encoder=encoder,
                                semantic_examples=meaning)
        figures["heldout"] = {k: v for k, v in held.items() if k != "errors"}

    now = datetime(2026, 11, 21, 10, 0, tzinfo=TOKYO)
    messages = [e.text for e in data.examples] + [
        "来週の土曜の午後2時から4時まで体育館を10人で借りたい", "令和8年1月5日(月)に転入します",
        "〒999-8501 0000-00-1111 に電話してください", "使い終わったスプレー缶ってどう捨てる？", "",
        "😀😀😀",
    ]
    for m in messages[:50]:
        interpreter.parse(m, now=now)  # warm-up
    samples, cpu_samples, plain_cpu = [], [], []
    for _ in range(args.repeat):
        for m in messages:
            morphology._cache.clear()
            if encoder is not None:
                encoder._recent.clear()  # every message embedded afresh when it is embedded at all
            before = encoder.embedded if encoder else 0
            c0, t0 = time.thread_time(), time.perf_counter()
            interpreter.parse(m, now=now)
            samples.append((time.perf_counter() - t0) * 1000)
            cpu_samples.append((time.thread_time() - c0) * 1000)
            if not encoder or encoder.embedded == before:
                plain_cpu.append(cpu_samples[-1])
    # wall time includes waiting for a core on a shared machine; CPU time is the cost of the parse itself
    figures["parse"] = _percentiles(samples)
    figures["parse_cpu"] = _percentiles(cpu_samples)
    # messages the lexical model is sure of (not faq/out_of_scope): never embedded, the #21 "non-FAQ" cost
    figures["parse_cpu_not_embedded"] = _percentiles(plain_cpu)
    figures["load_average"] = list(os.getloadavg())
    long_costs = {}
    for length in (1000, 10000):  # pathological sizes, reported apart from the message distribution
        text = ("来週の土曜に体育館を借りたい。" * (length // 15 + 1))[:length]
        morphology._cache.clear()
        t0 = time.perf_counter()
        interpreter.parse(text, now=now)
        long_costs[f"{length}_chars_ms"] = round((time.perf_counter() - t0) * 1000, 2)
    figures["parse_long"] = long_costs

    faq = FaqIndex(faq_entries, synonyms=data.synonyms, morphology=morphology, encoder=encoder)
    if "heldout" in figures:
        # end to end, an out-of-scope message is also handled when it reaches the FAQ and the FAQ says "none"
        oos = [e.text for e in load_training_data(args.heldout).examples if e.intent == "out_of_scope"]
        handled = 0
        for text in oos:
            intent = interpreter.parse(text, now=now)["intent"]["name"]
            handled += intent == "nlu_fallback" or (intent == "faq" and faq.search(text).outcome == "none")
        figures["heldout"]["out_of_scope_handled_with_faq_none"] = round(handled / len(oos), 4) if oos else None
    garbage_csv = content / "garbage" / "target.csv"
    garbage = None
    if garbage_csv.is_file():
        synonyms = dict(data.synonyms)
        if (content / "garbage" / "synonyms.csv").is_file():
            synonyms.update(GarbageDictionary.load_synonyms_csv(content / "garbage" / "synonyms.csv"))
        garbage = GarbageDictionary.from_csv(garbage_csv, synonyms=synonyms, morphology=morphology)
    figures["rss_loaded_mb"] = round(_rss_mb(), 1)
    off_topic = content / "eval" / "offtopic" / "offtopic.yml"
    if off_topic.is_file():
        from bench.off_topic import rejected

        texts = [e.text for e in load_training_data(off_topic).examples]
        figures["off_topic_rejected"] = round(sum(rejected(interpreter, faq, garbage, t, now) for t in texts)
                                              / len(texts), 4)
    colloquial = content / "eval" / "intents" / "colloquial.yml"
    if colloquial.is_file():
        held = evaluate_heldout(data, load_training_data(colloquial), morphology=morphology, encoder=encoder,
                                semantic_examples=meaning)
        figures["colloquial_intents"] = {k: v for k, v in held.items() if k != "errors"}

    beir = content / "eval" / "faq"
    if (beir / "corpus.jsonl").is_file():
        qrels = beir / "qrels" / "test.tsv"
        extra = {str(e["id"]): e for e in faq_entries}
        figures["faq_corpus_only"] = evaluate_retrieval(beir / "corpus.jsonl", beir / "queries.jsonl", qrels,
                                                        synonyms=data.synonyms, morphology=morphology)
        figures["faq_with_alternatives"] = evaluate_retrieval(beir / "corpus.jsonl", beir / "queries.jsonl", qrels,
                                                              synonyms=data.synonyms, morphology=morphology,
                                                              extra_fields=extra)
        queries = [json.loads(x)["text"] for x in (beir / "queries.jsonl").read_text(encoding="utf-8").splitlines() if x]
        samples = []
        for q in queries:
            morphology._cache.clear()
            t0 = time.perf_counter()
            faq.search(q)
            samples.append((time.perf_counter() - t0) * 1000)
        figures["faq_search"] = _percentiles(samples)
    variants = content / "eval" / "garbage" / "queries.tsv"
    if garbage is not None and variants.is_file():
        report = evaluate_garbage(garbage, variants)
        figures["garbage"] = {k: v for k, v in report.items() if k != "misses"}
        figures["garbage_misses"] = len(report["misses"])
    cases = content / "eval" / "emergency.yml"
    if cases.is_file():
        from nlu.emergency import EmergencyDetector, evaluate_emergency

        detector = EmergencyDetector.load(content / "nlu" / "emergency.yml")
        report = evaluate_emergency(detector, cases)
        figures["emergency"] = {k: v for k, v in report.items() if k not in ("misses", "false_alarms")}
        samples = []
        for m in messages:  # the training examples: ordinary messages, the common case
            t0 = time.perf_counter()
            detector.detect(m)
            samples.append((time.perf_counter() - t0) * 1000)
        figures["emergency_detect"] = _percentiles(samples)
    figures["rss_end_mb"] = round(_rss_mb(), 1)

    targets = [
        ("cv intent accuracy", figures.get("cv_intent_accuracy"), "(out_of_scope included)"),
        ("cv intent accuracy, in scope", figures.get("cv_intent_accuracy_in_scope"), ">= 0.95"),
        ("parse median ms (wall)", figures["parse"]["median_ms"], "<= 1"),
        ("parse p99 ms (wall)", figures["parse"]["p99_ms"], "<= 5"),
        ("parse median ms (CPU)", figures["parse_cpu"]["median_ms"], "<= 1"),
        ("parse p99 ms (CPU)", figures["parse_cpu"]["p99_ms"], "<= 5"),
        ("train seconds (cold)", figures["train_seconds_cold"], "<= 10"),
        ("parse median ms (CPU, not embedded)", figures["parse_cpu_not_embedded"]["median_ms"], "<= 0.2-0.4 (was)"),
        ("RSS with NLU loaded MB", figures["rss_loaded_mb"], "< 600 with the encoder"),
        ("off-topic rejected", figures.get("off_topic_rejected"), ">= 0.90"),
        ("garbage top-1", (figures.get("garbage") or {}).get("top1"), ">= 0.98"),
        ("emergency recall", (figures.get("emergency") or {}).get("recall"), "1.0 on the set"),
        ("emergency false alarms", (figures.get("emergency") or {}).get("false_alarm_rate"), "0.0 on the set"),
        ("emergency check median ms", (figures.get("emergency_detect") or {}).get("median_ms"), "(per message)"),
    ]
    print(f"load average {figures['load_average']} on {os.cpu_count()} cores (wall times suffer when it is high)")
    for name, value, target in targets:
        print(f"{name:<36} {value!s:<10} target {target}")
    for key in ("faq_corpus_only", "faq_with_alternatives"):
        if key in figures:
            r = figures[key]
            b = r["baseline_tfidf"]
            print(f"{key:<26} hit@1 {r['hit@1']:.3f} hit@3 {r['hit@3']:.3f} hit@5 {r['hit@5']:.3f} "
                  f"mrr@10 {r['mrr@10']:.3f} | tf-idf {b['hit@1']:.3f} {b['hit@3']:.3f} {b['hit@5']:.3f} {b['mrr@10']:.3f}")
    if "heldout" in figures:
        h = figures["heldout"]
        print(f"{'held-out intent accuracy':<26} {h['intent_accuracy']!s:<10} ({h['examples']} sentences never trained on; "
              f"with fallback {h['intent_accuracy_with_fallback']}, out-of-scope fallback rate "
              f"{h['out_of_scope_fallback_rate']}, or FAQ 'none' {h.get('out_of_scope_handled_with_faq_none')})")
    print(json.dumps(figures, ensure_ascii=False))
    return 0
