"""The 手続きナビ trees in the database (issue #16), on SQLite and PostgreSQL: seeded from the files once
(a life event a later release adds is seeded too, an edited one never overwritten), and a publish in one
process re-read by another that shares the database (``bot.procedure_reload``)."""

from __future__ import annotations

import copy
from pathlib import Path

from bot.procedure_reload import ProcedureSource
from civic.clock import SystemClock
from civic.database import Database
from civic.procedures import editing
from civic.procedures.loader import load_content
from civic.procedures.models import ProcedureEventSource

DIRECTORY = Path(__file__).parents[2] / "content/midori/procedures"


async def test_seeded_once_published_and_reloaded_by_another_process(db: Database) -> None:
    clock = SystemClock()
    web_content, worker_content = load_content(DIRECTORY), load_content(DIRECTORY)
    web = ProcedureSource(db, clock, web_content, DIRECTORY)
    worker = ProcedureSource(db, clock, worker_content, DIRECTORY)
    assert not await worker.load()  # nothing seeded yet: the files stay
    await web.seed()
    await web.seed()  # idempotent
    async with db.read() as s:
        rows = await editing.rows(s)
    assert sorted(r.code for r in rows) == sorted(web_content.events) and all(r.draft == r.published for r in rows)
    assert not await worker.load()  # the seed is what both loaded from the files

    text = (DIRECTORY / "events/shomei.yaml").read_text(encoding="utf-8")
    async with db.write() as s:
        row = await editing.save_draft(s, "shomei", text.replace("どの証明書が必要ですか？", "どの証明書ですか？"),
                                       now=clock.now(), by="テスト")
    assert not await worker.load()  # a draft is not what residents walk
    async with db.write() as s:
        row = await s.get(ProcedureEventSource, "shomei")
        assert row is not None
        version = await editing.publish(s, row, now=clock.now(), by="テスト")
    assert version >= 1
    old_events = worker_content.events
    assert await worker.load() and await web.load()
    assert worker_content.events is not old_events  # swapped in one assignment
    assert worker_content.event("shomei").questions[0].text == web_content.event("shomei").questions[0].text == "どの証明書ですか？"

    # a published text that no longer passes (a catalogue entry gone) keeps the previous tree
    smaller = copy.copy(worker_content)
    smaller.catalogue = {k: v for k, v in worker_content.catalogue.items() if k != 171}
    events, problems = editing.rebuild(smaller, rows)
    assert problems and events["shomei"] is worker_content.events["shomei"]

    # a life event a later release adds is seeded; the edited one is kept
    async with db.write() as s:
        await s.delete(await s.get(ProcedureEventSource, "konin"))
    await web.seed()
    async with db.read() as s:
        assert (await s.get(ProcedureEventSource, "konin")) is not None
        kept = await s.get(ProcedureEventSource, "shomei")
        assert kept is not None and "どの証明書ですか？" in kept.published
