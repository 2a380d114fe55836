"""Building the admin API the way the service mounts it: every router of this package, real staff
accounts and tokens, the publisher talking to linesim (the local LINE platform) through the SDK."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiohttp import web

from admin_api import log_views, richmenu_views, staff_views, stats_views, two_factor_views
from admin_api.app import PREFIX, create_admin_app
from admin_api.context import AdminContext
from admin_api.routing import ApiRouter
from admin_api.staff_auth import StaffAuthenticator
from civic.clock import FrozenClock
from civic.database import Database
from civic.staff import services as accounts
from civic.staff.audit import Auditor
from civic.staff.passwords import Passwords
from civic.staff.sessions import StaffSessions
from linesim.driver import run_linesim
from richmenus.publish import RichMenuPublisher
from richmenus.segments import StaticSegments
from tests.richmenus.line_view import LineView, line_apis, sim_config

NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
ROLES = ("admin", "editor", "delivery", "facility", "counter", "viewer")
PASSWORD = "staff-pass-2026"


@dataclass
class AdminEnv:
    db: Database
    clock: FrozenClock
    sessions: StaffSessions
    app: web.Application
    line: LineView
    stack: AsyncExitStack
    segments: StaticSegments
    tokens: dict[str, str] = field(default_factory=dict)
    staff_ids: dict[str, int] = field(default_factory=dict)

    def auth(self, role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    async def close(self) -> None:
        await self.stack.aclose()


async def build_env(db: Database, *, mount: bool = False, extra: tuple[ApiRouter, ...] = ()) -> AdminEnv:
    """The admin app (at the root, or mounted at /admin/api/v1 under a parent when ``mount``)."""
    clock = FrozenClock(NOW)
    sessions = StaffSessions(db, clock, Passwords.for_tests())
    stack = AsyncExitStack()
    sim = await stack.enter_async_context(run_linesim(sim_config()))
    segments = StaticSegments()
    publisher = RichMenuPublisher(db, clock, line_apis(sim), segments)
    routers = [staff_views.router, log_views.router, stats_views.router, richmenu_views.router,
               two_factor_views.router, *extra]
    context = AdminContext(db, clock, auditor=Auditor(db, clock), sessions=sessions, line_apis=line_apis(sim),
                           publisher=publisher, totp_issuer="みどり町 窓口")
    admin = create_admin_app(StaffAuthenticator(sessions), routers, context=context)
    app = admin
    if mount:
        app = web.Application()
        app.add_subapp(PREFIX, admin)
    env = AdminEnv(db, clock, sessions, app, LineView(sim), stack, segments)
    for role in ROLES:
        account = await accounts.create_staff(db, clock, f"{role}-user", PASSWORD, f"{role} さん", role,
                                              passwords=sessions.passwords)
        env.staff_ids[role] = account.id  # type: ignore[assignment]
        env.tokens[role] = (await sessions.login(f"{role}-user", PASSWORD)).token
    return env
