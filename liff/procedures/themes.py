"""Base colours the town can choose (§8(6) g), each meeting WCAG 2.x AAA contrast (7:1, §8(6) d).

``brand`` is the header background with ``on_brand`` text; ``strong`` is for buttons (white text),
links and headings on white and on ``tint`` (the light background of cards and chosen options).
"""

from __future__ import annotations

from dataclasses import dataclass

TEXT = "#1A1A1A"
MUTED = "#3D3D3D"
ERROR = "#8B0000"
WHITE = "#FFFFFF"


@dataclass(frozen=True)
class Theme:
    name: str
    label: str
    brand: str
    on_brand: str
    strong: str
    tint: str

    def css(self) -> str:
        return (f":root{{--brand:{self.brand};--on-brand:{self.on_brand};--strong:{self.strong};"
                f"--tint:{self.tint};--text:{TEXT};--muted:{MUTED};--error:{ERROR}}}")


THEMES = {
    "blue": Theme("blue", "青", "#0B3D91", WHITE, "#0B3D91", "#E8F0FC"),
    "red": Theme("red", "赤", "#8A1020", WHITE, "#8A1020", "#FCEDEF"),
    "green": Theme("green", "緑", "#134F1B", WHITE, "#134F1B", "#E8F5E9"),
    "yellow": Theme("yellow", "黄", "#FFD23F", TEXT, "#5C4400", "#FFF6D6"),
    "purple": Theme("purple", "紫", "#4A148C", WHITE, "#4A148C", "#F3E8FA"),
}


def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2.x contrast ratio."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def pairs(theme: Theme) -> list[tuple[str, str, str]]:
    """Every foreground/background pair the pages use with this theme."""
    return [
        ("header", theme.on_brand, theme.brand),
        ("button", WHITE, theme.strong),
        ("link on white", theme.strong, WHITE),
        ("link on tint", theme.strong, theme.tint),
        ("text on tint", TEXT, theme.tint),
        ("muted on white", MUTED, WHITE),
        ("muted on tint", MUTED, theme.tint),
        ("error on white", ERROR, WHITE),
        ("error on tint", ERROR, theme.tint),
    ]
