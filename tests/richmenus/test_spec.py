"""Rich-menu rules, each broken once: the message names the area and says what to change."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from richmenus.errors import RichMenuError
from richmenus.images import check_image
from richmenus.spec import MenuSpec, problems


def _spec(*areas: tuple[int, int, int, int], width: int = 2500, height: int = 843) -> MenuSpec:
    return MenuSpec.model_validate({
        "size": {"width": width, "height": height}, "chat_bar_text": "メニュー",
        "areas": [{"bounds": {"x": x, "y": y, "width": w, "height": h}, "label": f"ボタン{i + 1}",
                   "action": {"type": "postback", "data": f"action={i}"}} for i, (x, y, w, h) in enumerate(areas)],
    })


def test_a_good_menu_has_no_problems() -> None:
    assert problems(_spec((0, 0, 1250, 843), (1250, 0, 1250, 843))) == []


def test_areas_outside_the_image_say_how_much_to_shrink() -> None:
    found = problems(_spec((0, 0, 1250, 843), (1250, 0, 1350, 843)))
    assert [p.field for p in found] == ["areas.1.bounds"]
    assert "領域2（ボタン2）" in found[0].message and "2600" in found[0].message and "1250以下" in found[0].message
    found = problems(_spec((0, 100, 2500, 843)))
    assert "下端" in found[0].message and "743以下" in found[0].message


def test_overlapping_areas_are_named_both() -> None:
    found = problems(_spec((0, 0, 1300, 843), (1250, 0, 1250, 843)))
    assert found[0].field == "areas.1.bounds"
    assert "領域2（ボタン2）が領域1（ボタン1）と重なっています" in found[0].message


def test_a_menu_needs_an_area_and_a_legal_size() -> None:
    assert problems(_spec())[0].message == "タップできる領域を1つ以上設定してください。"
    found = problems(_spec((0, 0, 700, 300), width=700, height=300))
    assert found[0].field == "size.width" and "800〜2500" in found[0].message
    found = problems(_spec((0, 0, 1000, 800), width=1000, height=800))
    assert found[0].field == "size" and "1.45" in found[0].message and "689" in found[0].message


def test_twenty_one_areas_are_refused_by_the_model() -> None:
    with pytest.raises(ValueError, match="20"):
        _spec(*[(i * 100, 0, 100, 843) for i in range(21)])


def test_datetime_picker_values_follow_the_mode() -> None:
    spec = MenuSpec.model_validate({
        "chat_bar_text": "予約", "size": {"width": 2500, "height": 843},
        "areas": [{"bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                   "action": {"type": "datetimepicker", "data": "pick", "mode": "date", "initial": "2026/12/01"}}],
    })
    found = problems(spec)
    assert found[0].field == "areas.0.action.initial" and "2026-12-01 の形式" in found[0].message


def _image(width: int, height: int, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#336699").save(buffer, fmt)
    return buffer.getvalue()


def test_uploaded_images_follow_lines_rules() -> None:
    assert check_image(_image(2500, 843)).content_type == "image/png"
    assert check_image(_image(1200, 810, "JPEG")).content_type == "image/jpeg"
    cases = [
        (_image(2500, 843, "GIF"), "形式（GIF）"),
        (_image(600, 300), "800〜2500"),
        (_image(1000, 800), "1.45"),
        (b"not an image", "読み込めません"),
        (b"\x89PNG" + b"0" * (1024 * 1024 + 1), "1MB以下"),
    ]
    for data, expected in cases:
        with pytest.raises(RichMenuError) as exc:
            check_image(data)
        assert expected in exc.value.message and exc.value.field == "image"
