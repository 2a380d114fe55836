"""Collection areas and their days, edited as forms (issue #16): the 5374 ``area_days.csv`` the bot answers
from (``garbage_file``), read into areas and written back, so export gives the town its file as 5374 has it.

``地名,センター,<category>,…``; a cell holds space-separated rules (codeforkanazawa-org/5374 ``LOCALIZE.md``):
``月`` every Monday, ``水2`` the 2nd Wednesday (1–5), ``20270114`` a date, ``…:4 5 6`` only in those months.
Staff get each wrong rule back with the category it is in and why (:func:`check_days`), never a rule
silently dropped as the bot's reader does (``dialogues.collection_calendar``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from civic.content.csvtext import read_rows, write_csv

WEEKDAYS = "月火水木金土日"
_WEEKDAY = re.compile(r"^([日月火水木金土])(曜日?)?([0-9]*)$")
_DATE = re.compile(r"^(\d{4})[/\-]?(\d{1,2})[/\-]?(\d{1,2})$")
NOTHING = {"-", "なし", "*"}
HEAD = ("地名", "センター")


class DaysError(ValueError):
    """A collection-day rule staff wrote that the bot cannot read: ``field`` (``days.<category>``), ``reason``."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


@dataclass
class Area:
    name: str
    center: str = ""
    days: dict[str, str] = field(default_factory=dict)  # category (column) → rules as in the file


@dataclass
class AreaTable:
    categories: list[str] = field(default_factory=list)  # the columns after 地名,センター, in order
    areas: list[Area] = field(default_factory=list)

    def find(self, name: str) -> Area | None:
        return next((a for a in self.areas if a.name == name), None)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def parse(text: str | None) -> AreaTable:
    """The areas of an ``area_days.csv`` (a file without the センター column is read as having an empty one)."""
    rows = read_rows(text or "")
    if not rows:
        return AreaTable()
    header = [h.strip() for h in rows[0][1]]  # as written: they are the categories' labels (（）, not ())
    first = 2 if len(header) > 1 and "センター" in _fold(header[1]) else 1
    table = AreaTable(categories=[h for h in header[first:] if h])
    for _, cells in rows[1:]:
        name = cells[0].strip() if cells else ""
        if not name:
            continue
        area = Area(name, cells[1].strip() if first == 2 and len(cells) > 1 else "")
        for i, category in enumerate(header[first:], start=first):
            if category and i < len(cells) and cells[i].strip():
                area.days[category] = " ".join(cells[i].split())
        table.areas.append(area)
    return table


def write(table: AreaTable) -> str:
    return write_csv((*HEAD, *table.categories),
                     ([a.name, a.center, *(a.days.get(c, "") for c in table.categories)] for a in table.areas)
                     ).lstrip("\ufeff")


def _check_token(token: str) -> str | None:
    if token in NOTHING:
        return None
    m = _WEEKDAY.match(token)
    if m:
        nth = m.group(3)
        if nth and not (len(nth) == 1 and "1" <= nth <= "5"):
            return f"「{token}」: 第何週かは 1〜5 で書いてください（例 水2 は第2水曜日）。"
        return None
    d = _DATE.match(token)
    if d:
        try:
            date(int(d.group(1)), int(d.group(2)), int(d.group(3)))
        except ValueError:
            return f"「{token}」: その日付はありません（例 20270114 は2027年1月14日）。"
        return None
    return (f"「{token}」は読めません。曜日（月 火 水 木 金 土 日）、曜日と第何週（例 水2）、"
            "日付（例 20270114）を空白で区切って書いてください。")


def check_days(category: str, spec: str) -> str:
    """``spec`` as the file keeps it (tokens folded, one space apart); :class:`DaysError` naming what is wrong."""
    where = f"days.{category}"
    text = _fold(spec).replace("　", " ").replace("：", ":")
    rules, colon, months = text.partition(":")
    tokens = [t.replace("曜日", "").replace("曜", "") for t in rules.split()]
    if colon and not tokens:
        raise DaysError(where, "「:」の前に曜日か日付を書いてください（例 金1:4 5 6）。")
    for token in tokens:
        reason = _check_token(token)
        if reason:
            raise DaysError(where, reason)
    month_tokens = months.split()
    if colon and not month_tokens:
        raise DaysError(where, "「:」の後に収集する月を書いてください（例 金1:4 5 6 は4〜6月の第1金曜日）。")
    for m in month_tokens:
        if not m.isdigit() or not 1 <= int(m) <= 12:
            raise DaysError(where, f"月「{m}」: 「:」の後の月は 1〜12 で書いてください。")
    out = " ".join(tokens)
    return f"{out}:{' '.join(month_tokens)}" if colon else out


def describe(spec: str) -> str:
    """``月 木`` → ``毎週 月・木曜日``; ``水1 水3`` → ``第1・第3 水曜日`` (what staff see beside the rule)."""
    text, _, months = spec.partition(":")
    weekly: list[str] = []
    nth: dict[str, list[str]] = {}
    dates = 0
    for token in text.split():
        m = _WEEKDAY.match(token)
        if m and m.group(3):
            nth.setdefault(m.group(1), []).append(m.group(3))
        elif m:
            weekly.append(m.group(1))
        elif _DATE.match(token):
            dates += 1
    parts = [f"毎週 {'・'.join(sorted(weekly, key=WEEKDAYS.index))}曜日"] if weekly else []
    parts += [f"{'・'.join(f'第{n}' for n in sorted(ns))} {wd}曜日" for wd, ns in nth.items()]
    if dates:
        parts.append(f"指定日（{dates}回）")
    out = "、".join(parts)
    if months.split() and out:
        out += f"（{'・'.join(months.split())}月）"
    return out
