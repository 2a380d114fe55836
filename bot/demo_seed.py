"""Seeding the demo town into a running service: what a newcomer sees in the simulator."""

from __future__ import annotations

import io
import logging

from aiohttp import web
from linebot.v3.messaging import RichMenuRequest
from PIL import Image, ImageDraw, ImageFont

from bot.appkeys import GATEWAY
from bot.help_responder import MENU

log = logging.getLogger(__name__)

FONT_PATHS = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
]
COLORS = ["#1b7f3b", "#1f6fb2", "#b5471d", "#6a4c93", "#8a6d00", "#00707a"]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_PATHS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    log.warning("no Japanese font found (install fonts-noto-cjk); the menu labels may not render")
    return ImageFont.load_default()


def render_main_menu(width: int = 2500, height: int = 843) -> bytes:
    """A 3×2 grid of the main services (the staff rich-menu editor makes richer ones)."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = _font(96)
    cols, rows = 3, 2
    w, h = width // cols, height // rows
    for i, (label, _) in enumerate(MENU):
        x, y = (i % cols) * w, (i // cols) * h
        draw.rectangle([x + 6, y + 6, x + w - 6, y + h - 6], fill=COLORS[i % len(COLORS)])
        box = draw.textbbox((0, 0), label, font=font)
        draw.text((x + (w - (box[2] - box[0])) / 2, y + (h - (box[3] - box[1])) / 2 - box[1]), label,
                  fill="white", font=font)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def main_menu_request(width: int = 2500, height: int = 843) -> RichMenuRequest:
    cols, w, h = 3, width // 3, height // 2
    areas = []
    for i, (label, text) in enumerate(MENU):
        areas.append({
            "bounds": {"x": (i % cols) * w, "y": (i // cols) * h, "width": w, "height": h},
            "action": {"type": "message", "label": label, "text": text},
        })
    return RichMenuRequest.from_dict({
        "size": {"width": width, "height": height}, "selected": True, "name": "みどり町 メインメニュー",
        "chatBarText": "メニュー", "areas": areas,
    })


async def publish_main_menu(app: web.Application) -> None:
    gateway = app[GATEWAY]
    image = render_main_menu()
    for channel in gateway.channels:
        api, blob = gateway.messaging_api(channel), gateway.blob_api(channel)
        current = await api.get_rich_menu_list()
        if any(m.name == "みどり町 メインメニュー" for m in current.richmenus):
            continue
        created = await api.create_rich_menu(main_menu_request())
        await blob.set_rich_menu_image(created.rich_menu_id, bytearray(image),
                                       _headers={"Content-Type": "image/png"})
        await api.set_default_rich_menu(created.rich_menu_id)


async def seed_demo(app: web.Application) -> None:
    await publish_main_menu(app)
