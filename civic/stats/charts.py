"""Charts a manager can paste into a monthly report: PNG, Japanese labels, drawn with Pillow."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from PIL import Image, ImageDraw

from civic.stats.fonts import font

COLORS = ("#1565C0", "#C62828", "#2E7D32", "#E65100", "#6A1B9A", "#00838F")
WIDTH, HEIGHT = 1600, 900
_LEFT, _RIGHT, _TOP, _BOTTOM = 150, 60, 150, 130


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def _nice_step(top: float) -> float:
    raw = max(top, 1) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _number(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.0f}%"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def chart(title: str, days: Sequence[date], series: Sequence[Series], *, bars: bool = False,
          percent: bool = False, subtitle: str = "") -> bytes:
    """A line (or bar) chart of daily values; None values leave a gap."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "#FFFFFF")
    draw = ImageDraw.Draw(image)
    draw.text((_LEFT, 40), title, font=font(44), fill="#1F2933")
    if subtitle:
        draw.text((_LEFT, 96), subtitle, font=font(26, "regular"), fill="#6B7480")
    values = [v for s in series for v in s.values if v is not None]
    top = max(values, default=0)
    step = _nice_step(top if not percent else max(top, 0.05))
    ymax = step * max(1, math.ceil(top / step)) if top else step * 5
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM

    def y_of(v: float) -> float:
        return _TOP + plot_h - v / ymax * plot_h

    tick_font = font(24, "regular")
    tick = 0.0
    while tick <= ymax + 1e-9:
        y = y_of(tick)
        draw.line([(_LEFT, y), (_LEFT + plot_w, y)], fill="#E4E7EB" if tick else "#9AA5B1", width=2)
        draw.text((_LEFT - 16, y), _number(tick, percent), font=tick_font, fill="#52606D", anchor="rm")
        tick += step
    n = max(len(days), 1)
    slot = plot_w / n

    def x_of(i: int) -> float:
        return _LEFT + slot * (i + 0.5)

    every = max(1, math.ceil(n / 16))
    for i, day in enumerate(days):
        if (n - 1 - i) % every == 0:  # the last day always has its label
            draw.text((x_of(i), _TOP + plot_h + 16), f"{day.month}/{day.day}", font=tick_font, fill="#52606D",
                      anchor="mt")
    for k, s in enumerate(series):
        color = COLORS[k % len(COLORS)]
        if bars:
            width = slot * 0.8 / len(series)
            for i, v in enumerate(s.values):
                if v:
                    x0 = x_of(i) - slot * 0.4 + k * width
                    draw.rectangle([x0, y_of(v), x0 + width - 2, y_of(0)], fill=color)
            continue
        run: list[tuple[float, float]] = []
        for i, v in enumerate([*s.values, None]):
            if v is None:
                if len(run) > 1:
                    draw.line(run, fill=color, width=5, joint="curve")
                for px, py in run:
                    draw.ellipse([px - 6, py - 6, px + 6, py + 6], fill=color)
                run = []
            else:
                run.append((x_of(i), y_of(v)))
    legend_font = font(26, "regular")
    x: float = WIDTH - _RIGHT
    for k, s in reversed(list(enumerate(series))):
        width = draw.textlength(s.name, font=legend_font)
        x -= width
        draw.text((x, 60), s.name, font=legend_font, fill="#1F2933")
        x -= 40
        draw.rectangle([x, 64, x + 28, 88], fill=COLORS[k % len(COLORS)])
        x -= 36
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=6)
    return buffer.getvalue()
