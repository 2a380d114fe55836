"""``python -m nlu …``: the commands staff use to train and to check accuracy before publishing."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from .entities.dates import TOKYO

DEFAULT_DATA = "content/midori/nlu"
DEFAULT_MODEL = "nlu_model"


def _say(message: str) -> None:
    print(f"[nlu] {message}", file=sys.stderr, flush=True)


def _now(value: str | None) -> datetime:
    if not value:
        return datetime.now(TOKYO)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=TOKYO)


def _interpreter(args: argparse.Namespace) -> Any:
    from .interpreter import Interpreter

    model = Path(args.model)
    if (model / "metadata.json").is_file():
        return Interpreter.load(model)
    _say(f"no model in {model}; training in memory from {args.data}")
    return Interpreter.train(args.data)


def cmd_train(args: argparse.Namespace) -> int:
    import yaml

    from .encoder import load_encoder
    from .interpreter import Interpreter

    faq = Path(args.faq) if args.faq else None
    questions = [str(q) for e in (yaml.safe_load(faq.read_text(encoding="utf-8")) or [])
                 for q in [e.get("question"), *(e.get("alternatives") or ())] if q] if faq and faq.is_file() else []
    interpreter = Interpreter.train(args.data, threshold=args.threshold, progress=_say,
                                    encoder=load_encoder(args.encoder), semantic_examples={"faq": questions})
    out = interpreter.persist(args.out)
    _say(f"model written to {out}")
    return 0


def cmd_parse(args: argparse.Namespace) -> int:
    interpreter = _interpreter(args)
    now = _now(args.now)
    if args.text is not None:
        print(json.dumps(interpreter.parse(args.text, now=now), ensure_ascii=False, indent=None if args.compact else 2))
        return 0
    for line in sys.stdin:
        text = line.rstrip("\n")
        print(json.dumps(interpreter.parse(text, now=now), ensure_ascii=False), flush=True)
    return 0


def _table(rows: list[list[str]]) -> str:
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths, strict=True)) for r in rows)


def _width(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluation import cross_validate
    from .training_data import load_training_data

    if args.heldout:
        from .evaluation import evaluate_heldout

        held = evaluate_heldout(load_training_data(args.data), load_training_data(args.heldout), threshold=args.threshold)
        if args.json:
            print(json.dumps(held, ensure_ascii=False))
            return 0
        print(f"held-out examples: {held['examples']}  intent accuracy: {held['intent_accuracy']:.4f}  "
              f"(with fallback at {args.threshold}: {held['intent_accuracy_with_fallback']:.4f})")
        if held["out_of_scope"]:
            print(f"out of scope: {held['out_of_scope']}  fallback rate: {held['out_of_scope_fallback_rate']:.4f}")
        if args.errors:
            print("\nmisclassified:")
            for e in held["errors"]:
                print(f"  {e['gold']:>18} → {e['predicted']:<18} {e['confidence']:.2f}  {e['text']}")
        return 0
    report = cross_validate(load_training_data(args.data), folds=args.folds, threshold=args.threshold, progress=_say)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    print(f"examples: {report['examples']}  folds: {report['folds']}")
    print(f"intent accuracy: {report['intent_accuracy']:.4f}  "
          f"(with fallback at {args.threshold}: {report['intent_accuracy_with_fallback']:.4f}, "
          f"fallback rate {report['fallback_rate']:.4f})")
    print(f"entity F1: {report['entity_f1']:.4f}  {report['entity_micro']}\n")
    rows = [["intent", "precision", "recall", "f1", "support"]]
    for name, m in report["per_intent"].items():
        rows.append([name, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"])])
    print(_table(rows) + "\n")
    labels = list(report["confusion"])
    short = {lab: lab if len(lab) <= 8 else f"{lab[:4]}…{lab[-3:]}" for lab in labels}
    rows = [["gold \\ predicted", *[short[lab] for lab in labels]]]
    for g in labels:
        rows.append([g, *[str(report["confusion"][g][p]) if report["confusion"][g][p] else "." for p in labels]])
    print(_table(rows) + "\n")
    rows = [["entity", "precision", "recall", "f1", "support"]]
    for name, m in report["per_entity"].items():
        rows.append([name, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"])])
    print(_table(rows))
    if args.errors:
        print("\nmisclassified:")
        for e in report["errors"]:
            print(f"  {e['gold']:>18} → {e['predicted']:<18} {e['text']}")
    return 0


def _synonyms(path: str | None) -> dict[str, str]:
    if not path or not Path(path).exists():
        return {}
    from .training_data import load_training_data

    return load_training_data(path).synonyms


def cmd_eval_faq(args: argparse.Namespace) -> int:
    import yaml

    from .evaluation import evaluate_retrieval

    extra = None
    if args.faq:
        extra = {str(e["id"]): e for e in yaml.safe_load(Path(args.faq).read_text(encoding="utf-8")) or []}
    if args.set:
        from .encoder import load_encoder
        from .faq_evaluation import evaluate_sets, format_table

        sets = evaluate_sets(args.set, extra_fields=extra, synonyms=_synonyms(args.synonyms),
                             encoder=load_encoder(args.encoder))
        print(json.dumps(sets, ensure_ascii=False) if args.json else format_table(sets))
        return 0
    if not (args.corpus and args.queries and args.qrels):
        raise ValueError("give --set DIR (repeatable) or all of --corpus, --queries and --qrels")
    report = evaluate_retrieval(args.corpus, args.queries, args.qrels, synonyms=_synonyms(args.synonyms),
                                extra_fields=extra)
    print(json.dumps(report, ensure_ascii=False))
    return 0


def cmd_eval_garbage(args: argparse.Namespace) -> int:
    from .evaluation import evaluate_garbage
    from .garbage_lookup import GarbageDictionary

    synonyms = _synonyms(args.synonyms)
    beside = Path(args.dictionary).with_name("synonyms.csv")
    for path in [*args.synonyms_csv, *([beside] if beside.is_file() and not args.synonyms_csv else [])]:
        synonyms.update(GarbageDictionary.load_synonyms_csv(path))
    dictionary = GarbageDictionary.from_csv(args.dictionary, synonyms=synonyms)
    from .garbage_evaluation import evaluate_wrong_category, variants

    if args.variants:
        pairs = variants(dictionary)
        report = {k: v for k, v in evaluate_garbage(dictionary, pairs).items()}
    elif args.queries:
        report = evaluate_garbage(dictionary, args.queries)
        pairs = [(m["query"], m["expected"]) for m in _tsv(args.queries)]
    else:
        raise ValueError("give --queries FILE or --variants")
    wrong = evaluate_wrong_category(dictionary, pairs)
    report["wrong_category"] = {k: v for k, v in wrong.items() if k != "wrong" or args.misses}
    if not args.misses:
        report.pop("misses")
        report.pop("wrong", None)
    print(json.dumps(report, ensure_ascii=False))
    return 0


def cmd_eval_emergency(args: argparse.Namespace) -> int:
    from .emergency import EmergencyDetector, evaluate_emergency

    report = evaluate_emergency(EmergencyDetector.load(*args.words), args.cases)
    failed = bool(report["misses"] or report["false_alarms"])
    if not args.errors:
        report.pop("misses")
        report.pop("false_alarms")
    print(json.dumps(report, ensure_ascii=False))
    return 1 if failed and not args.no_fail else 0


def _tsv(path: str) -> list[dict[str, str]]:
    import csv

    with open(path, encoding="utf-8") as fh:
        return [{"query": r["query"], "expected": r["expected"]} for r in csv.DictReader(fh, delimiter="\t")]


def cmd_export_rasa(args: argparse.Namespace) -> int:
    from .rasa_export import export_rasa_project
    from .training_data import load_training_data

    for path in export_rasa_project(load_training_data(args.data), args.directory, threshold=args.threshold):
        _say(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m nlu", description="Madoguchi Japanese NLU tools")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a model directory from Rasa YAML")
    t.add_argument("--data", default=DEFAULT_DATA)
    t.add_argument("--out", default=DEFAULT_MODEL)
    t.add_argument("--threshold", type=float, default=0.4)
    t.add_argument("--encoder", default="use", help="use (intents by meaning too, as the service) or none")
    t.add_argument("--faq", default="content/midori/faq.yml", help="FAQ whose questions teach the meaning model 'faq'")
    t.set_defaults(func=cmd_train)

    pa = sub.add_parser("parse", help="parse TEXT, or one message per stdin line (JSON lines out)")
    pa.add_argument("text", nargs="?")
    pa.add_argument("--model", default=DEFAULT_MODEL)
    pa.add_argument("--data", default=DEFAULT_DATA, help="used when --model holds no model")
    pa.add_argument("--now", help="ISO date-time for relative dates (default: now in Asia/Tokyo)")
    pa.add_argument("--compact", action="store_true")
    pa.set_defaults(func=cmd_parse)

    e = sub.add_parser("evaluate", help="cross-validated intent and entity accuracy")
    e.add_argument("--data", default=DEFAULT_DATA)
    e.add_argument("--folds", type=int, default=5)
    e.add_argument("--threshold", type=float, default=0.4)
    e.add_argument("--json", action="store_true")
    e.add_argument("--errors", action="store_true", help="list misclassified examples")
    e.add_argument("--heldout", help="Rasa YAML never trained on: train on --data, score this instead of k folds "
                                     "(intent out_of_scope = should fall back)")
    e.set_defaults(func=cmd_evaluate)

    f = sub.add_parser("eval-faq", help="hit@1/3/5 and MRR@10 on BEIR files, beside plain TF-IDF; with --set, "
                                         "lexical vs dense vs hybrid side by side on each set")
    f.add_argument("--set", action="append", default=[],
                   help="a BEIR directory (corpus.jsonl, queries.jsonl, qrels/test.tsv); repeat for several")
    f.add_argument("--encoder", default="use", help="sentence encoder for --set: use (default) or none")
    f.add_argument("--json", action="store_true", help="with --set: one JSON object instead of the table")
    f.add_argument("--corpus")
    f.add_argument("--queries")
    f.add_argument("--qrels")
    f.add_argument("--faq", help="FAQ YAML whose alternatives/keywords enrich the corpus entries by id")
    f.add_argument("--synonyms", default=DEFAULT_DATA, help="Rasa YAML whose synonyms to use")
    f.add_argument("--baseline", action="store_true", help="(the TF-IDF baseline is always reported)")
    f.set_defaults(func=cmd_eval_faq)

    g = sub.add_parser("eval-garbage", help="top-1/top-3 and wrong-category rate of garbage lookup")
    g.add_argument("--dictionary", required=True)
    g.add_argument("--queries", help="query<TAB>expected TSV")
    g.add_argument("--variants", action="store_true",
                   help="instead of --queries, make queries from the dictionary's own items (any town's 5374 data)")
    g.add_argument("--synonyms", default=DEFAULT_DATA)
    g.add_argument("--synonyms-csv", action="append", default=[],
                   help="word,name CSV (default: synonyms.csv beside the dictionary, if any)")
    g.add_argument("--misses", action="store_true", help="include the misses in the JSON")
    g.set_defaults(func=cmd_eval_garbage)

    em = sub.add_parser("eval-emergency", help="recall and false alarms of the 119/110 detector on a labelled set")
    em.add_argument("--cases", default="content/midori/eval/emergency.yml")
    em.add_argument("--words", action="append", default=["content/midori/nlu/emergency.yml"],
                    help="a town's emergency.yml added to the built-in words (repeatable)")
    em.add_argument("--errors", action="store_true", help="list misses and false alarms")
    em.add_argument("--no-fail", action="store_true", help="exit 0 even with misses or false alarms")
    em.set_defaults(func=cmd_eval_emergency)

    x = sub.add_parser("export-rasa", help="write a Rasa 3.x project from our data")
    x.add_argument("directory")
    x.add_argument("--data", default=DEFAULT_DATA)
    x.add_argument("--threshold", type=float, default=0.4)
    x.set_defaults(func=cmd_export_rasa)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (FileNotFoundError, ValueError) as exc:
        print(f"python -m nlu {args.command}: {exc}", file=sys.stderr)
        return 2
