"""Rendered menus: clean PNGs LINE accepts, tap areas over the tiles, the current tab highlighted."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from civic.stats import fonts
from richmenus.images import check_image
from richmenus.layout import Layout
from richmenus.render import SWITCH_DATA_PREFIX, Tab, render
from richmenus.spec import problems

TILES = [{"label": label, "icon": icon, "action": {"type": "postback", "data": f"action={data}"}}
         for label, icon, data in [("ごみ分別", "garbage", "garbage"), ("施設をさがす", "pin", "facility"),
                                   ("通報する", "warning", "report"), ("よくある質問", "question", "faq"),
                                   ("予約", "calendar", "booking"), ("手続きナビ", "document", "procedure")]]


def test_six_tiles_become_six_areas_covering_the_image() -> None:
    rendered = render(Layout(tiles=TILES))
    info = check_image(rendered.image)
    assert (info.width, info.height) == (2500, 1686) and info.content_type == "image/png"
    assert [a.label for a in rendered.areas] == ["ごみ分別", "施設をさがす", "通報する", "よくある質問", "予約", "手続きナビ"]
    assert sum(a.bounds.width * a.bounds.height for a in rendered.areas) == 2500 * 1686
    assert problems(rendered.spec("メニュー")) == []


def _pixel(png: bytes, x: int, y: int) -> tuple[int, int, int]:
    return Image.open(io.BytesIO(png)).convert("RGB").getpixel((x, y))


def test_tabs_highlight_the_current_menu_and_switch_to_the_others() -> None:
    tabs = [Tab("メニュー", 11), Tab("くらしの情報", 12)]
    first = render(Layout(tiles=TILES), tabs=tabs, current=0)
    second = render(Layout(tiles=TILES), tabs=tabs, current=1)
    assert _pixel(first.image, 40, 40) == (255, 255, 255) and _pixel(first.image, 2460, 40) != (255, 255, 255)
    assert _pixel(second.image, 2460, 40) == (255, 255, 255) and _pixel(second.image, 40, 40) != (255, 255, 255)
    switch = [a for a in first.areas if a.action.type == "richmenuswitch"]
    assert len(switch) == 1 and switch[0].action.menu_id == 12 and switch[0].action.data == f"{SWITCH_DATA_PREFIX}12"
    assert switch[0].bounds.x == 1250 and switch[0].bounds.y == 0
    assert problems(first.spec("メニュー")) == []
    assert min(a.bounds.y for a in first.areas if a.action.type == "postback") == switch[0].bounds.height


def test_compact_menus_and_wide_tiles() -> None:
    layout = Layout(size="compact", columns=4, rows=1,
                    tiles=[{**TILES[0], "columns": 2}, TILES[1], TILES[2]])
    rendered = render(layout)
    assert (rendered.width, rendered.height) == (2500, 843)
    assert [a.bounds.width for a in rendered.areas] == [1250, 625, 625]


def test_layouts_that_do_not_fit_explain_why() -> None:
    with pytest.raises(ValueError, match="3列×2行のマスに収まりません"):
        Layout(tiles=TILES + TILES[:1])
    with pytest.raises(ValueError, match="タイル1（ごみ分別）の横幅 4 マス"):
        Layout(tiles=[{**TILES[0], "columns": 4}])


def test_a_missing_font_tells_staff_what_to_install(monkeypatch) -> None:
    fonts.find_font.cache_clear()
    monkeypatch.setattr(fonts, "_fc_match", lambda weight: None)
    monkeypatch.setattr(fonts, "_KNOWN", {"bold": ["/nowhere/a.ttc"], "regular": ["/nowhere/b.ttc"]})
    try:
        with pytest.raises(fonts.FontMissing) as exc:
            fonts.find_font("bold")
        assert "fonts-noto-cjk" in exc.value.message and exc.value.kind == "unavailable"
    finally:
        fonts.find_font.cache_clear()


def test_the_font_found_is_a_japanese_one() -> None:
    found = fonts.find_font("bold")
    assert "CJK" in found.path or "ヒラギノ" in found.path
    assert fonts.font(40).getbbox("窓口")[2] > 40
