"""Dates as residents write them (西暦 or 和暦) and deadlines as the law counts them.

Impossible dates are refused (小郡市 spec §8(6) r): 2月30日, 平成31年5月1日 (令和元年です),
昭和64年1月8日 (平成元年です) and so on. Deadlines follow the two counting rules a town's counter
uses: 住民基本台帳法 counts from the day after the event (民法140条, 初日不算入), 戸籍法 counts the
day of the event itself (戸籍法43条, 初日算入). A deadline that falls on a day the office is closed
moves to the next open day (地方自治法4条の2第4項).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

import jpholiday


class DateProblem(ValueError):
    """A date a resident wrote that cannot be a real date; the message is for the resident."""


@dataclass(frozen=True)
class Era:
    name: str
    letter: str
    start: date
    end: date | None


ERAS = (
    Era("令和", "R", date(2019, 5, 1), None),
    Era("平成", "H", date(1989, 1, 8), date(2019, 4, 30)),
    Era("昭和", "S", date(1926, 12, 25), date(1989, 1, 7)),
    Era("大正", "T", date(1912, 7, 30), date(1926, 12, 24)),
    Era("明治", "M", date(1873, 1, 1), date(1912, 7, 29)),  # 太陽暦の採用（明治6年）から
)
_ERA_BY_KEY = {e.name: e for e in ERAS} | {e.name[0]: e for e in ERAS} | {e.letter: e for e in ERAS}
WEEKDAYS = "月火水木金土日"

_WAREKI = re.compile(r"^(令和|平成|昭和|大正|明治|[令平昭大明]|[RHSTM])\s*(元|\d{1,2})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?$")
_SEIREKI = re.compile(r"^(?:西暦)?\s*(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def _build(year: int, month: int, day: int) -> date:
    if not 1 <= month <= 12:
        raise DateProblem(f"{month}月という月はありません。")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise DateProblem(f"{year}年{month}月は{last}日までです（{day}日はありません）。")
    return date(year, month, day)


def parse_date(text: str) -> date:
    """``2026-12-01``, ``2026年12月1日``, ``20261201``, ``令和8年12月1日``, ``R8.12.1``, ``平成元年1月8日``."""
    if not isinstance(text, str) or not text.strip():
        raise DateProblem("日付を入力してください。")
    norm = unicodedata.normalize("NFKC", text).strip().upper().replace(" ", "")
    m = _WAREKI.match(norm)
    if m:
        era = _ERA_BY_KEY[m.group(1)]
        year_in_era = 1 if m.group(2) == "元" else int(m.group(2))
        if year_in_era < 1:
            raise DateProblem(f"{era.name}0年という年はありません。")
        value = _build(era.start.year + year_in_era - 1, int(m.group(3)), int(m.group(4)))
        if value < era.start or (era.end is not None and value > era.end):
            last = f"{era.end.year}年{era.end.month}月{era.end.day}日" if era.end else ""
            first = f"{era.start.year}年{era.start.month}月{era.start.day}日"
            span = f"{first}から{last}まで" if last else f"{first}から"
            raise DateProblem(f"{era.name}は{span}です。{text.strip()}という日はありません。")
        return value
    m = _SEIREKI.match(norm) or _COMPACT.match(norm)
    if m:
        return _build(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    raise DateProblem("日付の形が読み取れません。例: 2026年12月1日、令和8年12月1日、2026-12-01")


def wareki(value: date) -> str:
    for era in ERAS:
        if value >= era.start:
            year = value.year - era.start.year + 1
            return f"{era.name}{'元' if year == 1 else year}年{value.month}月{value.day}日"
    return f"{value.year}年{value.month}月{value.day}日"


def display(value: date, *, with_wareki: bool = False) -> str:
    """``2026年12月1日（火）`` — the way a Japanese counter writes a date."""
    text = f"{value.year}年{value.month}月{value.day}日（{WEEKDAYS[value.weekday()]}）"
    return f"{text}〔{wareki(value)}〕" if with_wareki else text


def is_office_closed(value: date) -> bool:
    """土日・祝日・年末年始（12月29日〜1月3日）."""
    if value.weekday() >= 5 or jpholiday.is_holiday(value):
        return True
    return (value.month == 12 and value.day >= 29) or (value.month == 1 and value.day <= 3)


def next_open_day(value: date) -> date:
    while is_office_closed(value):
        value += timedelta(days=1)
    return value


@dataclass(frozen=True)
class Deadline:
    last_day: date
    moved: bool  # moved from a closed day to the next open day


def deadline(start: date, *, days: int = 0, months: int = 0, first_day_counts: bool = False) -> Deadline:
    """The last day to file: ``days``/``months`` counted from ``start`` by the rule given."""
    first = start if first_day_counts else start + timedelta(days=1)
    if months:
        # 民法143条2項: 応当日の前日に満了。応当日がない月は、その月の末日に満了。
        total = first.month - 1 + months
        year, month = first.year + total // 12, total % 12 + 1
        month_end = calendar.monthrange(year, month)[1]
        if first.day > month_end:
            last = date(year, month, month_end)
        else:
            last = date(year, month, first.day) - timedelta(days=1)
    else:
        last = first + timedelta(days=days - 1)
    opened = next_open_day(last)
    return Deadline(opened, opened != last)
