from __future__ import annotations

from datetime import date

import pytest

from civic.procedures.dates import DateProblem, deadline, display, is_office_closed, parse_date, wareki


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-01", date(2026, 12, 1)),
    ("2026/12/1", date(2026, 12, 1)),
    ("２０２６年１２月１日", date(2026, 12, 1)),
    ("20261201", date(2026, 12, 1)),
    ("令和8年12月1日", date(2026, 12, 1)),
    ("R8.12.1", date(2026, 12, 1)),
    ("r08/12/01", date(2026, 12, 1)),
    ("令和元年5月1日", date(2019, 5, 1)),
    ("平成元年1月8日", date(1989, 1, 8)),
    ("H31.4.30", date(2019, 4, 30)),
    ("昭和64年1月7日", date(1989, 1, 7)),
    ("S55.2.29", date(1980, 2, 29)),
    ("大正15年12月24日", date(1926, 12, 24)),
])
def test_seireki_and_wareki_are_read(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(("text", "fragment"), [
    ("2026-02-29", "28日まで"),
    ("2024-02-30", "29日まで"),
    ("令和8年4月31日", "30日まで"),
    ("平成31年5月1日", "平成は"),
    ("昭和64年1月8日", "昭和は"),
    ("令和0年1月1日", "0年"),
    ("2026-13-01", "13月"),
    ("", "入力"),
    ("12月1日", "読み取れません"),
])
def test_impossible_dates_are_refused_with_a_reason(text: str, fragment: str) -> None:
    with pytest.raises(DateProblem) as exc:
        parse_date(text)
    assert fragment in str(exc.value)


def test_display_and_wareki() -> None:
    assert display(date(2026, 12, 1)) == "2026年12月1日（火）"
    assert wareki(date(2019, 5, 1)) == "令和元年5月1日"
    assert "令和8年" in display(date(2026, 12, 1), with_wareki=True)


def test_closed_days_and_deadline_rules() -> None:
    assert is_office_closed(date(2026, 12, 29)) and is_office_closed(date(2027, 1, 3))
    assert is_office_closed(date(2026, 11, 23))  # 勤労感謝の日
    assert not is_office_closed(date(2026, 12, 1))
    # 転入 on 15 Dec: the 14th day after is 29 Dec (閉庁) → 4 Jan 2027 (Mon)
    d = deadline(date(2026, 12, 15), days=14)
    assert d.last_day == date(2027, 1, 4) and d.moved
    # 民法143条: 3か月 from 30 Nov (day counted) ends 28 Feb… then the next open day
    assert deadline(date(2026, 11, 30), months=3, first_day_counts=True).last_day == date(2027, 3, 1)
    assert deadline(date(2026, 1, 10), months=3, first_day_counts=True).last_day == date(2026, 4, 9)
    # no 30 February: the period ends on the last day of February (Tue 29 Feb 2028), not the day before
    assert deadline(date(2027, 11, 30), months=3, first_day_counts=True).last_day == date(2028, 2, 29)
    # 住基法-style counting (from the next day) with months
    assert deadline(date(2026, 1, 9), months=3).last_day == date(2026, 4, 9)
