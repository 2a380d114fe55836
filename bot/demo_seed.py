"""Seeding the demo town into a running service: what a newcomer sees in the simulator."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from aiohttp import web

from bot.appkeys import CLOCK, DATABASE, KNOWLEDGE, PUBLISHER, SETTINGS
from bot.content_install import install_shelters
from bot.dialogue_wiring import seed_dialogues
from civic.booking.demo import seed_booking_demo
from civic.recommendations.demo import seed_recommendations
from civic.reports.demo import seed_demo_reports
from civic.staff.errors import StaffError
from civic.staff.services import create_staff
from richmenus.demo import publish_demo_menus

log = logging.getLogger(__name__)

DEMO_ADMIN = "demo-admin"


async def demo_admin(app: web.Application, directory: Path) -> tuple[str, str]:
    """A staff administrator for trying the admin API; the password is kept beside the demo data."""
    path = directory / "admin-password.txt"
    if path.exists():
        return DEMO_ADMIN, path.read_text(encoding="utf-8").strip()
    password = secrets.token_urlsafe(12)
    try:
        await create_staff(app[DATABASE], app[CLOCK], DEMO_ADMIN, password, "デモ管理者", "admin")
    except StaffError as exc:
        log.warning("demo administrator not created: %s", exc.message)
        return DEMO_ADMIN, "(変更済み)"
    path.write_text(password + "\n", encoding="utf-8")
    path.chmod(0o600)
    return DEMO_ADMIN, password


async def seed_demo(app: web.Application, *, reports: bool = True) -> None:
    """Idempotent: a restarted demo keeps its data and adds nothing twice."""
    db, clock = app[DATABASE], app[CLOCK]
    await publish_demo_menus(db, clock, app[PUBLISHER],
                             app[SETTINGS].town_dir / "richmenus.yml", by="(demo)")
    result = await seed_booking_demo(db, clock, app[SETTINGS].town_dir)
    log.info("demo facilities: %s", result)
    log.info("demo shelters: %d", await install_shelters(db, clock, app[SETTINGS].town_dir))  # issue #22
    await seed_dialogues(db, clock, app[SETTINGS], app[KNOWLEDGE])
    log.info("demo recommendations: %d", await seed_recommendations(db, clock, app[SETTINGS].town_dir))  # my-page おすすめ
    if reports:
        log.info("demo road-damage reports: %d", await seed_demo_reports(db, clock))  # the console's 通報 inbox
