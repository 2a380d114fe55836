"""Building the admin API the way the service mounts it, with real staff accounts and tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiohttp import web

from admin_api.app import PREFIX, create_admin_app
from admin_api.log_views import log_router
from admin_api.staff_auth import StaffAuthenticator
from admin_api.staff_views import staff_router
from civic.clock import FrozenClock
from civic.database import Database
from civic.staff import services as accounts
from civic.staff.audit import Auditor
from civic.staff.passwords import Passwords
from civic.staff.sessions import StaffSessions

NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
ROLES = ("admin", "editor", "delivery", "facility", "viewer")
PASSWORD = "staff-pass-2026"


@dataclass
class AdminEnv:
    db: Database
    clock: FrozenClock
    sessions: StaffSessions
    app: web.Application
    tokens: dict[str, str] = field(default_factory=dict)
    staff_ids: dict[str, int] = field(default_factory=dict)
    extras: dict[str, object] = field(default_factory=dict)

    def auth(self, role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def routers_for(db: Database, clock: FrozenClock, sessions: StaffSessions, extras: dict[str, object]) -> list:
    routers = [staff_router(db, clock, sessions), log_router(db, clock)]
    try:
        from tests.admin_api.feature_routers import feature_routers
    except ImportError:  # pragma: no cover - before the other features exist
        return routers
    return routers + feature_routers(db, clock, extras)


async def build_env(db: Database, *, mount: bool = False) -> AdminEnv:
    """The admin app (at the root, or mounted at /admin/api/v1 under a parent when ``mount``)."""
    clock = FrozenClock(NOW)
    sessions = StaffSessions(db, clock, Passwords.for_tests())
    extras: dict[str, object] = {}
    admin = create_admin_app(StaffAuthenticator(sessions), routers_for(db, clock, sessions, extras),
                             auditor=Auditor(db, clock))
    app = admin
    if mount:
        app = web.Application()
        app.add_subapp(PREFIX, admin)
    env = AdminEnv(db, clock, sessions, app, extras=extras)
    for role in ROLES:
        account = await accounts.create_staff(db, clock, f"{role}-user", PASSWORD, f"{role} さん", role,
                                              passwords=sessions.passwords)
        env.staff_ids[role] = account.id  # type: ignore[assignment]
        env.tokens[role] = (await sessions.login(f"{role}-user", PASSWORD)).token
    return env
