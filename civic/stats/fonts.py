"""Finding a Japanese font for images we draw (rich menus, charts): Noto Sans CJK, Debian fonts-noto-cjk."""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

_KNOWN = {
    "bold": ["/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
             "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
             "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
             "/System/Library/Fonts/ヒラギノ角ゴシック W6.ttc"],
    "regular": ["/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
                "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
                "/System/Library/Fonts/ヒラギノ角ゴシック W3.ttc"],
}
MISSING = ("日本語フォント（Noto Sans CJK）が見つからないため、画像（リッチメニュー・グラフ）を作れません。"
           "サーバー管理者に `sh scripts/system-packages.sh`（Debian パッケージ fonts-noto-cjk）の実行を依頼してください。")


class FontMissing(Exception):
    """Answered as 503 by the admin API (``kind`` unavailable), with what to install."""

    kind, code, field = "unavailable", "font_missing", None

    def __init__(self) -> None:
        super().__init__(MISSING)
        self.message = MISSING


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int


def _fc_match(weight: str) -> FontFile | None:
    if shutil.which("fc-match") is None:
        return None
    style = "Bold" if weight == "bold" else "Regular"
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}|%{index}|%{family}", f"Noto Sans CJK JP:style={style}"],
                             capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    path, _, rest = out.partition("|")
    index, _, family = rest.partition("|")
    # fc-match always answers with *some* font; only a CJK one will do.
    if "CJK" not in family or not Path(path).is_file():
        return None
    return FontFile(path, int(index or 0))


@functools.cache
def find_font(weight: str = "bold") -> FontFile:
    found = _fc_match(weight)
    if found:
        return found
    for path in _KNOWN[weight]:
        if Path(path).is_file():
            return FontFile(path, 0)
    raise FontMissing()


@functools.cache
def font(size: int, weight: str = "bold") -> ImageFont.FreeTypeFont:
    f = find_font(weight)
    return ImageFont.truetype(f.path, size, index=f.index)
