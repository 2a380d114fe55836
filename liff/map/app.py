"""The facility map (国富町 spec §9(2)(イ) 地図上の位置): a folium (Leaflet) page with a marker and a
popup per facility — all visible facilities, one kind (``?group=体育館`` / ``?category=tennis``) or one
facility (``?facility=arena``, centred) — and the category thumbnails the search carousel shows.

Facilities come from the staff's catalogue each time (display order and visibility apply). The page
is public information, so it needs no LINE login.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable

import folium
from aiohttp import web
from PIL import Image, ImageDraw

from civic.clock import Clock, tokyo
from civic.database import Database
from dialogues.facility_directory import FacilityDirectory

PALETTE = ["#2e7d32", "#1565c0", "#6a1b9a", "#ef6c00", "#00838f", "#ad1457", "#5d4037", "#455a64", "#827717"]
ICON_COLORS = ["green", "blue", "purple", "orange", "cadetblue", "red", "darkred", "gray", "darkgreen"]


def _color(category: str, palette: list[str]) -> str:
    return palette[sum(map(ord, category)) % len(palette)]


def thumbnail_png(category: str) -> bytes:
    """A simple drawn thumbnail per category (no text, so no font is needed)."""
    image = Image.new("RGB", (400, 260), _color(category, PALETTE))
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


def create_map_app(db: Database | Callable[[], Database], clock: Clock, directory: FacilityDirectory, *,
                   town: str = "", center: tuple[float, float] = (35.0, 135.0), zoom: int = 13,
                   tiles: str = "OpenStreetMap") -> web.Application:
    app = web.Application()
    thumbs: dict[str, bytes] = {}

    def database() -> Database:
        return db() if callable(db) else db

    async def page(request: web.Request) -> web.Response:
        q = request.query
        categories: tuple[str, ...] | None = None
        title = f"{town} 施設マップ" if town else "施設マップ"
        if q.get("group"):
            group = directory.group(q["group"])
            if group is None:
                raise web.HTTPNotFound(text=f"施設の種類「{q['group']}」はありません")
            categories, title = group.categories, f"{title}（{group.label}）"
        elif q.get("category"):
            categories = (q["category"],)
            title = f"{title}（{directory.label(q['category'])}）"
        async with database().read() as s:
            facilities = [f for f in await directory.visible(s, categories)
                          if f.latitude is not None and f.longitude is not None]
            today = await directory.today(s, facilities, tokyo(clock.now()).date())
        focus = next((f for f in facilities if f.code == q.get("facility")), None) if q.get("facility") else None
        if q.get("facility") and focus is None:
            raise web.HTTPNotFound(text="この施設は地図に表示できません")
        if focus is not None:
            start, zoom_level = (focus.latitude, focus.longitude), 16
        elif facilities:
            start = (sum(f.latitude for f in facilities) / len(facilities),  # type: ignore[misc]
                     sum(f.longitude for f in facilities) / len(facilities))  # type: ignore[misc]
            zoom_level = zoom
        else:
            start, zoom_level = center, zoom
        fmap = folium.Map(location=list(start), zoom_start=zoom_level, tiles=tiles, control_scale=True)
        fmap.get_root().header.add_child(folium.Element(f"<title>{html.escape(title)}</title>"))
        for f in facilities:
            lines = [f"<strong>{html.escape(f.name)}</strong>", html.escape(directory.label(f.category)),
                     html.escape(today.get(f.id, ""))]  # type: ignore[arg-type]
            if f.address:
                lines.append(html.escape(f.address))
            if f.phone:
                lines.append(f"電話 {html.escape(f.phone)}")
            if f.description:
                lines.append(f"<small>{html.escape(f.description)}</small>")
            if f.guide_url and f.guide_url.startswith(("https://", "http://")):
                lines.append(f'<a href="{html.escape(f.guide_url)}" target="_blank" rel="noopener">施設の案内</a>')
            popup = folium.Popup("<br>".join(lines), max_width=280, show=focus is not None and f.id == focus.id)
            folium.Marker([f.latitude, f.longitude], popup=popup, tooltip=html.escape(f.name),
                          icon=folium.Icon(color=_color(f.category, ICON_COLORS), icon="info-sign")).add_to(fmap)
        body = fmap.get_root().render()
        return web.Response(text=body, content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

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
    return app


