"""Hybrid FAQ search at a real town's size: ``python -m bench faq [--entries 2000] [--encoder use]``.

Builds a 2,000-entry FAQ from the demo town's 140 entries (each copied under other facilities,
districts and years, so every question and answer is a distinct text the encoder must embed),
then measures: index build time cold (every text embedded) and after staff change 10 entries
(only those re-embedded, from the text-hash cache); search per query, p50/p99, wall and CPU,
query embedding included (the colloquial evaluation queries, each embedded afresh); and the RSS
of the process with the interpreter (intents by meaning), this FAQ, the garbage dictionary and
the language detector loaded. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from bench.nlu import _percentiles, _rss_mb

_VARIANTS = ["", "北山地区の", "本町地区の", "南が丘の", "東区の", "川沿いの", "中央の", "西山の", "駅前の", "新町の",
             "上野地区の", "下川の", "緑が丘の", "旭地区の", "港地区の", "桜台の"]


def synthetic_faq(entries: list[dict], size: int) -> list[dict]:
    out: list[dict] = []
    for round_no, prefix in enumerate(_VARIANTS * (size // (len(_VARIANTS) * len(entries)) + 1)):
        for e in entries:
            if len(out) >= size:
                return out
            tag = f"{prefix}（{round_no}）" if round_no else ""
            out.append({**e, "id": f"{e['id']}-{round_no}", "question": f"{tag}{e['question']}",
                        "answer": f"{tag}{e['answer']}",
                        "alternatives": [f"{tag}{a}" for a in e.get("alternatives") or []]})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench faq")
    ap.add_argument("--content", default="content/midori")
    ap.add_argument("--entries", type=int, default=2000)
    ap.add_argument("--encoder", default="use", help="use | none")
    ap.add_argument("--train-only", metavar="DIR", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    content = Path(args.content)

    import yaml

    from dialogues.services import faq_questions
    from nlu import FaqIndex, GarbageDictionary, Interpreter, Morphology, load_training_data
    from nlu.encoder import load_encoder
    from nlu.language import LanguageDetector

    figures: dict[str, object] = {"rss_start_mb": round(_rss_mb(), 1)}
    morphology = Morphology()
    data = load_training_data(content / "nlu")
    t0 = time.perf_counter()
    encoder = load_encoder(args.encoder)
    figures["encoder"] = encoder.name if encoder else "none"
    figures["encoder_load_seconds"] = round(time.perf_counter() - t0, 2)
    base = yaml.safe_load((content / "faq.yml").read_text(encoding="utf-8"))
    if args.train_only:
        Interpreter.train(data, morphology=morphology, encoder=encoder,
                          semantic_examples={"faq": faq_questions(base)}).persist(args.train_only)
        return 0
    # as the service runs with NLU_MODEL_DIR: the model trained once (in another process), loaded here
    import subprocess
    import sys
    import tempfile

    model_dir = Path(tempfile.mkdtemp(prefix="bench-faq-model-"))
    subprocess.run([sys.executable, "-m", "bench", "faq", "--content", str(content), "--encoder", args.encoder,
                    "--train-only", str(model_dir)], check=True)
    t0 = time.perf_counter()
    interpreter = Interpreter.load(model_dir, morphology=morphology, encoder=encoder)
    figures["interpreter_load_seconds"] = round(time.perf_counter() - t0, 2)
    entries = synthetic_faq(base, args.entries)
    texts = sum(1 + len(e.get("alternatives") or []) + 1 for e in entries)
    t0 = time.perf_counter()
    index = FaqIndex(entries, synonyms=data.synonyms, morphology=morphology, encoder=encoder)
    figures["index_build_cold_seconds"] = round(time.perf_counter() - t0, 2)
    figures["index_entries"], figures["index_texts"] = len(entries), texts
    changed = [{**e, "answer": e["answer"] + "（更新）"} if i % 200 == 0 else e for i, e in enumerate(entries)]
    before = encoder.embedded if encoder else 0
    t0 = time.perf_counter()
    index = FaqIndex(changed, synonyms=data.synonyms, morphology=morphology, encoder=encoder, previous=index)
    figures["index_rebuild_10_changed_seconds"] = round(time.perf_counter() - t0, 2)
    figures["index_rebuild_texts_embedded"] = (encoder.embedded - before) if encoder else 0

    garbage = GarbageDictionary.from_csv(content / "garbage" / "target.csv", synonyms=data.synonyms,
                                         morphology=morphology)
    language = LanguageDetector()
    language.detect("Where can I buy garbage bags?")
    interpreter.set_home_places(["みどり町"])
    figures["rss_loaded_mb"] = round(_rss_mb(), 1)

    queries = [json.loads(x)["text"] for x in (content / "eval" / "faq-colloquial" / "queries.jsonl")
               .read_text(encoding="utf-8").splitlines() if x]
    for q in queries[:20]:
        index.search(q)
    wall, cpu = [], []
    for q in queries:
        morphology._cache.clear()
        if encoder is not None:
            encoder._recent.clear()  # the query is embedded afresh, as a new question would be
        c0, t0 = time.thread_time(), time.perf_counter()
        index.search(q)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
    figures["search_wall"] = _percentiles(wall)
    figures["search_cpu"] = _percentiles(cpu)
    figures["load_average"] = list(os.getloadavg())
    figures["rss_end_mb"] = round(_rss_mb(), 1)
    del garbage
    print(f"{len(entries)} entries, {texts} texts, encoder {figures['encoder']}; load average {figures['load_average']}")
    print(f"index build cold {figures['index_build_cold_seconds']} s; after 10 changed entries "
          f"{figures['index_rebuild_10_changed_seconds']} s ({figures['index_rebuild_texts_embedded']} texts embedded)")
    print(f"search p50/p99 CPU {figures['search_cpu']['median_ms']}/{figures['search_cpu']['p99_ms']} ms, "
          f"wall {figures['search_wall']['median_ms']}/{figures['search_wall']['p99_ms']} ms (target p99 <= 10 ms)")
    print(f"RSS with NLU, encoder, FAQ, garbage, language detector: {figures['rss_loaded_mb']} MB (target < 600)")
    print(json.dumps(figures, ensure_ascii=False))
    return 0
