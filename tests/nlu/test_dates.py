from datetime import UTC, datetime, timedelta

import pytest

from nlu.entities.dates import TOKYO, extract_dates, extract_times

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=TOKYO)  # a Saturday


def dates(text, now=NOW):
    return [(e["value"], text[e["start"]:e["end"]]) for e in extract_dates(text, now)]


@pytest.mark.parametrize(("text", "value", "surface"), [
    ("今日", "2026-11-21", "今日"),
    ("明日お願いします", "2026-11-22", "明日"),
    ("明後日に", "2026-11-23", "明後日"),
    ("来週の土曜に体育館", "2026-11-28", "来週の土曜"),
    ("12/5", "2026-12-05", "12/5"),
    ("12月5日(土)", "2026-12-05", "12月5日(土)"),
    ("令和8年1月5日", "2026-01-05", "令和8年1月5日"),
    ("令和元年5月1日", "2019-05-01", "令和元年5月1日"),
    ("１２月５日", "2026-12-05", "１２月５日"),
    ("十二月五日", "2026-12-05", "十二月五日"),
    ("1月10日", "2027-01-10", "1月10日"),  # past month → next year
    ("来月の第2土曜", "2026-12-12", "来月の第2土曜"),
    ("3日後", "2026-11-24", "3日後"),
    ("2026年12月24日", "2026-12-24", "2026年12月24日"),
])
def test_dates_resolve_against_now(text, value, surface):
    assert dates(text) == [(value, surface)]


def test_impossible_dates_are_rejected_not_reinterpreted():
    assert dates("2月30日に予約") == []
    assert dates("13月1日") == []
    assert dates("令和8年4月31日") == []


def test_weekday_mismatch_lowers_confidence():
    (ent,) = extract_dates("12月5日(金)", NOW)
    assert ent["value"] == "2026-12-05" and ent["confidence"] < 1.0


def test_now_in_utc_is_converted_to_tokyo_day():
    late_utc = datetime(2026, 11, 21, 16, 0, tzinfo=UTC)  # already 22 Nov in Tokyo
    assert dates("今日", late_utc) == [("2026-11-22", "今日")]
    assert dates("明日", NOW + timedelta(days=1)) == [("2026-11-23", "明日")]


@pytest.mark.parametrize(("text", "expected"), [
    ("午後2時", [("14:00", None)]),
    ("14時半", [("14:30", None)]),
    ("14:30に", [("14:30", None)]),
    ("2時から4時まで", [("14:00", "start"), ("16:00", "end")]),
    ("午前10時から午後1時", [("10:00", "start"), ("13:00", "end")]),
    ("18時〜21時", [("18:00", "start"), ("21:00", "end")]),
    ("9時から", [("09:00", "start")]),
    ("正午まで", [("12:00", "end")]),
    ("夜7時半", [("19:30", None)]),
])
def test_times(text, expected):
    assert [(e["value"], e["role"]) for e in extract_times(text)] == expected


def test_invalid_times_are_dropped_and_parts_of_day_kept():
    assert extract_times("25時") == []
    assert [e["value"] for e in extract_times("午前中に")] == ["morning"]


@pytest.mark.parametrize(("text", "times", "minutes"), [
    ("夜に2時間", [("night", False)], ["120"]),  # 2時間 is a length, not 14:00
    ("18時から2時間", [("18:00", False)], ["120"]),
    ("午後いっぱい", [("afternoon", True)], []),
    ("午前中いっぱい", [("morning", True)], []),
    ("終日", [("day", True)], []),
    ("1時間半", [], ["90"]),
    ("一時間", [], ["60"]),
    ("2時間30分", [], ["150"]),
    ("90分", [], ["90"]),
    ("10時30分から", [("10:30", False)], []),  # a clock time, not 30 minutes
    ("30分前に", [], []),
])
def test_durations_and_whole_parts_of_the_day(text, times, minutes):
    from nlu.entities.durations import extract_durations

    got = [(e["value"], bool((e.get("additional_info") or {}).get("whole"))) for e in extract_times(text)]
    assert got == times
    assert [e["value"] for e in extract_durations(text)] == minutes
