"""Two instances publishing one rich menu at the same moment (issue #19): one published version.

Each "instance" is a publisher on its own ``Database`` (its own connections) over one database; on
PostgreSQL the account's publishing lock is an advisory lock (``civic.locks``), so the second waits
for the first and then finds the draft already published.
"""

from __future__ import annotations

import asyncio

from sqlmodel import select

from civic.database import Database
from richmenus.models import RichMenuRelease
from richmenus.publish import RichMenuPublisher
from tests.richmenus.conftest import Line, make_tabs
from tests.richmenus.line_view import line_apis
from tests.richmenus.test_publish import _target


async def test_two_instances_publishing_at_once_make_one_version(db: Database, line: Line) -> None:
    main, _ = await make_tabs(db)
    await _target(db, "production", main)
    other_db = Database(db.url, db.cipher)
    try:
        other = RichMenuPublisher(other_db, line.clock, line_apis(line.view.sim), line.segments)
        first, second = await asyncio.gather(line.publisher.publish("production", "職員A"),
                                             other.publish("production", "職員B"))
    finally:
        await other_db.dispose()
    assert (first.number, first.status) == (second.number, second.status) == (1, "applied")
    async with db.read() as s:
        releases = (await s.exec(select(RichMenuRelease))).all()
    assert [(r.number, r.status) for r in releases] == [(1, "applied")]
    assert len(line.view.menus("production")) == 2  # each menu created on LINE once


async def test_a_changed_draft_is_a_new_version(db: Database, line: Line) -> None:
    main, living = await make_tabs(db)
    await _target(db, "production", main)
    await line.publisher.publish("production", "職員A")
    await _target(db, "production", living)
    assert (await line.publisher.publish("production", "職員A")).number == 2
