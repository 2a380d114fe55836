"""5374 area_days.csv rules: weekdays, nth weekdays, month lists, irregular dates, centre closures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dialogues.collection_calendar import CollectionCalendar, Schedule

FIXTURE = Path(__file__).parent / "fixtures" / "garbage"


def calendar() -> CollectionCalendar:
    return CollectionCalendar.load(FIXTURE)


def test_weekly_rules() -> None:
    cal = calendar()
    assert cal.next_day("本町", "燃やすごみ", date(2025, 6, 9)) == date(2025, 6, 9)     # Monday
    assert cal.next_day("本町", "燃やすごみ", date(2025, 6, 10)) == date(2025, 6, 12)   # Thursday
    assert cal.next_day("駅前", "燃やすごみ", date(2025, 6, 9)) == date(2025, 6, 10)    # Tuesday


def test_nth_weekday_rules() -> None:
    cal = calendar()
    # 水2 水4: in June 2025 the Wednesdays are 4, 11, 18, 25
    assert cal.next_day("本町", "燃やさないごみ", date(2025, 6, 1)) == date(2025, 6, 11)
    assert cal.next_day("本町", "燃やさないごみ", date(2025, 6, 12)) == date(2025, 6, 25)
    assert cal.next_day("本町", "燃やさないごみ", date(2025, 6, 26)) == date(2025, 7, 9)
    # 水1 水3 in 駅前
    assert cal.next_day("駅前", "燃やさないごみ", date(2025, 6, 5)) == date(2025, 6, 18)


def test_month_lists() -> None:
    cal = calendar()
    # 火1 only April–December: nothing in January–March
    assert cal.next_day("本町", "有害ごみ", date(2025, 12, 3)) == date(2026, 4, 7)
    assert cal.next_day("本町", "有害ごみ", date(2025, 6, 1)) == date(2025, 6, 3)


def test_irregular_dates() -> None:
    cal = calendar()
    assert cal.next_day("駅前", "有害ごみ", date(2025, 6, 9)) == date(2026, 1, 6)
    assert cal.next_day("駅前", "有害ごみ", date(2026, 1, 7)) == date(2026, 7, 7)
    assert cal.next_day("駅前", "有害ごみ", date(2026, 7, 8)) is None


def test_year_end_closure_of_the_centre() -> None:
    cal = calendar()
    # 本町 (クリーンセンター closed 12/29–1/3): Mon 12/29 and Thu 1/1 are skipped
    assert cal.next_day("本町", "燃やすごみ", date(2025, 12, 26)) == date(2026, 1, 5)
    assert cal.closed("本町", date(2026, 1, 3)) and not cal.closed("本町", date(2026, 1, 4))
    # 南台 (南部センター closed until 1/4) is open again on Monday 1/5
    assert cal.next_day("南台", "燃やすごみ", date(2026, 1, 2)) == date(2026, 1, 5)
    assert cal.collections_on("本町", date(2025, 12, 29)) == []
    assert set(cal.collections_on("本町", date(2025, 6, 9))) == {"燃やすごみ"}


def test_areas_and_categories_are_matched_loosely() -> None:
    cal = calendar()
    assert cal.find_area("本町です") == "本町"
    assert cal.find_area("南台２丁目に住んでいます") == "南台"
    assert cal.find_area("どこでもない") is None
    assert cal.schedule("本町", "粗大ごみ") is None
    assert cal.next_day("どこか", "燃やすごみ", date(2025, 6, 9)) is None


def test_schedule_parsing_and_description() -> None:
    s = Schedule.parse("月 木")
    assert s.describe() == "毎週 月・木曜日"
    assert Schedule.parse("水2 水4").describe() == "第2・第4 水曜日"
    assert Schedule.parse("火1:4 5 6").describe() == "第1 火曜日（4・5・6月）"
    assert Schedule.parse("ほげ 金").rules == Schedule.parse("金").rules  # unknown rules are skipped
    assert Schedule.parse("").rules == ()
