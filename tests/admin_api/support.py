"""Building the admin API the way the service mounts it: every router of this package, real staff
accounts and tokens, the publisher talking to a LINE stand-in through the SDK."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiohttp import web
from aiohttp.test_utils import TestServer

from admin_api.app import PREFIX, create_admin_app
from admin_api.log_views import log_router
from admin_api.richmenu_views import richmenu_router
from admin_api.staff_auth import StaffAuthenticator
from admin_api.staff_views import staff_router
from admin_api.stats_views import stats_router
from civic.clock import FrozenClock
from civic.database import Database
from civic.staff import services as accounts
from civic.staff.audit import Auditor
from civic.staff.passwords import Passwords
from civic.staff.sessions import StaffSessions
from richmenus.line_api import AccountCredentials, SdkLineApis
from richmenus.publish import RichMenuPublisher
from richmenus.segments import StaticSegments
from tests.richmenus.fake_line import FakeLine

NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
ROLES = ("admin", "editor", "delivery", "facility", "viewer")
PASSWORD = "staff-pass-2026"


@dataclass
class AdminEnv:
    db: Database
    clock: FrozenClock
    sessions: StaffSessions
    app: web.Application
    line: FakeLine
    line_server: TestServer
    segments: StaticSegments
    tokens: dict[str, str] = field(default_factory=dict)
    staff_ids: dict[str, int] = field(default_factory=dict)

    def auth(self, role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    async def close(self) -> None:
        await self.line_server.close()


async def build_env(db: Database, *, mount: bool = False) -> AdminEnv:
    """The admin app (at the root, or mounted at /admin/api/v1 under a parent when ``mount``)."""
    clock = FrozenClock(NOW)
    sessions = StaffSessions(db, clock, Passwords.for_tests())
    line = FakeLine()
    line_server = TestServer(line.app())
    await line_server.start_server()
    url = str(line_server.make_url("")).rstrip("/")
    segments = StaticSegments()
    publisher = RichMenuPublisher(db, clock, SdkLineApis({
        "production": AccountCredentials("prod-token", url, url), "test": AccountCredentials("test-token", url, url),
    }), segments)
    routers = [staff_router(db, clock, sessions), log_router(db, clock), stats_router(db, clock),
               richmenu_router(db, clock, publisher)]
    admin = create_admin_app(StaffAuthenticator(sessions), routers, auditor=Auditor(db, clock))
    app = admin
    if mount:
        app = web.Application()
        app.add_subapp(PREFIX, admin)
    env = AdminEnv(db, clock, sessions, app, line, line_server, segments)
    for role in ROLES:
        account = await accounts.create_staff(db, clock, f"{role}-user", PASSWORD, f"{role} さん", role,
                                              passwords=sessions.passwords)
        env.staff_ids[role] = account.id  # type: ignore[assignment]
        env.tokens[role] = (await sessions.login(f"{role}-user", PASSWORD)).token
    return env
