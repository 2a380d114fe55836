"""``add_console_routes(app)``: serve the console's static files at ``/admin/`` (no build step).

The pages talk to ``/admin/api/v1`` and nothing else; a strict Content-Security-Policy keeps them
to their own origin (no CDN, no inline script).
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).parent
#: How LINE shows messages, one renderer for the simulator and the console's preview (``/admin/line/``).
LINE_LOOK = Path(__file__).parent.parent / "linesim" / "simulator" / "static"
LINE_FILES = ("render.js", "flex.js", "bubbles.css")
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
#: The origin of the map tiles the 通報 inbox shows (``MAP_TILE_URL``), allowed as images in the page.
TILE_ORIGIN: web.AppKey[str] = web.AppKey("console_tile_origin", str)


def _headers(path: Path, tile_origin: str = "") -> dict[str, str]:
    csp = CSP.replace("blob:;", f"blob: {tile_origin};") if tile_origin else CSP
    return {"Content-Type": TYPES[path.suffix] + "; charset=utf-8", "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}


async def index(request: web.Request) -> web.Response:
    path = ROOT / "index.html"
    return web.Response(body=path.read_bytes(), headers=_headers(path, request.app.get(TILE_ORIGIN, "")))


async def shelter_page(_: web.Request) -> web.Response:
    """The shelter staff's phone page (issue #22)."""
    path = ROOT / "shelter.html"
    return web.Response(body=path.read_bytes(), headers=_headers(path))


async def asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    path = (ROOT / name).resolve()
    if ROOT not in path.parents or path.suffix not in TYPES or not path.is_file():
        raise web.HTTPNotFound()
    return web.Response(body=path.read_bytes(), headers=_headers(path))


async def line_look(request: web.Request) -> web.Response:
    path = LINE_LOOK / request.match_info["name"]
    return web.Response(body=path.read_bytes(), headers=_headers(path))


async def to_index(_: web.Request) -> web.Response:
    raise web.HTTPFound("/admin/")


def add_console_routes(app: web.Application, *, tile_origin: str = "") -> None:
    """``tile_origin``: where the 通報 inbox's map tiles come from (``https://cyberjapandata.gsi.go.jp``)."""
    if tile_origin:
        app[TILE_ORIGIN] = tile_origin
    app.router.add_get("/admin", to_index)
    app.router.add_get("/admin/", index)
    app.router.add_get("/admin/shelter", shelter_page)
    app.router.add_get("/admin/{name:(?:js|css|vendor)/[A-Za-z0-9_./-]+}", asset)
    app.router.add_get(f"/admin/line/{{name:{'|'.join(n.replace('.', '[.]') for n in LINE_FILES)}}}", line_look)
