"""The town's content that ``python -m bot serve`` loads at start-up, besides the attribute catalogue:
facilities (``content/<town>/facilities.yml``) and rich menus (``richmenus.yml``).

* Facilities: every facility whose code is not in the database yet is created; the ones there are
  left as staff keep them (display order, visibility, fees edited in the console).
* Rich menus: only while the town has none — installed from the file and published (to the test
  account and then, unchanged, to production; straight to production without a test account).
  From then on the menus are the staff's (console / admin API), so a restart never undoes an edit.
  Publishing talks to LINE, so it runs beside the service rather than holding up its start; a
  failure is logged and the release stays ``failed`` for staff to retry.

The demo seeds the same content itself (``bot.demo_seed``), always bringing the menus up to date.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from sqlmodel import select

from civic import locks
from civic.clock import Clock
from civic.database import Database
from civic.disaster.content import read_shelters_file, seed_shelters
from civic.facilities.content import SeedResult, read_facilities_file, seed_facilities
from richmenus.demo import publish_demo_menus
from richmenus.models import RichMenu, RichMenuRelease
from richmenus.publish import RichMenuPublisher

log = logging.getLogger(__name__)
#: Several instances starting at once on an empty PostgreSQL install the town's content one after
#: the other (``civic.locks``): the second finds it there instead of failing on a unique key.
INSTALL_LOCK = "content.install"


async def install_facilities(db: Database, clock: Clock, town_dir: Path) -> SeedResult | None:
    path = town_dir / "facilities.yml"
    if not path.is_file():
        return None
    data = read_facilities_file(path)
    async with db.write() as s:
        await locks.in_transaction(s, INSTALL_LOCK)  # two instances starting at once: one after the other
        return await seed_facilities(s, data, clock.now())


async def install_shelters(db: Database, clock: Clock, town_dir: Path) -> int:
    """The town's shelters (``shelters.yml``, issue #22): created or updated; staff's state and count kept."""
    path = town_dir / "shelters.yml"
    if not path.is_file():
        return 0
    entries = read_shelters_file(path)
    async with db.write() as s:
        await locks.in_transaction(s, INSTALL_LOCK)
        return len(await seed_shelters(s, entries, clock.now()))


async def install_first_menus(db: Database, clock: Clock, publisher: RichMenuPublisher, town_dir: Path, *,
                              test_account: bool) -> list[RichMenuRelease]:
    """The file's menus, published, when the town has no rich menu yet; else nothing."""
    path = town_dir / "richmenus.yml"
    if not path.is_file():
        return []
    async with locks.held(db, INSTALL_LOCK + ".menus"):  # of two instances starting at once, one installs
        async with db.read() as s:
            if (await s.exec(select(RichMenu.id).limit(1))).first() is not None:
                return []
        return await publish_demo_menus(db, clock, publisher, path, by="(content)", try_on_test=test_account)


class StartupContent:
    """What the start-up install did; ``await menus_done()`` waits for the menus' publish."""

    def __init__(self) -> None:
        self.facilities: SeedResult | None = None
        self.menus: list[RichMenuRelease] = []
        self._task: asyncio.Task[None] | None = None

    async def menus_done(self) -> list[RichMenuRelease]:
        if self._task is not None:
            await asyncio.shield(self._task)
        return self.menus




@contextlib.asynccontextmanager
async def installing_content(db: Database, clock: Clock, town_dir: Path, publisher: RichMenuPublisher, *,
                             test_account: bool, report: StartupContent) -> AsyncIterator[None]:
    """Facilities before the service starts; the first menus beside it (cancelled on leaving)."""
    seeded = report.facilities = await install_facilities(db, clock, town_dir)
    if seeded is not None and seeded.created:
        log.info("facilities installed from %s: %s", town_dir / "facilities.yml", ", ".join(seeded.created))
    if shelters := await install_shelters(db, clock, town_dir):
        log.info("%d shelters installed from %s", shelters, town_dir / "shelters.yml")

    async def menus() -> None:
        try:
            releases = report.menus = await install_first_menus(db, clock, publisher, town_dir,
                                                                test_account=test_account)
        except Exception:  # LINE unreachable, a bad file: the service runs on; staff can publish later
            log.exception("rich menus from %s not published", town_dir / "richmenus.yml")
            return
        if releases:
            log.info("rich menus from %s published (%s)", town_dir / "richmenus.yml",
                     ", ".join(f"{r.account} #{r.number}" for r in releases))

    task = report._task = asyncio.create_task(menus())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
