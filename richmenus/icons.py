"""Simple line icons drawn with Pillow (no image files to license): white strokes on a tile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from PIL import Image, ImageDraw

from civic.stats.fonts import font

IconName = Literal["garbage", "pin", "warning", "question", "calendar", "document", "info", "globe", "home",
                   "bell", "heart", "bus"]
_SCALE = 3  # drawn large, then reduced: smooth edges without anti-aliased primitives

Draw = ImageDraw.ImageDraw


def _garbage(d: Draw, s: float, w: int, c: str) -> None:
    d.line([(0.18 * s, 0.24 * s), (0.82 * s, 0.24 * s)], fill=c, width=w)
    d.line([(0.40 * s, 0.24 * s), (0.42 * s, 0.12 * s), (0.58 * s, 0.12 * s), (0.60 * s, 0.24 * s)], fill=c,
           width=w, joint="curve")
    d.polygon([(0.26 * s, 0.32 * s), (0.74 * s, 0.32 * s), (0.68 * s, 0.90 * s), (0.32 * s, 0.90 * s)], outline=c,
              width=w)
    for x in (0.42, 0.50, 0.58):
        d.line([(x * s, 0.44 * s), (x * s, 0.78 * s)], fill=c, width=max(1, w * 2 // 3))


def _pin(d: Draw, s: float, w: int, c: str) -> None:
    d.ellipse([0.22 * s, 0.06 * s, 0.78 * s, 0.62 * s], fill=c)
    d.polygon([(0.27 * s, 0.47 * s), (0.73 * s, 0.47 * s), (0.50 * s, 0.94 * s)], fill=c)
    d.ellipse([0.38 * s, 0.22 * s, 0.62 * s, 0.46 * s], fill=(0, 0, 0, 0))


def _warning(d: Draw, s: float, w: int, c: str) -> None:
    d.polygon([(0.50 * s, 0.10 * s), (0.92 * s, 0.86 * s), (0.08 * s, 0.86 * s)], outline=c, width=w)
    d.line([(0.50 * s, 0.38 * s), (0.50 * s, 0.64 * s)], fill=c, width=int(w * 1.3))
    r = w * 0.8
    d.ellipse([0.50 * s - r, 0.75 * s - r, 0.50 * s + r, 0.75 * s + r], fill=c)


def _question(d: Draw, s: float, w: int, c: str) -> None:
    d.rounded_rectangle([0.08 * s, 0.12 * s, 0.92 * s, 0.74 * s], radius=0.14 * s, outline=c, width=w)
    d.polygon([(0.28 * s, 0.72 * s), (0.46 * s, 0.72 * s), (0.26 * s, 0.92 * s)], fill=c)
    f = font(int(0.46 * s))
    d.text((0.50 * s, 0.43 * s), "?", font=f, fill=c, anchor="mm")


def _calendar(d: Draw, s: float, w: int, c: str) -> None:
    d.rounded_rectangle([0.12 * s, 0.18 * s, 0.88 * s, 0.88 * s], radius=0.08 * s, outline=c, width=w)
    d.rectangle([0.12 * s, 0.18 * s, 0.88 * s, 0.34 * s], fill=c)
    for x in (0.32, 0.68):
        d.line([(x * s, 0.08 * s), (x * s, 0.26 * s)], fill=c, width=w)
    d.line([(0.32 * s, 0.60 * s), (0.45 * s, 0.73 * s), (0.70 * s, 0.46 * s)], fill=c, width=w, joint="curve")


def _document(d: Draw, s: float, w: int, c: str) -> None:
    d.line([(0.62 * s, 0.08 * s), (0.20 * s, 0.08 * s), (0.20 * s, 0.92 * s), (0.80 * s, 0.92 * s),
            (0.80 * s, 0.26 * s)], fill=c, width=w, joint="curve")
    d.polygon([(0.60 * s, 0.08 * s), (0.80 * s, 0.28 * s), (0.60 * s, 0.28 * s)], fill=c)
    for y in (0.44, 0.58, 0.72):
        d.line([(0.32 * s, y * s), (0.68 * s, y * s)], fill=c, width=max(1, w * 2 // 3))


def _info(d: Draw, s: float, w: int, c: str) -> None:
    d.ellipse([0.08 * s, 0.08 * s, 0.92 * s, 0.92 * s], outline=c, width=w)
    r = w * 0.85
    d.ellipse([0.50 * s - r, 0.30 * s - r, 0.50 * s + r, 0.30 * s + r], fill=c)
    d.line([(0.50 * s, 0.44 * s), (0.50 * s, 0.74 * s)], fill=c, width=int(w * 1.3))


def _globe(d: Draw, s: float, w: int, c: str) -> None:
    d.ellipse([0.08 * s, 0.08 * s, 0.92 * s, 0.92 * s], outline=c, width=w)
    d.ellipse([0.30 * s, 0.08 * s, 0.70 * s, 0.92 * s], outline=c, width=max(1, w * 2 // 3))
    d.line([(0.08 * s, 0.50 * s), (0.92 * s, 0.50 * s)], fill=c, width=max(1, w * 2 // 3))
    for y in (0.28, 0.72):
        d.line([(0.17 * s, y * s), (0.83 * s, y * s)], fill=c, width=max(1, w // 2))


def _home(d: Draw, s: float, w: int, c: str) -> None:
    d.line([(0.08 * s, 0.50 * s), (0.50 * s, 0.12 * s), (0.92 * s, 0.50 * s)], fill=c, width=w, joint="curve")
    d.line([(0.22 * s, 0.42 * s), (0.22 * s, 0.88 * s), (0.78 * s, 0.88 * s), (0.78 * s, 0.42 * s)], fill=c,
           width=w, joint="curve")
    d.rectangle([0.42 * s, 0.60 * s, 0.58 * s, 0.88 * s], fill=c)


def _bell(d: Draw, s: float, w: int, c: str) -> None:
    d.chord([0.22 * s, 0.14 * s, 0.78 * s, 0.70 * s], 180, 360, outline=c, width=w)
    d.line([(0.22 * s, 0.42 * s), (0.20 * s, 0.72 * s)], fill=c, width=w)
    d.line([(0.78 * s, 0.42 * s), (0.80 * s, 0.72 * s)], fill=c, width=w)
    d.line([(0.10 * s, 0.74 * s), (0.90 * s, 0.74 * s)], fill=c, width=w)
    d.ellipse([0.42 * s, 0.78 * s, 0.58 * s, 0.94 * s], fill=c)
    d.ellipse([0.45 * s, 0.06 * s, 0.55 * s, 0.16 * s], fill=c)


def _heart(d: Draw, s: float, w: int, c: str) -> None:
    d.ellipse([0.12 * s, 0.16 * s, 0.52 * s, 0.56 * s], fill=c)
    d.ellipse([0.48 * s, 0.16 * s, 0.88 * s, 0.56 * s], fill=c)
    d.polygon([(0.12 * s, 0.36 * s), (0.88 * s, 0.36 * s), (0.50 * s, 0.88 * s)], fill=c)


def _bus(d: Draw, s: float, w: int, c: str) -> None:
    d.rounded_rectangle([0.16 * s, 0.10 * s, 0.84 * s, 0.80 * s], radius=0.10 * s, outline=c, width=w)
    d.rectangle([0.26 * s, 0.22 * s, 0.74 * s, 0.48 * s], outline=c, width=max(1, w * 2 // 3))
    for x in (0.32, 0.68):
        d.ellipse([(x - 0.05) * s, 0.60 * s, (x + 0.05) * s, 0.70 * s], fill=c)
        d.line([(x * s, 0.80 * s), (x * s, 0.92 * s)], fill=c, width=w)


_ICONS: dict[str, Callable[[Draw, float, int, str], None]] = {
    "garbage": _garbage, "pin": _pin, "warning": _warning, "question": _question, "calendar": _calendar,
    "document": _document, "info": _info, "globe": _globe, "home": _home, "bell": _bell, "heart": _heart,
    "bus": _bus,
}
ICON_NAMES = tuple(_ICONS)


def icon_image(name: str, size: int, color: str = "#FFFFFF") -> Image.Image:
    """An RGBA image ``size``×``size`` of the icon, transparent around the strokes."""
    big = size * _SCALE
    layer = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    _ICONS[name](draw, float(big), max(2, big // 14), color)
    return layer.resize((size, size), Image.Resampling.LANCZOS)
