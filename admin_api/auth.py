"""Who is calling: a bearer token resolved to a staff principal with per-feature permissions.

The real authenticator (staff accounts, sessions, lockout) lives in ``civic.staff``; this module only
defines the interface the admin API needs, so every feature's routes check permissions the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from aiohttp import web

from admin_api import keys
from admin_api.errors import ApiError, Handler
from civic.staff.permissions import grants


@dataclass(frozen=True)
class Principal:
    staff_id: int
    login: str
    display_name: str
    permissions: frozenset[str] = field(default_factory=frozenset)
    role: str = ""
    session_id: int | None = None
    #: The facilities this member manages (国富町 表3 no.2 管理施設); ``None``: every facility.
    facilities: frozenset[int] | None = None

    def manages(self, facility_id: int | None) -> bool:
        """A facility (``None``: something of the whole town, such as its holidays) this member may see and change."""
        return self.facilities is None or facility_id in self.facilities

    def can(self, permission: str) -> bool:
        """Permissions are patterns: ``bookings.manage``, ``bookings.*``, ``*.read``, ``*``."""
        return permission in self.permissions or grants(self.permissions, permission)

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise ApiError(403, "forbidden", f"この操作の権限がありません（必要な権限: {permission}）。")


class Authenticator(Protocol):
    async def authenticate(self, token: str, *, remote: str | None) -> Principal | None:
        """The principal for a valid, unexpired token; None otherwise."""
        ...


PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal", Principal)


def principal_of(request: web.Request) -> Principal:
    principal = request.get(PRINCIPAL)
    if principal is None:
        raise ApiError(401, "unauthenticated", "ログインしてください。")
    return principal


PUBLIC_ATTR = "madoguchi_public"


def mark_public(handler: Handler) -> Handler:
    """A handler anyone may call (login, the OpenAPI document), wherever the sub-app is mounted."""
    setattr(handler, PUBLIC_ATTR, True)
    return handler


def make_auth_middleware(public_paths: frozenset[str] = frozenset()):
    """Every route needs a valid bearer token except handlers marked public (and ``public_paths``)."""

    @web.middleware
    async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        route_handler = request.match_info.handler
        resource = request.match_info.route.resource
        canonical = resource.canonical if resource is not None else request.path
        if getattr(route_handler, PUBLIC_ATTR, False) or canonical in public_paths:
            return await handler(request)
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthenticated", "ログインしてください（Authorization ヘッダーがありません）。")
        authenticator = request.config_dict[keys.AUTHENTICATOR]
        principal = await authenticator.authenticate(token.strip(), remote=request.remote)
        if principal is None:
            raise ApiError(401, "unauthenticated", "ログインの有効期限が切れたか、トークンが正しくありません。")
        request[PRINCIPAL] = principal
        return await handler(request)

    return auth_middleware
