"""NLU examples in the database and retraining from the console (issue #16).

* :func:`seed` puts the town's ``nlu/*.yml`` into the database on first start, holding back a stratified
  part of each intent's examples (fixed seed) — the set every later model is judged on.
* :func:`retrain` (called by the staff API, in the process that got the request) trains a candidate on the
  examples not held back, in a worker thread (turns keep being answered), scores it and the model in use
  on the held-back examples (accuracy, macro F1), and stores it as the model in use only when it is not
  worse on either figure. Accepting bumps the ``nlu`` content version: every process's
  ``ContentReloader`` loads the stored model (:func:`load_in_use`) and swaps it in, as for the FAQ.

The model from the files was trained on every example, held-back ones too; until a retrain is accepted
"the model in use" is therefore scored as it would be without them (trained again from the files'
data less the held-back examples), so that the comparison is fair — the report says so (``recreated``).
"""

from __future__ import annotations

import asyncio
import io
import logging
import tempfile
import time
import zipfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from civic.clock import Clock
from civic.content import nlu as store
from civic.database import Database
from dialogues.services import Knowledge
from nlu.evaluation import prf_table
from nlu.examples import extras_yaml, split, training_data
from nlu.intent_classifier import FALLBACK_INTENT
from nlu.interpreter import Interpreter
from nlu.normalize import Morphology
from nlu.training_data import Example, TrainingData, load_training_data

log = logging.getLogger(__name__)
#: Writes the operation-log entry of a retrain, in the transaction that records it.
Audit = Callable[[Any, dict[str, Any]], Awaitable[None]]


class RetrainBusy(RuntimeError):
    """A retrain is running in this process already."""


class CannotTrain(ValueError):
    """The examples cannot be trained on (fewer than two intents)."""


async def seed(db: Database, town_dir: Path, clock: Clock) -> int:
    """The town's ``nlu/*.yml`` into the database when it has no examples yet; how many examples."""
    nlu_dir = Path(town_dir) / "nlu"
    if not nlu_dir.is_dir():
        return 0
    data = await asyncio.to_thread(load_training_data, nlu_dir)
    rows = [(e.intent, e.annotated()) for e in data.examples]
    held = split(rows)
    async with db.write() as s:
        return await store.seed(s, [(i, t, h) for (i, t), h in zip(rows, held, strict=True)], extras_yaml(data),
                                data.to_yaml(), now=clock.now())


# -- scoring ----------------------------------------------------------------------------------------
def score(interpreter: Interpreter, heldout: Sequence[Example]) -> dict[str, Any]:
    """Accuracy and macro F1 of the intents on ``heldout`` (an answer under the threshold is a miss)."""
    gold, pred = [], []
    for ex in heldout:
        ranking = interpreter.classify(ex.text)["intent_ranking"]
        top = next((r for r in ranking if r["name"] != FALLBACK_INTENT), None)
        name = top["name"] if top and top["confidence"] >= interpreter.threshold else FALLBACK_INTENT
        gold.append(ex.intent)
        pred.append(name)
    if not gold:
        return {"accuracy": 0.0, "f1": 0.0, "errors": []}
    table = prf_table(gold, pred)
    intents = sorted(set(gold))
    return {"accuracy": round(sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold), 4),
            "f1": round(sum(table[i]["f1"] for i in intents) / len(intents), 4),
            "errors": [{"text": e.text, "gold": g, "predicted": p}
                       for e, g, p in zip(heldout, gold, pred, strict=True) if g != p][:50]}


def zipped(interpreter: Interpreter) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        interpreter.persist(tmp)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for path in sorted(Path(tmp).iterdir()):
                z.write(path, path.name)
        return out.getvalue()


def unzipped(blob: bytes, *, morphology: Morphology, encoder: Any = None) -> Interpreter:
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(io.BytesIO(blob)) as z:
        for name in z.namelist():
            if "/" in name or name.startswith("."):
                raise ValueError(f"unexpected file in a stored model: {name!r}")
        z.extractall(tmp)
        return Interpreter.load(tmp, morphology=morphology, encoder=encoder)


def _encoder(knowledge: Knowledge) -> Any:
    return knowledge.faq.dense.cache if knowledge.faq.dense is not None else None


def _semantic_examples(knowledge: Knowledge) -> dict[str, list[str]]:
    return {"faq": [q for e in knowledge.faq.entries for q in (e.question, *e.alternatives) if q]}


# -- retraining -------------------------------------------------------------------------------------
class Trainer:
    """One per process: retrains (one at a time) and loads the model in use (``ContentReloader``)."""

    def __init__(self, db: Database, clock: Clock, knowledge: Knowledge, town_dir: Path | None = None) -> None:
        self.db, self.clock, self.knowledge, self.town_dir = db, clock, knowledge, town_dir
        self._busy = asyncio.Lock()
        self._morphology: Morphology | None = None  # the worker thread's (Sudachi tokenizers are per thread)
        self.loaded_id: int | None = None

    def _thread_morphology(self) -> Morphology:
        if self._morphology is None:
            self._morphology = Morphology()
        return self._morphology

    async def retrain(self, staff: str, audit: Audit | None = None) -> dict[str, Any]:
        """The retrain's report (``id``, ``status``, both figures ...); ``audit`` is called in the transaction
        that records it."""
        if self._busy.locked():
            raise RetrainBusy("再学習を実行中です。")
        async with self._busy:
            async with self.db.read() as s:
                rows = await store.examples(s)
                extra = await store.extras(s)
                current = await store.in_use(s)
            train_rows = [(r.intent, r.text) for r in rows if not r.heldout]
            held_rows = [(r.intent, r.text) for r in rows if r.heldout]
            current_blob = current.model if current is not None else None
            current_yaml = current.training_yaml if current is not None else ""
            report = await asyncio.to_thread(self._train_and_compare, train_rows, held_rows, extra, current_blob,
                                             current_yaml)
            blob = report.pop("_model")
            accepted = report["accepted"]
            async with self.db.write() as s:
                row = await store.record(s, accepted=accepted, report=report,
                                         training_yaml=training_data(train_rows, extra).to_yaml(),
                                         model=blob, now=self.clock.now(), staff=staff)
                result = {"id": row.id, "status": row.status, **report}
                if audit is not None:
                    await audit(s, result)
            log.info("NLU retrain %s: candidate %s, in use %s", "accepted" if accepted else "rejected",
                     report["candidate"], report["current"])
            return result

    def _train_and_compare(self, train_rows: list[tuple[str, str]], held_rows: list[tuple[str, str]], extra: str,
                           current_blob: bytes | None, current_yaml: str) -> dict[str, Any]:
        """In the worker thread: train, score both, decide."""
        started = time.perf_counter()
        morphology = self._thread_morphology()
        encoder, semantic = _encoder(self.knowledge), _semantic_examples(self.knowledge)
        data = training_data(train_rows, extra)
        heldout = training_data(held_rows, "").examples
        if not data.examples or len(data.intents) < 2:
            raise CannotTrain("学習には 2 つ以上の意図の例文が要ります。")
        candidate = Interpreter.train(data, morphology=morphology, encoder=encoder, semantic_examples=semantic)
        trained = round(time.perf_counter() - started, 3)
        recreated = current_blob is None
        if current_blob is not None:
            in_use = unzipped(current_blob, morphology=morphology, encoder=encoder)
        else:  # the files' model learnt the held-back examples too: scored as it would be without them
            held_texts = {e.text for e in heldout}
            files = TrainingData.from_yaml(current_yaml, "files") if current_yaml.strip() else data
            fair = files.subset(e for e in files.examples if e.text not in held_texts)
            in_use = Interpreter.train(fair, morphology=morphology, encoder=encoder, semantic_examples=semantic)
        new, old = score(candidate, heldout), score(in_use, heldout)
        accepted = bool(heldout) and new["accuracy"] >= old["accuracy"] and new["f1"] >= old["f1"]
        return {"accepted": accepted, "candidate": {"accuracy": new["accuracy"], "f1": new["f1"]},
                "current": {"accuracy": old["accuracy"], "f1": old["f1"], "recreated": recreated},
                "examples": len(data.examples), "heldout": len(heldout), "intents": len(data.intents),
                "train_seconds": trained, "seconds": round(time.perf_counter() - started, 3),
                "errors": new["errors"], "_model": zipped(candidate) if accepted else None}

    # -- a live source of ``ContentReloader`` (``bot.content_reload.LiveSource``) ----------------------
    async def seed(self) -> None:
        """The town's ``nlu/*.yml`` into the database on first start (the web process)."""
        if self.town_dir is None:
            return
        try:
            if examples := await seed(self.db, self.town_dir, self.clock):
                log.info("NLU examples seeded into the database: %d", examples)
        except Exception as exc:  # another instance seeded at the same moment
            log.info("NLU seed skipped (%s)", type(exc).__name__)

    async def load(self) -> bool:
        return await self.load_in_use()

    async def load_in_use(self) -> bool:
        """The accepted model, swapped in if it is not the one this process answers from."""
        async with self.db.read() as s:
            row = await store.in_use(s)
        if row is None or row.model is None or row.id == self.loaded_id:
            return False
        blob = row.model
        # a Morphology of its own: the interpreter is used on the loop from now on
        interpreter = await asyncio.to_thread(unzipped, blob, morphology=Morphology(),
                                              encoder=_encoder(self.knowledge))
        interpreter.elsewhere = self.knowledge.interpreter.elsewhere
        self.knowledge.interpreter = interpreter  # one assignment: the next turn parses with the new model
        self.loaded_id = row.id
        log.info("NLU model %s loaded (%s examples)", row.id, interpreter.metadata.get("examples"))
        return True

    def try_text(self, text: str) -> dict[str, Any]:
        """What the model in use makes of ``text`` (on the loop: its own tokenizers)."""
        result = self.knowledge.interpreter.classify(text[:500])
        return {"intent": result["intent"], "ranking": result["intent_ranking"][:5]}
