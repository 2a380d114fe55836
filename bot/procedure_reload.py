"""The 手続きナビ trees staff publish in the console, live in every process (issue #16).

A :class:`ProcedureSource` is one of the ``ContentReloader``'s extras (``bot.content_reload``): the web
process seeds ``procedure_event_source`` from ``content/<town>/procedures/events/`` on first start; every
process re-reads the published texts when the ``procedures`` content version moves and swaps the
checked life events into the ``Content`` the 手続きナビ page and the LINE dialogue share — one
assignment of ``content.events``, so a resident's next step sees the old trees or the new ones.
"""

from __future__ import annotations

import logging
from pathlib import Path

from civic.clock import Clock
from civic.database import Database
from civic.procedures import editing
from civic.procedures.tree import Content

log = logging.getLogger(__name__)


class ProcedureSource:
    def __init__(self, db: Database, clock: Clock, content: Content, directory: Path) -> None:
        self.db, self.clock, self.content, self.directory = db, clock, content, Path(directory)

    async def seed(self) -> None:
        try:
            async with self.db.write() as s:
                n = await editing.seed(s, self.directory, self.content, self.clock.now())
        except Exception as exc:  # another instance seeded at the same moment
            log.info("procedure trees seed skipped (%s)", type(exc).__name__)
            return
        if n:
            log.info("procedure trees seeded into the database: %d life events", n)

    async def load(self) -> bool:
        async with self.db.read() as s:
            rows = await editing.rows(s, deleted=True)  # a deleted event's mark: the event leaves
        if not rows:
            return False
        events, problems = editing.rebuild(self.content, rows)
        for p in problems:
            log.warning("published procedure tree not loaded, the previous one stays: %s", p)
        if events == self.content.events:
            return False
        self.content.events = events  # one assignment: the next step walks the new trees
        log.info("procedure trees reloaded: %d life events", len(events))
        return True
