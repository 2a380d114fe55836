"""Garbage collection days in the 5374 format (codeforkanazawa-org/5374 ``LOCALIZE.md``).

``area_days.csv``: ``地名,センター,<category>,<category>…``; each cell holds space-separated rules:

* ``月``          every Monday (日月火水木金土);
* ``水2``         the 2nd Wednesday of the month (1–5);
* ``20250105``    an irregular date;
* ``…:4 5 6``     after a colon, the months the rules apply in (here April–June only).

``center.csv`` (optional): ``名称,休止開始日,休止終了日`` — closure periods of a collection centre
(the year-end break); an area's collections are skipped while its centre is closed.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

log = logging.getLogger(__name__)

WEEKDAYS = "月火水木金土日"  # date.weekday(): Monday = 0
_RULE = re.compile(r"^([日月火水木金土])([1-5])?$")
_DATE = re.compile(r"^(\d{4})[/\-]?(\d{1,2})[/\-]?(\d{1,2})$")


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").replace(" ", "").replace("　", "").strip()


def parse_date(text: str) -> date | None:
    m = _DATE.match(fold(text))
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


@dataclass(frozen=True)
class Rule:
    weekday: int | None = None   # 0 = Monday
    nth: int | None = None       # 1..5, with weekday
    on: date | None = None       # an irregular date

    def matches(self, day: date) -> bool:
        if self.on is not None:
            return day == self.on
        if self.weekday is None or day.weekday() != self.weekday:
            return False
        return self.nth is None or (day.day - 1) // 7 + 1 == self.nth


@dataclass(frozen=True)
class Schedule:
    rules: tuple[Rule, ...]
    months: frozenset[int] = frozenset()  # empty: every month

    @classmethod
    def parse(cls, cell: str) -> Schedule:
        cell = unicodedata.normalize("NFKC", cell or "").strip()
        months: frozenset[int] = frozenset()
        if ":" in cell:
            cell, _, month_part = cell.partition(":")
            months = frozenset(int(m) for m in month_part.split() if m.isdigit() and 1 <= int(m) <= 12)
        rules = []
        for token in cell.split():
            m = _RULE.match(token)
            if m:
                rules.append(Rule(weekday=WEEKDAYS.index(m.group(1)), nth=int(m.group(2)) if m.group(2) else None))
            elif (d := parse_date(token)) is not None:
                rules.append(Rule(on=d))
            elif token not in {"-", "なし", "*"}:
                log.warning("area_days.csv: rule %r not understood; ignored", token)
        return cls(tuple(rules), months)

    def matches(self, day: date) -> bool:
        if self.months and day.month not in self.months:
            return False
        return any(r.matches(day) for r in self.rules)

    def describe(self) -> str:
        """``毎週 月・木曜日`` / ``第2・第4 水曜日`` — for the citizen."""
        weekly = [WEEKDAYS[r.weekday] for r in self.rules if r.weekday is not None and r.nth is None]
        nth: dict[int, list[int]] = {}
        for r in self.rules:
            if r.weekday is not None and r.nth is not None:
                nth.setdefault(r.weekday, []).append(r.nth)
        parts = []
        if weekly:
            parts.append(f"毎週 {'・'.join(weekly)}曜日")
        for wd, ns in nth.items():
            parts.append(f"{'・'.join(f'第{n}' for n in sorted(ns))} {WEEKDAYS[wd]}曜日")
        if any(r.on for r in self.rules):
            parts.append("指定日")
        text = "、".join(parts)
        if self.months and text:
            text += f"（{'・'.join(str(m) for m in sorted(self.months))}月）"
        return text


@dataclass
class Area:
    name: str
    center: str
    schedules: dict[str, Schedule] = field(default_factory=dict)


class CollectionCalendar:
    def __init__(self, areas: Iterable[Area], closures: dict[str, list[tuple[date, date]]] | None = None) -> None:
        self.areas = {a.name: a for a in areas}
        self.closures = closures or {}

    @classmethod
    def load(cls, directory: str | Path) -> CollectionCalendar:
        d = Path(directory)
        areas = cls.parse_area_days((d / "area_days.csv").read_text(encoding="utf-8-sig"))
        center = d / "center.csv"
        closures = cls.parse_centers(center.read_text(encoding="utf-8-sig")) if center.is_file() else {}
        return cls(areas, closures)

    @staticmethod
    def parse_area_days(text: str) -> list[Area]:
        rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
        if not rows:
            return []
        header = [fold(h) for h in rows[0]]
        has_center = len(header) > 1 and "センター" in header[1]
        first = 2 if has_center else 1
        areas = []
        for row in rows[1:]:
            name = fold(row[0]) if row else ""
            if not name:
                continue
            area = Area(name, fold(row[1]) if has_center and len(row) > 1 else "")
            for i in range(first, len(header)):
                if header[i] and i < len(row) and row[i].strip():
                    area.schedules[header[i]] = Schedule.parse(row[i])
            areas.append(area)
        return areas

    @staticmethod
    def parse_centers(text: str) -> dict[str, list[tuple[date, date]]]:
        closures: dict[str, list[tuple[date, date]]] = {}
        for row in csv.reader(io.StringIO(text)):
            if len(row) < 3:
                continue
            start, end = parse_date(row[1]), parse_date(row[2])
            if start and end:
                closures.setdefault(fold(row[0]), []).append((start, end))
        return closures

    # -- questions ------------------------------------------------------------------------------
    @property
    def area_names(self) -> list[str]:
        return list(self.areas)

    @property
    def categories(self) -> list[str]:
        """Every category some area collects, in the file's column order."""
        return list(dict.fromkeys(c for a in self.areas.values() for c in a.schedules))

    def categories_of(self, area: str) -> list[str]:
        return list(self.areas[area].schedules) if area in self.areas else []

    def find_area(self, text: str) -> str | None:
        """The area a citizen means (``本町です`` → ``本町``): exact, then the longest contained name."""
        t = fold(text).replace("ケ", "ヶ")
        for name in self.areas:
            if fold(name).replace("ケ", "ヶ") == t:
                return name
        hits = [n for n in self.areas if fold(n).replace("ケ", "ヶ") in t]
        return max(hits, key=len) if hits else None

    def category_key(self, area: str, category: str) -> str | None:
        schedules = self.areas[area].schedules
        if category in schedules:
            return category
        c = fold(category)
        for key in schedules:
            if fold(key) == c or fold(key) in c or c in fold(key):
                return key
        return None

    def closed(self, area: str, day: date) -> bool:
        center = self.areas[area].center
        return any(start <= day <= end for start, end in self.closures.get(center, ()))

    def schedule(self, area: str, category: str) -> Schedule | None:
        if area not in self.areas:
            return None
        key = self.category_key(area, category)
        return self.areas[area].schedules[key] if key else None

    def next_day(self, area: str, category: str, start: date, *, horizon: int = 400) -> date | None:
        """The first collection of ``category`` in ``area`` on or after ``start``; None if none is planned."""
        sched = self.schedule(area, category)
        if sched is None or not sched.rules:
            return None
        for i in range(horizon):
            day = start + timedelta(days=i)
            if sched.matches(day) and not self.closed(area, day):
                return day
        return None

    def collections_on(self, area: str, day: date) -> list[str]:
        if area not in self.areas or self.closed(area, day):
            return []
        return [c for c, s in self.areas[area].schedules.items() if s.matches(day)]
