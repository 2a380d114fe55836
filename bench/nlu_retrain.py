"""NLU retrain benchmark (issue #16): how long "再学習" takes from the console, and how long every
process then needs to load the accepted model.

On a migrated SQLite database in a temporary directory, the demo town's Rasa YAML is seeded (a fifth of
each intent held back), then ``Trainer.retrain`` runs as the staff API runs it — a candidate trained on
the examples not held back, in a worker thread, scored beside the model in use on the held-back ones:

1. the first retrain (the files' model is recreated without the held-back examples: two trainings);
2. ``--rounds`` more retrains against the stored model (one training, the stored model unzipped);
3. the load of the accepted model (what each other process does when the ``nlu`` version moves).

Run it niced: ``nice python -m bench nlu_retrain``.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from bot.migrate import upgrade_async
    from bot.nlu_training import Trainer, seed
    from civic.clock import SystemClock
    from civic.crypto import FieldCipher, parse_key
    from civic.database import Database
    from dialogues.services import Knowledge
    from nlu.encoder import load_encoder

    town = REPO / "content" / args.town
    encoder = load_encoder(args.encoder) if args.encoder != "none" else None
    knowledge = copy.copy(Knowledge.build(town, encoder=encoder))
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        await upgrade_async(url)
        db = Database(url, FieldCipher(parse_key("00" * 32)))
        try:
            clock = SystemClock()
            t = time.perf_counter()
            examples = await seed(db, town, clock)
            seed_s = time.perf_counter() - t
            trainer = Trainer(db, clock, knowledge)
            first = await trainer.retrain("bench")
            later = [await trainer.retrain("bench") for _ in range(args.rounds)]
            t = time.perf_counter()
            other = Trainer(db, clock, knowledge)  # another process: loads what was accepted
            loaded = await other.load_in_use()
            load_s = time.perf_counter() - t
        finally:
            await db.dispose()
    return {"town": args.town, "encoder": args.encoder, "examples": examples, "heldout": first["heldout"],
            "intents": first["intents"], "seed_s": round(seed_s, 3),
            "first_retrain_s": first["seconds"], "first_train_s": first["train_seconds"],
            "first": {"status": first["status"], "candidate": first["candidate"], "current": first["current"]},
            "retrain_s_median": round(statistics.median(r["seconds"] for r in later), 3) if later else None,
            "train_s_median": round(statistics.median(r["train_seconds"] for r in later), 3) if later else None,
            "later_statuses": [r["status"] for r in later], "load_accepted_s": round(load_s, 3), "loaded": loaded}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench nlu_retrain")
    ap.add_argument("--town", default="midori")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--encoder", default="none", help="none | use (the sentence encoder the service may load)")
    args = ap.parse_args(argv)
    figures = asyncio.run(run(args))
    print(f"NLU retrain ({figures['examples']} examples, {figures['heldout']} held back, {figures['intents']} intents, "
          f"encoder {figures['encoder']}): first {figures['first_retrain_s']} s (training {figures['first_train_s']} s), "
          f"later median {figures['retrain_s_median']} s; loading the accepted model {figures['load_accepted_s']} s")
    print(json.dumps(figures, ensure_ascii=False))
    return 0
