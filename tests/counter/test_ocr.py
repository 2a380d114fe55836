"""OCR: values cleaned by their type, layouts checked, and the reading of rendered documents (Debian's
tesseract-jpn, no network). Accuracy is measured by ``python -m bench counter_ocr``, not asserted here."""

from __future__ import annotations

import random

import pytest

from civic.counter.ocr.engines import TesseractEngine
from civic.counter.ocr.layouts import LayoutProblem, Region, load_dir, parse_layout
from civic.counter.ocr.reader import clean, fix_address, load, read_fields
from civic.counter.ocr.samples import distort, render, sample_values
from tests.counter.conftest import TOWN


def _r(kind: str) -> Region:
    return Region("f", "f", kind, (0.1, 0.1, 0.2, 0.2))


@pytest.mark.parametrize(("kind", "raw", "value", "fits"), [
    ("date", "| 昭和 60 年 3 月 2 日 生", "1985-03-02", True),
    ("date", "令 和 8 年 9 月 18 日", "2026-09-18", True),
    ("date", "1945 年 95 月 07 日", "1945-05-07", True),  # 0 read as 9 in a zero-padded month
    ("date", "平成31年5月1日", "平成31年5月1日", False),  # 令和元年: not guessed, shown for staff to correct
    ("sex", "男 M", "男", True), ("sex", "BM", "男", True), ("sex", "F", "女", True),
    ("digits", "第 77763I7O6690 号", "777631706690", True),
    ("card_number", "KD5868344 9ST", "KD58683449ST", True),
    ("latin", "iL NGUYEN VAN AN", "NGUYEN VAN AN", True),
    ("kana", "、 さ と う ゆい", "さとうゆい", True),
    ("text", ": 鈴木 直美", "鈴木直美", True),
    ("address", "『 福岡 具 みどり 郡 みどり 町 大 宇 緑川 1 番 地", "福岡県みどり郡みどり町大字緑川1番地", True),
])
def test_values_are_cleaned_by_type(kind: str, raw: str, value: str, fits: bool) -> None:
    assert clean(_r(kind), raw) == (value, fits)


def test_prefecture_repair_only_when_one_name_is_near() -> None:
    assert fix_address("福岡県小郡市") == "福岡県小郡市"  # 福島県 is one character away too: left alone
    assert fix_address("佐賀具鳥栖市") == "佐賀県鳥栖市"


def test_layouts_shipped_and_refused() -> None:
    layouts = load_dir(TOWN / "counter" / "layouts")
    assert {layout.kind for layout in layouts.values()} == {"tenshutsu", "zairyu", "menkyo", "mynumber"}
    assert {f.name for f in layouts["card-mynumber"].fields} == {"name", "address", "birth_date", "sex"}
    raw = layouts["card-menkyo"].as_json()
    assert parse_layout(raw) == layouts["card-menkyo"]  # export → import is the same definition
    for path, change in (("kind", {"kind": "passport"}), ("fields.0.type", {"fields": [{"name": "name", "type": "photo",
                                                                                       "box": [0, 0, 1, 1]}]}),
                         ("fields.1.name", {"fields": [{"name": "name", "box": [0, 0, 1, 1]}, {"name": "name", "box": [0, 0, 1, 1]}]}),
                         ("fields.0.name", {"fields": [{"name": "x", "box": [0, 0, 1, 1]}]})):  # not a 運転免許証 field
        with pytest.raises(LayoutProblem) as exc:
            parse_layout({**raw, **change})
        assert exc.value.field == path


def test_a_straight_scan_of_each_card_is_mostly_read() -> None:
    engine, rng = TesseractEngine(), random.Random(3)
    right = total = 0
    for layout in load_dir(TOWN / "counter" / "layouts").values():
        printed, truth = sample_values(layout.kind, rng)
        got = read_fields(load(distort(render(layout, printed), rng, strength=0.3)), layout, engine)
        assert set(got) == {f.name for f in layout.fields}
        right += sum(got[k].value == v for k, v in truth.items())
        total += len(truth)
    assert right / total > 0.6, (right, total)  # a floor against a broken pipeline, not the accuracy figure
