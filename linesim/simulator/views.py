"""Serves the simulator page and its static files."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from . import api

STATIC_DIR = Path(__file__).parent / "static"


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})


async def root(request: web.Request) -> web.Response:
    raise web.HTTPFound("/simulator")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", root)
    app.router.add_get("/simulator", index)
    app.router.add_static("/simulator/static", STATIC_DIR)
    app.add_routes(api.routes)
