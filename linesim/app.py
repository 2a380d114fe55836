"""The application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from . import control_api, insight_api, messaging_api, oauth_api, richmenu_api, simulator
from .config import SimConfig
from .keys import CONFIG, SERVICE, STARTED, STOPPING
from .middleware import line_api
from .service import LineSimService

MAX_BODY = 16 * 1024 * 1024  # larger than any LINE limit, so linesim can answer LINE's own 413


async def _webhook_session(app: web.Application) -> AsyncIterator[None]:
    await app[SERVICE].webhook.open()
    yield
    await app[SERVICE].webhook.close()


async def _stop_streams(app: web.Application) -> None:
    app[STOPPING].set()


def create_app(config: SimConfig) -> web.Application:
    """A linesim application for ``config``; its state lives in ``app[linesim.keys.SERVICE]``."""
    app = web.Application(middlewares=[line_api], client_max_size=MAX_BODY)
    app[CONFIG] = config
    app[SERVICE] = LineSimService(config)
    app[STOPPING] = asyncio.Event()
    app[STARTED] = datetime.fromtimestamp(config.clock(), ZoneInfo("Asia/Tokyo")).date()
    app.add_routes(messaging_api.routes)
    app.add_routes(richmenu_api.routes)
    app.add_routes(insight_api.routes)
    app.add_routes(oauth_api.routes)
    app.add_routes(control_api.routes)
    simulator.add_routes(app)
    app.cleanup_ctx.append(_webhook_session)
    app.on_shutdown.append(_stop_streams)
    return app
