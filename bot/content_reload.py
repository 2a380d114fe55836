"""Live reload of the content staff edit (issue #16): the FAQ index and the garbage dictionary.

Every process of the service (the web process, the turn worker, every instance on a shared
PostgreSQL) runs one ``ContentReloader``. It reads the ``content_version`` rows every ``interval``
seconds (one primary-key read) — on PostgreSQL also at once when told by ``NOTIFY`` (the publishing
transaction sends it on commit; ``LISTEN`` on its own connection); when a version moved it reads that content, builds the new index in a
worker thread (off the event loop: turns keep being answered meanwhile) and swaps it into the shared
``Knowledge`` in one step on the loop — a turn sees the old index or the new one, never half of each.
The admin API pokes the reloader of its own process after a change, so that process needs no poll.

The web (or inline) process seeds the tables from what it loaded from ``content/<town>/`` on first
start (``seed=True``); from then on the database is the source of truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from aiohttp import web

from bot.nlu_training import Trainer
from civic.clock import Clock
from civic.content import faq as faq_content
from civic.content import garbage as garbage_content
from civic.content.models import FAQ, GARBAGE
from civic.content.nlu import NLU
from civic.content.versions import CHANNEL, current
from civic.database import Database
from dialogues.collection_calendar import CollectionCalendar
from dialogues.services import Knowledge
from nlu.faq_retrieval import FaqEntry, FaqIndex
from nlu.garbage_lookup import GarbageDictionary, GarbageItem
from nlu.normalize import Morphology, clean_text

log = logging.getLogger(__name__)
#: Seconds between two looks at the content versions (a published change is answered within ~2 × this).
POLL_SECONDS = 2.0


def entry_dict(e: FaqEntry) -> dict[str, Any]:
    return {"id": e.id, "question": e.question, "alternatives": list(e.alternatives), "answer": e.answer,
            "category": e.category, "keywords": list(e.keywords),
            "translations": {lang: {"question": q, "answer": a} for lang, q, a in e.translations}}


class LiveSource(Protocol):
    """Content other than the FAQ and the garbage dictionary that one reloader keeps current."""

    async def seed(self) -> None:
        """The table from the files, if it is empty (the web process, at start)."""
        ...

    async def load(self) -> bool:
        """Read the published content and swap it in; whether anything changed."""
        ...


@dataclass
class Reindexed:
    """The last re-index of each content: when, how long it took, how large."""

    seconds: dict[str, float] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)


class ContentReloader:
    """One per process: seeds (web process), polls, re-indexes off the loop, swaps (see the module)."""

    def __init__(self, db: Database, clock: Clock, knowledge: Knowledge, town_dir: Path, *,
                 interval: float = POLL_SECONDS, seed: bool = False, on_swap: Callable[[str], None] | None = None) -> None:
        self.db, self.clock, self.knowledge, self.town_dir = db, clock, knowledge, Path(town_dir)
        self.interval, self.seed_content = interval, seed
        self.on_swap = on_swap
        self.seen: dict[str, int] = {}
        self.reindexed = Reindexed()
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._builder: Morphology | None = None  # SudachiPy tokenizers are not shared across threads
        self._synonyms: dict[str, str] | None = None
        #: Other live content (name → source), e.g. the 手続きナビ trees (``bot.procedure_reload``).
        self.extras: dict[str, LiveSource] = {}
        #: NLU examples: retrain (the staff API), and load the accepted model (a live source like the others)
        self.nlu = self.extras[NLU] = Trainer(db, clock, knowledge, self.town_dir)

    # -- seeding ----------------------------------------------------------------------------------
    async def seed(self) -> None:
        """The tables from what this process loaded from ``content/<town>/``, if they are empty."""
        gdir = self.town_dir / "garbage"
        files = await asyncio.to_thread(_read_files, gdir)
        if garbage_content.TARGET not in files and self.knowledge.garbage is not None:
            files[garbage_content.TARGET] = _target_csv(self.knowledge.garbage.items)
        now = self.clock.now()
        try:
            async with self.db.write() as s:
                n = await faq_content.seed(s, [entry_dict(e) for e in self.knowledge.faq.entries], now=now)
                g = await garbage_content.seed(s, files, now=now)
        except Exception as exc:  # another instance seeded at the same moment
            log.info("content seed skipped (%s)", type(exc).__name__)
            return
        if n or g:
            log.info("content seeded into the database: %d FAQ entries, %d garbage items", n, g)
        for extra in self.extras.values():
            await extra.seed()

    # -- polling ----------------------------------------------------------------------------------
    def poke(self) -> None:
        """Something changed (this process's staff API): look now, not at the next poll."""
        self._wake.set()

    async def check(self) -> list[str]:
        """Re-index what moved since the last look; the names re-indexed."""
        async with self._lock:
            async with self.db.read() as s:
                versions = await current(s)
            done = []
            for name in (FAQ, GARBAGE, *self.extras):
                version = versions.get(name)
                if version is None or self.seen.get(name) == version:
                    continue
                t0 = time.perf_counter()
                load = self.extras[name].load if name in self.extras else self._faq if name == FAQ else self._garbage
                if await load():
                    done.append(name)
                    self.reindexed.seconds[name] = round(time.perf_counter() - t0, 3)
                self.seen[name] = self.reindexed.versions[name] = version
                if self.on_swap is not None:
                    self.on_swap(name)
            return done

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[ContentReloader]:
        if self.seed_content:
            await self.seed()
        try:  # what staff edited since the files: answered from the first request on (the web process)
            await self.check()
        except Exception:
            log.exception("content not loaded from the database at start; retrying every %s s", self.interval)
        task = asyncio.create_task(self._loop(), name="content reloader")
        listener = await self._listen()
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if listener is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(listener.close(), 5)

    async def _listen(self) -> Any:
        """On PostgreSQL, ``LISTEN`` for content changes (``civic.content.versions.CHANNEL``): another
        process's publish is picked up at once; the poll stays as the fallback (a lost connection)."""
        if not self.db.url.startswith("postgresql"):
            return None
        try:
            import asyncpg  # type: ignore[import-untyped]

            from bot.inbox.shared import KEEPALIVES, asyncpg_dsn

            conn = await asyncpg.connect(asyncpg_dsn(self.db.url), server_settings=KEEPALIVES)
            await conn.add_listener(CHANNEL, lambda *_: self.poke())
            return conn
        except Exception as exc:
            log.warning("content changes: no LISTEN (%s); polling every %s s", exc, self.interval)
            return None

    async def _loop(self) -> None:
        while True:
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("content reload failed; the bot keeps answering from the previous content")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            self._wake.clear()

    # -- what the staff API asks (``admin_api.live_content.LiveContent``) ------------------------------
    def changed(self) -> None:
        self.poke()

    def status(self) -> dict[str, Any]:
        return {"versions": dict(self.seen), "reindex_seconds": dict(self.reindexed.seconds),
                "sizes": {FAQ: len(self.knowledge.faq.entries),
                          GARBAGE: len(self.knowledge.garbage.items) if self.knowledge.garbage else 0}}

    def try_faq(self, question: str, k: int = 5) -> dict[str, Any]:
        """The search the bot runs, with each hit's lexical and dense score and the words it shares."""
        index = self.knowledge.faq
        result = index.search(question, k)
        text = clean_text(question)[:500]
        terms = index._terms(text) if text else {"words": [], "cwords": []}
        lexical = index._combined_array(terms) if text and index.entries else None
        dense = index.dense.scores(index.dense.embed(text)) if index.dense is not None and text else None
        position = {e.id: i for i, e in enumerate(index.entries)}
        surface: dict[str, str] = {}  # the index's keys (normalised, folded) as the staff member wrote them
        for mode in ("C", "A"):
            for t in index.morphology.tokenize(text, mode) if text else []:
                if t.key:
                    surface.setdefault(index.synonyms.get(t.key, t.key), t.surface)
        hits = []
        for h in result.hits:
            i = position[h.entry_id]
            shared = [surface.get(w, w) for w in dict.fromkeys(terms["words"])
                      if w in index.indexes["question"].doc_terms[i] or w in index.indexes["answer"].doc_terms[i]]
            hits.append({"entry_id": h.entry_id, "question": h.question, "score": round(h.score, 4),
                         "lexical": round(float(lexical[i]), 4) if lexical is not None else 0.0,
                         "dense": round(float(dense[i]), 4) if dense is not None else None, "words": shared})
        return {"outcome": result.outcome, "coverage": round(result.coverage, 4),
                "words": [surface.get(w, w) for w in dict.fromkeys(terms["cwords"])], "hits": hits}

    async def retrain_nlu(self, staff: str, audit: Any = None) -> dict[str, Any]:
        """Train, compare with the model in use on the held-back examples, keep the better (``bot.nlu_training``)."""
        result = await self.nlu.retrain(staff, audit)
        if result["accepted"]:
            self.poke()
        return result

    def try_nlu(self, text: str) -> dict[str, Any]:
        return self.nlu.try_text(text)

    def try_garbage(self, text: str) -> dict[str, Any]:
        dictionary = self.knowledge.garbage
        if dictionary is None:
            return {"outcome": "none", "best": None, "alternatives": [], "description": ""}
        out = dictionary.lookup(text).to_dict()
        best = out.get("best")
        out["description"] = self.knowledge.garbage_categories.get(best["item"]["category"], "") if best else ""
        return out

    async def group_questions(self, texts: list[str], *, threshold: float | None = None) -> list[list[int]]:
        """Questions that ask the same thing, together (indexes into ``texts``, largest group first):
        by meaning (sentence vectors, cosine ≥ 0.7, embedded off the loop) when the service has an
        encoder, else by shared content words (Jaccard ≥ 0.5)."""
        index = self.knowledge.faq
        if not texts:
            return []
        cache = index.dense.cache if index.dense is not None else None
        if cache is not None:
            vectors = await asyncio.to_thread(cache.encode, texts)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            vectors = vectors / np.where(norms == 0, 1, norms)

            def similar(i: int, j: int) -> bool:
                return float(vectors[i] @ vectors[j]) >= (threshold or 0.7)
        else:
            keys = [set(index.morphology.content_keys(clean_text(t), "C")) for t in texts]

            def similar(i: int, j: int) -> bool:
                union = keys[i] | keys[j]
                return bool(union) and len(keys[i] & keys[j]) / len(union) >= (threshold or 0.5)
        groups: list[list[int]] = []
        for i in range(len(texts)):
            home = next((g for g in groups if similar(g[0], i)), None)
            if home is None:
                groups.append([i])
            else:
                home.append(i)
        return sorted(groups, key=lambda g: (-len(g), g[0]))

    # -- building ---------------------------------------------------------------------------------
    def _morphology(self) -> Morphology:
        if self._builder is None:
            self._builder = Morphology()
        return self._builder

    def _training_synonyms(self) -> dict[str, str]:
        if self._synonyms is None:
            from nlu.training_data import load_training_data

            nlu_dir = self.town_dir / "nlu"
            self._synonyms = dict(load_training_data(nlu_dir).synonyms) if nlu_dir.is_dir() else {}
        return self._synonyms

    async def _faq(self) -> bool:
        async with self.db.read() as s:
            entries = await faq_content.published(s)
        old = self.knowledge.faq
        if [FaqEntry.from_dict(e) for e in entries] == old.entries:
            return False  # what this process loaded already (the seed)
        index = await asyncio.to_thread(self.build_faq, entries, old)
        index.morphology = old.morphology  # searches run on the loop with the loop's tokenizers
        self.knowledge.faq = index  # one assignment: the next turn searches the new index
        self.reindexed.sizes[FAQ] = len(index.entries)
        log.info("FAQ re-indexed: %d published entries", len(index.entries))
        return True

    def build_faq(self, entries: list[dict[str, Any]], previous: FaqIndex) -> FaqIndex:
        encoder = previous.dense.cache if previous.dense is not None else None
        return FaqIndex(entries, synonyms=self._training_synonyms(), morphology=self._morphology(),
                        encoder=encoder, previous=previous)

    async def _garbage(self) -> bool:
        async with self.db.read() as s:
            snap = await garbage_content.snapshot(s)
        items = [GarbageItem(name=i.name, category=i.category, notes=i.notes, synonyms=tuple(i.synonyms),
                             reading=i.furigana) for i in snap.items]
        descriptions = {c.label: c.description for c in snap.categories}
        calendar = self.knowledge.calendar
        if snap.area_days:
            calendar = CollectionCalendar(CollectionCalendar.parse_area_days(snap.area_days),
                                          CollectionCalendar.parse_centers(snap.center) if snap.center else {})
        old = self.knowledge.garbage
        same_items = old is not None and [GarbageDictionary._complete(i) for i in items] == old.items
        if same_items and descriptions == self.knowledge.garbage_categories and not snap.area_days:
            return False
        dictionary = old if same_items else await asyncio.to_thread(self.build_garbage, items, snap.synonyms)
        if dictionary is not None and old is not None:
            dictionary.morphology = old.morphology
        # swapped together, on the loop: a turn sees the old dictionary or the new one
        self.knowledge.garbage, self.knowledge.calendar, self.knowledge.garbage_categories = (
            dictionary, calendar, descriptions)
        self.reindexed.sizes[GARBAGE] = len(items)
        log.info("garbage dictionary re-indexed: %d items", len(items))
        return True

    def build_garbage(self, items: list[GarbageItem], synonyms_csv: str | None = None) -> GarbageDictionary:
        synonyms = dict(self._training_synonyms())
        if synonyms_csv:
            synonyms.update(GarbageDictionary.parse_synonyms(synonyms_csv))
        return GarbageDictionary(items, synonyms=synonyms, morphology=self._morphology())


def _read_files(gdir: Path) -> dict[str, str]:
    names = (garbage_content.TARGET, garbage_content.DESCRIPTION, garbage_content.AREA_DAYS, garbage_content.CENTER,
             garbage_content.SYNONYMS)
    return {n: (gdir / n).read_text(encoding="utf-8-sig") for n in names if (gdir / n).is_file()}


def _target_csv(items: list[GarbageItem]) -> str:
    from civic.content.csvtext import write_csv

    return write_csv(("label", "name", "notice", "furigana"), ([i.category, i.name, i.notes, i.reading] for i in items))


RELOADER = web.AppKey("content_reloader", ContentReloader)


class LiveFaqQuestions(Mapping[str, str]):
    """``{entry id: question}`` of the FAQ index in use, read at each look: the staff API's labels (the monthly
    report's top questions, the answer log) follow a published edit as soon as this process re-indexed it."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge

    def _now(self) -> dict[str, str]:
        return {i: e.question for i, e in self.knowledge.faq_entries.items()}

    def __getitem__(self, key: str) -> str:
        return self.knowledge.faq_entries[key].question

    def __iter__(self) -> Iterator[str]:
        return iter(self._now())

    def __len__(self) -> int:
        return len(self.knowledge.faq_entries)


def refresh_labels(context: Any, knowledge: Knowledge) -> Callable[[str], None]:
    """After a swap, the staff API's known FAQ ids follow the index in use (its labels read it live:
    ``LiveFaqQuestions``)."""

    def refresh(name: str) -> None:
        if name == FAQ:
            context.faq_ids = frozenset(knowledge.faq_entries)

    return refresh
