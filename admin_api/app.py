"""``create_admin_app``: the staff API sub-application (mounted at /admin/api/v1)."""

from __future__ import annotations

import json
from dataclasses import replace

from aiohttp import web

from admin_api.auth import Authenticator, make_auth_middleware, mark_public
from admin_api.context import AdminContext
from admin_api.errors import error_middleware
from admin_api.keys import (
    ADMIN_CONTEXT,
    AUTHENTICATOR,
    BODY_LIMIT,
    DECLARED_PERMISSIONS,
    OPENAPI,
    OPERATIONS,
    REDACTOR,
)
from admin_api.openapi import openapi_document
from admin_api.routing import ApiRouter
from civic.staff.audit import Auditor
from civic.staff.privacy import Redactor

PREFIX = "/admin/api/v1"
OPENAPI_PATH = "/openapi.json"


def create_admin_app(authenticator: Authenticator, routers: list[ApiRouter], *,
                     context: AdminContext | None = None, auditor: Auditor | None = None,
                     redactor: Redactor | None = None,
                     client_max_size: int = 8 * 1024 * 1024) -> web.Application:
    """Routers come from each feature (staff, rich menus, bookings, …); the caller wires them.

    ``context``: what the views depend on (``Call.ctx``), stored under one key. With an auditor (the
    context's, or ``auditor``: a context of that auditor's database and clock when none is given) every
    successful change is written to the operation log. ``redactor`` masks
    free text for staff without ``personal.view`` (``Call.redact``); by default phone numbers,
    e-mail addresses and such by pattern, names only when it has a name finder.
    """
    app = web.Application(
        middlewares=[error_middleware, make_auth_middleware()], client_max_size=client_max_size
    )
    app[AUTHENTICATOR] = authenticator
    app[BODY_LIMIT] = client_max_size
    if auditor is not None:
        context = (replace(context, auditor=auditor) if context is not None
                   else AdminContext(auditor.db, auditor.clock, auditor=auditor))
    if context is not None:
        app[ADMIN_CONTEXT] = context
        live = context

        async def end_live_views(_: web.Application) -> None:  # before handlers are waited for
            await live.close_live_views()

        app.on_shutdown.append(end_live_views)
    app[REDACTOR] = redactor or Redactor()
    declared: dict[str, list[str]] = {}
    for router in routers:
        router.add_to(app)
        for op in router.operations:
            if op.permission:
                declared.setdefault(op.permission, []).append(op.summary)
    app[DECLARED_PERMISSIONS] = declared
    app[OPERATIONS] = [op for router in routers for op in router.operations]
    document = openapi_document(routers, prefix=PREFIX, title="Madoguchi 管理 API", version="1")
    app[OPENAPI] = document

    async def openapi(_: web.Request) -> web.Response:
        return web.json_response(document, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    app.router.add_get(OPENAPI_PATH, mark_public(openapi))
    return app
