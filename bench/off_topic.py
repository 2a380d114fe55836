"""Off-topic messages end to end, as ``dialogues.handler`` treats a message outside any flow
(``python -m bench off_topic`` runs it on content/midori/eval/offtopic/offtopic.yml).

Rejected means the citizen got the polite refusal or the FAQ's "no answer": not a flow started on
a wrong intent, not an FAQ answer or FAQ candidates, not a garbage item. Small-talk intents
(greet, thanks, help, affirm, deny) count as not rejected, however harmless their answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

FLOW_INTENTS = {"garbage_lookup", "report_damage", "facility_search", "booking_make", "booking_manage",
                "procedure_nav", "delivery_settings"}


def rejected(interpreter: Any, faq: Any, garbage: Any, text: str, now: datetime) -> bool:
    parsed = interpreter.parse(text, now=now)
    name, confidence = parsed["intent"]["name"], float(parsed["intent"]["confidence"])
    oos = next((float(r["confidence"]) for r in parsed["intent_ranking"] if r["name"] == "out_of_scope"), 0.0)
    if name in {"greet", "thanks"} and confidence >= 0.7 and len(text) <= 20:
        return False
    if (name == "help" and confidence >= 0.7) or (name in {"affirm", "deny"} and confidence >= 0.8 and len(text) <= 10):
        return False
    result = faq.search(text)
    if name == "out_of_scope":
        if confidence >= 1.0 or result.outcome == "none" or (confidence >= 0.5 and result.outcome == "ambiguous"):
            return True
    if name in FLOW_INTENTS and confidence >= 0.5:
        return False
    if result.outcome == "confident":
        return False
    if garbage is not None:
        lookup = garbage.lookup(text)
        if lookup.outcome != "none" and lookup.best is not None and len(lookup.best.matched) * 2 >= len(text):
            return False
    return result.outcome == "none" or oos >= 0.35


def main(argv: list[str] | None = None) -> int:
    import argparse
    from pathlib import Path

    import yaml

    from dialogues.services import faq_questions
    from nlu import FaqIndex, GarbageDictionary, Interpreter, Morphology, load_training_data
    from nlu.encoder import load_encoder
    from nlu.entities.dates import TOKYO

    ap = argparse.ArgumentParser(prog="python -m bench off_topic")
    ap.add_argument("--content", default="content/midori")
    ap.add_argument("--encoder", default="use")
    ap.add_argument("--misses", action="store_true")
    args = ap.parse_args(argv)
    content = Path(args.content)
    morphology, encoder = Morphology(), load_encoder(args.encoder)
    data = load_training_data(content / "nlu")
    entries = yaml.safe_load((content / "faq.yml").read_text(encoding="utf-8"))
    interpreter = Interpreter.train(data, morphology=morphology, encoder=encoder,
                                    semantic_examples={"faq": faq_questions(entries)})
    interpreter.set_home_places(["みどり町"])
    faq = FaqIndex(entries, synonyms=data.synonyms, morphology=morphology, encoder=encoder)
    garbage = GarbageDictionary.from_csv(content / "garbage" / "target.csv", synonyms=data.synonyms,
                                         morphology=morphology)
    now = datetime(2026, 11, 21, 10, 0, tzinfo=TOKYO)
    texts = [e.text for e in load_training_data(content / "eval" / "offtopic" / "offtopic.yml").examples]
    misses = [t for t in texts if not rejected(interpreter, faq, garbage, t, now)]
    print(f"off-topic messages: {len(texts)}  rejected: {1 - len(misses) / len(texts):.4f} (encoder {args.encoder})")
    for t in misses if args.misses else ():
        print("  not rejected:", t, interpreter.parse(t, now=now)["intent"])
    return 0
