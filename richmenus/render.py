"""Rendering a ``Layout`` to a clean PNG (Pillow), with a tab strip when the menu is one of a group."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from civic.stats.fonts import font
from richmenus.icons import icon_image
from richmenus.images import MAX_BYTES
from richmenus.layout import PALETTE, Layout
from richmenus.spec import Area, Bounds, MenuSpec, Size, SwitchAction

SWITCH_DATA_PREFIX = "richmenu-switch="


@dataclass(frozen=True)
class Tab:
    label: str
    menu_id: int


@dataclass(frozen=True)
class Rendered:
    image: bytes
    content_type: str
    width: int
    height: int
    areas: list[Area]

    def spec(self, chat_bar_text: str, selected: bool = True) -> MenuSpec:
        return MenuSpec(size=Size(width=self.width, height=self.height), chat_bar_text=chat_bar_text,
                        selected=selected, areas=self.areas)


def _fit(draw: ImageDraw.ImageDraw, text: str, max_width: float, size: int, weight: str = "bold",
         minimum: int = 24) -> ImageFont.FreeTypeFont:
    while size > minimum:
        f = font(size, weight)
        if draw.textlength(text, font=f) <= max_width:
            return f
        size = int(size * 0.92)
    return font(minimum, weight)


def _mix(hex_color: str, other: str, amount: float) -> str:
    a = [int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * amount):02X}" for x, y in zip(a, b, strict=True))


def _split(total: int, parts: int, start: int = 0) -> list[tuple[int, int]]:
    """``parts`` contiguous integer spans covering ``total`` exactly: (start, length)."""
    edges = [start + round(total * i / parts) for i in range(parts + 1)]
    return [(edges[i], edges[i + 1] - edges[i]) for i in range(parts)]


def _tab_strip(draw: ImageDraw.ImageDraw, layout: Layout, tabs: list[Tab], current: int, width: int,
               height: int) -> list[Area]:
    areas = []
    draw.rectangle([0, 0, width, height], fill="#E4E7EB")
    for i, (x, w) in enumerate(_split(width, len(tabs))):
        tab = tabs[i]
        selected = i == current
        if selected:
            draw.rectangle([x, 0, x + w, height], fill="#FFFFFF")
            draw.rectangle([x, height - 14, x + w, height], fill=layout.accent)
        elif i > 0 and i - 1 != current:
            draw.line([(x, height * 0.25), (x, height * 0.75)], fill="#C5CAD1", width=3)
        color = "#1F2933" if selected else "#6B7480"
        f = _fit(draw, tab.label, w * 0.86, int(height * 0.36))
        draw.text((x + w / 2, height / 2 - 4), tab.label, font=f, fill=color, anchor="mm")
        if not selected:
            areas.append(Area(bounds=Bounds(x=x, y=0, width=w, height=height), label=tab.label[:20],
                              action=SwitchAction(menu_id=tab.menu_id, data=f"{SWITCH_DATA_PREFIX}{tab.menu_id}")))
    return areas


def render(layout: Layout, *, tabs: list[Tab] | None = None, current: int = 0) -> Rendered:
    """The image and the tap areas (tiles, then the other tabs) of ``layout``."""
    width, height = layout.pixel_size
    image = Image.new("RGB", (width, height), layout.background)
    draw = ImageDraw.Draw(image)
    areas: list[Area] = []
    top = 0
    if tabs and len(tabs) > 1:
        top = 190 if height > 1000 else 150
        tab_areas = _tab_strip(draw, layout, tabs, current, width, top)
    else:
        tab_areas = []
    margin, gap = 28, 24
    columns = _split(width, layout.columns)
    rows = _split(height - top, layout.rows, top)
    for index, ((col, row, span), tile) in enumerate(zip(layout.placement(), layout.tiles, strict=True)):
        cx, _ = columns[col]
        last_x, last_w = columns[col + span - 1]
        cy, ch = rows[row]
        cell = Bounds(x=cx, y=cy, width=last_x + last_w - cx, height=ch)
        areas.append(Area(bounds=cell, action=tile.action, label=tile.label[:20]))
        left = cell.x + (margin if col == 0 else gap / 2)
        right = cell.right - (margin if col + span == layout.columns else gap / 2)
        upper = cell.y + (margin if row == 0 else gap / 2)
        lower = cell.bottom - (margin if row == layout.rows - 1 else gap / 2)
        color = tile.color or PALETTE[index % len(PALETTE)]
        draw.rounded_rectangle([left, upper + 8, right, lower], radius=36, fill=_mix(color, "#000000", 0.25))
        lower -= 8
        draw.rounded_rectangle([left, upper, right, lower], radius=36, fill=color)
        tile_w, tile_h = right - left, lower - upper
        label_font = _fit(draw, tile.label, tile_w * 0.86, int(min(tile_h * 0.15, tile_w * 0.16, 104)))
        note_font = _fit(draw, tile.note, tile_w * 0.86, int(label_font.size * 0.55), "regular") if tile.note else None
        icon_size = int(min(tile_h * 0.38, tile_w * 0.34)) if tile.icon else 0
        block = icon_size + (tile_h * 0.06 if icon_size else 0) + label_font.size * 1.15
        if note_font:
            block += note_font.size * 1.5
        y = upper + (tile_h - block) / 2
        mid = (left + right) / 2
        if tile.icon:
            icon = icon_image(tile.icon, icon_size, layout.text_color)
            image.paste(icon, (int(mid - icon_size / 2), int(y)), icon)
            y += icon_size + tile_h * 0.06
        draw.text((mid, y), tile.label, font=label_font, fill=layout.text_color, anchor="mt")
        y += label_font.size * 1.15
        if note_font and tile.note:
            draw.text((mid, y + note_font.size * 0.3), tile.note, font=note_font,
                      fill=_mix(layout.text_color, color, 0.15), anchor="mt")
    data, content_type = _encode(image)
    return Rendered(data, content_type, width, height, areas + tab_areas)


def _encode(image: Image.Image) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=6)
    if buffer.tell() <= MAX_BYTES:
        return buffer.getvalue(), "image/png"
    for quality in (90, 82, 74):  # photos in a layout will not come to this; kept for safety
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality, optimize=True)
        if buffer.tell() <= MAX_BYTES:
            break
    return buffer.getvalue(), "image/jpeg"
