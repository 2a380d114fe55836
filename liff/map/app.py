"""The facility map (国富町 spec §9(2)(イ) 地図上の位置): every visible facility as a marker with a
popup and as a list — all of them, one kind (``?group=体育館`` / ``?category=tennis``) or one
facility (``?facility=arena``, centred, its popup open) — and the category thumbnails the search
carousel shows.

The page works offline and on a slow line: Leaflet is served from ``static/vendor`` (see its
THIRD_PARTY_NOTICES.txt; no CDN at run time), the list is in the HTML itself (read without
JavaScript), and only the map tiles come from the tile server (``TileServer``; default 地理院タイル).
When no tile can be loaded the markers and the list still show, with a note saying why the map is
blank. Facilities come from the staff's catalogue each time (display order and visibility apply).
The page is public information, so it needs no LINE login.
"""

from __future__ import annotations

import html
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from PIL import Image, ImageDraw

from civic.clock import Clock, tokyo
from civic.database import Database
from civic.facilities.models import Facility
from civic.rows import pk
from dialogues.facility_directory import FacilityDirectory
from liff.page import with_maintenance_banner

STATIC = Path(__file__).with_name("static")
PALETTE = ["#2e7d32", "#1565c0", "#6a1b9a", "#ef6c00", "#00838f", "#ad1457", "#5d4037", "#455a64", "#827717"]


@dataclass(frozen=True)
class TileServer:
    """Where the background map comes from: a ``{z}/{x}/{y}`` URL template and its attribution."""

    url: str = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png"
    attribution: str = "出典：国土地理院（地理院タイル）"
    attribution_url: str = "https://maps.gsi.go.jp/development/ichiran.html"
    max_zoom: int = 18

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url.replace("{s}", "a"))
        return f"{parts.scheme}://{parts.netloc}"


OPENSTREETMAP = TileServer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors",
                           "https://www.openstreetmap.org/copyright", 19)


def palette_index(category: str) -> int:
    return sum(map(ord, category)) % len(PALETTE)


def thumbnail_png(category: str) -> bytes:
    """A simple drawn thumbnail per category (no text, so no font is needed)."""
    image = Image.new("RGB", (400, 260), PALETTE[palette_index(category)])
    draw = ImageDraw.Draw(image)
    seed = sum(map(ord, category))
    for i in range(6):
        x = (seed * (i + 3) * 37) % 400
        y = (seed * (i + 5) * 53) % 260
        r = 30 + (seed * (i + 1)) % 50
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 255, 60), outline=(255, 255, 255), width=3)
    draw.rectangle((0, 220, 400, 260), fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _csp(tiles: TileServer) -> str:
    return (f"default-src 'self'; img-src 'self' data: {tiles.origin}; script-src 'self'; style-src 'self'; "
            "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def facility_json(f: Facility, label: str, today: str) -> dict[str, Any]:
    guide = f.guide_url if f.guide_url and f.guide_url.startswith(("https://", "http://")) else None
    return {"code": f.code, "name": f.name, "category": label, "colour": palette_index(f.category),
            "lat": f.latitude, "lng": f.longitude, "today": today, "address": f.address or "",
            "phone": f.phone or "", "description": f.description or "", "guide": guide}


def list_item(item: dict[str, Any], focused: bool) -> str:
    """One facility in the page's list (HTML, every text escaped): readable without the map."""
    e = html.escape
    lines = [f'<h3 class="name"><span class="pin pin-c{item["colour"]}" aria-hidden="true"></span>{e(item["name"])}</h3>',
             f'<p class="kind">{e(item["category"])}{"　" + e(item["today"]) if item["today"] else ""}</p>']
    if item["address"]:
        lines.append(f'<p>{e(item["address"])}</p>')
    if item["phone"]:
        tel = "".join(c for c in item["phone"] if c.isdigit() or c == "+")
        lines.append(f'<p>電話 <a href="tel:{e(tel)}">{e(item["phone"])}</a></p>')
    if item["description"]:
        lines.append(f'<p class="description">{e(item["description"])}</p>')
    actions = [f'<button type="button" class="show-on-map" data-code="{e(item["code"])}" hidden>地図で見る</button>']
    if item["guide"]:
        actions.append(f'<a href="{e(item["guide"])}" target="_blank" rel="noopener">施設の案内（町のページ）</a>')
    lines.append(f'<p class="actions">{"".join(actions)}</p>')
    current = ' aria-current="true"' if focused else ""
    return f'<li id="f-{e(item["code"])}" data-code="{e(item["code"])}"{current}>{"".join(lines)}</li>'


def create_map_app(db: Database, clock: Clock, directory: FacilityDirectory, *,
                   town: str = "", center: tuple[float, float] = (35.0, 135.0), zoom: int = 13,
                   tiles: TileServer | None = None) -> web.Application:
    tiles = tiles or TileServer()
    app = web.Application()
    thumbs: dict[str, bytes] = {}
    template = with_maintenance_banner((STATIC / "index.html").read_text(encoding="utf-8"))
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Content-Security-Policy": _csp(tiles)}

    def not_found(text: str) -> web.HTTPNotFound:
        return web.HTTPNotFound(text=text, headers={"X-Content-Type-Options": "nosniff"})

    async def page(request: web.Request) -> web.Response:
        q = request.query
        categories: tuple[str, ...] | None = None
        title = f"{town} 施設マップ" if town else "施設マップ"
        if q.get("group"):
            group = directory.group(q["group"])
            if group is None:
                raise not_found(f"施設の種類「{q['group']}」はありません")
            categories, title = group.categories, f"{title}（{group.label}）"
        elif q.get("category"):
            categories = (q["category"],)
            title = f"{title}（{directory.label(q['category'])}）"
        async with db.read() as s:
            facilities = [f for f in await directory.visible(s, categories)
                          if f.latitude is not None and f.longitude is not None]
            today = await directory.today(s, facilities, tokyo(clock.now()).date())
        focus = next((f for f in facilities if f.code == q.get("facility")), None) if q.get("facility") else None
        if q.get("facility") and focus is None:
            raise not_found("この施設は地図に表示できません")
        items = [facility_json(f, directory.label(f.category), today.get(pk(f), "")) for f in facilities]
        if focus is not None:
            start, zoom_level = [focus.latitude, focus.longitude], 16
        elif facilities:
            start = [sum(i["lat"] for i in items) / len(items), sum(i["lng"] for i in items) / len(items)]
            zoom_level = zoom
        else:
            start, zoom_level = list(center), zoom
        config = {"center": start, "zoom": zoom_level, "focus": focus.code if focus else None, "facilities": items,
                  "tiles": {"url": tiles.url, "attribution": tiles.attribution, "attributionUrl": tiles.attribution_url,
                            "maxZoom": tiles.max_zoom}}
        listing = "\n".join(list_item(i, focus is not None and i["code"] == focus.code) for i in items)
        body = (template.replace("{{title}}", html.escape(title)).replace("{{count}}", str(len(items)))
                .replace("{{config}}", json.dumps(config, ensure_ascii=False).replace("<", "\\u003c"))
                .replace("{{list}}", listing or '<li class="empty">表示できる施設はありません。</li>'))
        return web.Response(text=body, content_type="text/html", charset="utf-8", headers=headers)

    async def thumb(request: web.Request) -> web.Response:
        category = request.match_info["category"]
        if category not in directory.labels or len(category) > 40:
            raise web.HTTPNotFound()
        if category not in thumbs:
            thumbs[category] = thumbnail_png(category)
        return web.Response(body=thumbs[category], content_type="image/png",
                            headers={"Cache-Control": "public, max-age=86400"})

    app.router.add_get("/", page)
    app.router.add_get("/thumbs/{category}.png", thumb)
    app.router.add_static("/static", STATIC, append_version=False)
    return app
