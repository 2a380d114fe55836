"""Collection areas and days as forms (issue #16): 5374 area_days.csv read into areas and written back as the
town wrote it, each rule checked with the reason a staff member can act on, and the bot's reader
(``dialogues.collection_calendar``) reading what was written."""

from __future__ import annotations

from pathlib import Path

import pytest

from civic.content.garbage_areas import DaysError, check_days, describe, parse, write
from dialogues.collection_calendar import CollectionCalendar

MIDORI = (Path(__file__).parents[2] / "content/midori/garbage/area_days.csv").read_text(encoding="utf-8-sig")


def test_the_town_file_round_trips_as_written() -> None:
    table = parse(MIDORI)
    assert len(table.areas) == 20 and table.categories[2] == "資源ごみ（缶・びん・ペットボトル）"
    assert table.find("本町").days["燃やさないごみ"] == "水1 水3"
    assert write(table).splitlines() == [line for line in MIDORI.splitlines() if line.strip()]


@pytest.mark.parametrize(("spec", "kept"), [
    ("月 木", "月 木"), ("月曜 木曜日", "月 木"), ("　水１　水３ ", "水1 水3"), ("20270114", "20270114"),
    ("2027/1/14", "2027/1/14"), ("金1：5 7 9", "金1:5 7 9"), ("", ""), ("-", "-"),
])
def test_rules_staff_may_write(spec: str, kept: str) -> None:
    assert check_days("燃やすごみ", spec) == kept


@pytest.mark.parametrize(("spec", "reason"), [
    ("水6", "1〜5"), ("水12", "1〜5"), ("毎週月", "読めません"), ("20270230", "その日付はありません"),
    ("金1:13", "1〜12"), ("金1:", "「:」の後に収集する月"), (":4 5", "「:」の前に"),
])
def test_rules_refused_with_the_field_and_why(spec: str, reason: str) -> None:
    with pytest.raises(DaysError) as refused:
        check_days("燃やすごみ", spec)
    assert refused.value.field == "days.燃やすごみ" and reason in refused.value.reason


def test_what_is_written_is_what_the_bot_reads() -> None:
    table = parse(MIDORI)
    area = table.find("本町")
    assert area is not None
    area.days["燃やすごみ"] = check_days("燃やすごみ", "火曜 金曜")
    area.days["有害ごみ"] = check_days("有害ごみ", "金1:5 7 9 11 1 3")
    calendar = CollectionCalendar(CollectionCalendar.parse_area_days(write(table)))
    schedule = calendar.schedule("本町", "燃やすごみ")
    assert schedule is not None and {r.weekday for r in schedule.rules} == {1, 4}
    assert describe("火 金") == schedule.describe() == "毎週 火・金曜日"
    assert describe("水1 水3") == "第1・第3 水曜日" and describe("金1:5 7") == "第1 金曜日（5・7月）"
    assert describe("20260514 20260709") == "指定日（2回）"
