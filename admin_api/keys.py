"""Typed application keys of the admin API sub-app (one module, so every router finds them).

The rule (see ``bot.appkeys``): the service app's keys live in ``bot.appkeys``; a sub-app's own
keys live in its package's keys module — here for the staff API — and are set only by the function
that builds that sub-app (``admin_api.app.create_admin_app``). ``admin_api`` does not import ``bot``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from admin_api.auth import Authenticator
    from admin_api.context import AdminContext
    from admin_api.open311 import Open311
    from admin_api.routing import Operation
    from civic.staff.privacy import Redactor

AUTHENTICATOR: web.AppKey[Authenticator] = web.AppKey("authenticator")
#: Everything the views depend on (``Call.ctx``), the operation log's auditor included: the one key they read.
ADMIN_CONTEXT: web.AppKey[AdminContext] = web.AppKey("admin_context")
#: Masks free text for staff without personal.view (names too, when the service gives it a finder).
REDACTOR: web.AppKey[Redactor] = web.AppKey("redactor")
#: Every permission the mounted routes declare, with the route summaries that need it.
DECLARED_PERMISSIONS: web.AppKey[dict[str, list[str]]] = web.AppKey("declared_permissions")
#: The OpenAPI document, as served.
OPENAPI: web.AppKey[dict[str, Any]] = web.AppKey("openapi")
#: Every operation of the mounted routers (what the OpenAPI document describes).
OPERATIONS: web.AppKey[list[Operation]] = web.AppKey("operations")
#: The largest request body (bytes) the staff API reads. Set here because a mounted sub-app's own
#: ``client_max_size`` is not the one aiohttp applies (the parent application's is).
BODY_LIMIT: web.AppKey[int] = web.AppKey("body_limit", int)
#: What the Open311 views depend on (database, clock, categories, the town's publication policy): ``create_open311_app``.
OPEN311: web.AppKey[Open311] = web.AppKey("open311")
