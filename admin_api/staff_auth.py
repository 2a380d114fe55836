"""``StaffAuthenticator``: the admin API's ``Authenticator`` backed by staff sessions in the database."""

from __future__ import annotations

from admin_api.auth import Principal
from civic.staff.sessions import Identity, StaffSessions


def principal_from(identity: Identity) -> Principal:
    return Principal(identity.staff_id, identity.login, identity.display_name, identity.permissions,
                     identity.role, identity.session_id, identity.facilities)


class StaffAuthenticator:
    """Build with ``StaffAuthenticator(StaffSessions(db, clock))`` and pass to ``create_admin_app``."""

    def __init__(self, sessions: StaffSessions) -> None:
        self.sessions = sessions

    async def authenticate(self, token: str, *, remote: str | None) -> Principal | None:
        identity = await self.sessions.resolve(token)
        return principal_from(identity) if identity else None
