"""Japanese dates and times, resolved against an injected ``now`` (Asia/Tokyo).

Own rules rather than ja-timex (see nlu/README.md): we need resolution relative to the caller's
clock (来週の土曜, 明後日), rejection of impossible dates (2月30日 yields nothing), weekday checks
(12月5日(土)), era years (令和8年) and start/end roles for ranges (2時から4時まで).

Values: dates ``"YYYY-MM-DD"``; clock times ``"HH:MM"``; a bare part of day (午前, 夜) gives
``"morning"``/``"afternoon"``/``"evening"``/``"night"`` (``"day"`` for 終日), with ``additional_info.whole``
when the whole part is meant (午後いっぱい). 「2時間」 is a length (``durations``), never 14:00. A bare hour from 1 to 6 without 午前/朝 is read
as afternoon (13–18時): at a town counter "2時から4時" means 14:00–16:00.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..normalize import fold_with_offsets
from .numbers import NUM, to_int
from .types import Entity, make_entity

__all__ = ["TOKYO", "extract_dates", "extract_times", "local_today"]

TOKYO = ZoneInfo("Asia/Tokyo")
_EXTRACTOR = "dates"
_WEEKDAYS = "月火水木金土日"
_ERAS = {"令和": 2018, "r": 2018, "平成": 1988, "h": 1988, "昭和": 1925, "s": 1925}
_RELATIVE_DAYS = {
    "一昨日": -2, "おととい": -2, "昨日": -1, "きのう": -1, "今日": 0, "本日": 0, "きょう": 0,
    "明日": 1, "あした": 1, "あす": 1, "明後日": 2, "あさって": 2, "明明後日": 3, "明々後日": 3, "しあさって": 3,
}
_WEEK_OFFSETS = {"先週": -1, "今週": 0, "来週": 1, "再来週": 2}
_MONTH_OFFSETS = {"先月": -1, "今月": 0, "来月": 1, "再来月": 2}

_WD = r"\s*[(（]\s*(?P<wd>[月火水木金土日])(?:曜日?)?\s*[)）]"
_ERA_DATE = re.compile(rf"(?P<era>令和|平成|昭和|[rhs])\s*(?P<y>元|{NUM})\s*(?:年|[./])\s*(?P<m>{NUM})\s*(?:月|[./])\s*(?P<d>{NUM})\s*日?(?:{_WD})?")
_FULL_DATE = re.compile(rf"(?<![0-9])(?P<y>\d{{4}})\s*(?:年|[/.-])\s*(?P<m>\d{{1,2}})\s*(?:月|[/.-])\s*(?P<d>\d{{1,2}})(?![0-9])\s*日?(?:{_WD})?")
_MONTH_DAY = re.compile(
    rf"(?<![0-9〇一二三四五六七八九十/.-])(?:(?P<m>{NUM})\s*月\s*(?P<d>{NUM})\s*日|(?P<m2>\d{{1,2}})/(?P<d2>\d{{1,2}})(?![0-9/]))(?:{_WD})?"
)
_RELATIVE = re.compile("|".join(sorted(map(re.escape, _RELATIVE_DAYS), key=len, reverse=True)))
_DAYS_LATER = re.compile(rf"(?P<n>{NUM})\s*(?P<unit>日|週間)\s*後")
_WEEKDAY = re.compile(
    rf"(?:(?P<week>再来週|来週|今週|先週|次)\s*の?\s*)?(?P<wd>[{_WEEKDAYS}])\s*(?:曜日|曜)"
)
_NTH_WEEKDAY = re.compile(rf"(?P<month>再来月|来月|今月|先月)\s*の?\s*第\s*(?P<n>{NUM})\s*(?P<wd>[{_WEEKDAYS}])\s*(?:曜日|曜)?")
_MONTH_DAY_REL = re.compile(rf"(?P<month>再来月|来月|今月)\s*の?\s*(?P<d>{NUM})\s*日(?!間)")
_WEEKEND = re.compile(r"(?P<week>来週|今週)?\s*の?\s*週末")
_DAY_ONLY = re.compile(rf"(?<![0-9〇一二三四五六七八九十月/])(?P<d>{NUM})\s*日(?!間|後|前|以|目|曜|分|本|中|程|ほど|ぐらい|くらい)")

_PERIOD = r"午前|午後|朝|夕方|夜|昼|am|pm"
_TIME = rf"(?:(?P<p§>{_PERIOD})\s*)?(?:(?P<h§>{NUM})\s*時(?!間)\s*(?:(?P<half§>半)|(?P<min§>{NUM})\s*分)?|(?P<hh§>\d{{1,2}}):(?P<mm§>\d{{2}}))|(?P<noon§>正午)"
_TIME_RANGE = re.compile(
    "(?:" + _TIME.replace("§", "1") + r")\s*(?:(?P<from>から|より|〜|~|-|ー|–)\s*(?:" + _TIME.replace("§", "2") + r")\s*(?P<until>まで)?|(?P<only_from>から)|(?P<only_until>まで))?"
)
_PART_OF_DAY = re.compile(
    r"(?P<pod>午前中?|午後|夕方|夜間?|朝|昼間?|終日|一日中|1日中|丸一日|まる一日)"
    r"(?P<whole>\s*(?:いっぱい|一杯|ずっと|まるまる|まるごと|全部))?(?![0-9〇一二三四五六七八九十]|\s*[0-9])")
_POD_VALUES = {"午前": "morning", "午前中": "morning", "朝": "morning", "午後": "afternoon", "昼": "afternoon",
               "昼間": "afternoon", "夕方": "evening", "夜": "night", "夜間": "night"}
_WHOLE_DAY = ("終日", "一日中", "1日中", "丸一日", "まる一日")


def local_today(now: datetime) -> date:
    """The calendar date in Tokyo for ``now`` (naive datetimes are taken as Tokyo time)."""
    if now.tzinfo is None:
        return now.date()
    return now.astimezone(TOKYO).date()


def _safe_date(y: int | None, m: int | None, d: int | None) -> date | None:
    if y is None or m is None or d is None:
        return None
    try:
        return date(y, m, d)
    except (ValueError, OverflowError):
        return None


def _span(index: list[int], m: re.Match, group: int | str = 0) -> tuple[int, int]:
    return index[m.start(group)], index[m.end(group) - 1] + 1


def _with_weekday(candidates: list[date | None], wd: str | None) -> tuple[date, float] | None:
    valid = [c for c in candidates if c is not None]
    if not valid:
        return None
    if wd is None:
        return valid[0], 1.0
    target = _WEEKDAYS.index(wd)
    for c in valid:
        if c.weekday() == target:
            return c, 1.0
    return valid[0], 0.5  # the weekday written does not match: keep the date, flag low confidence


def extract_dates(text: str, now: datetime) -> list[Entity]:
    """Every date expression in ``text`` resolved to an ISO date; impossible dates are dropped."""
    folded, index = fold_with_offsets(text)
    today = local_today(now)
    found: list[Entity] = []
    taken: list[tuple[int, int]] = []

    def add(m: re.Match, value: date | None, confidence: float = 1.0, **info: object) -> None:
        s, e = m.start(), m.end()
        while e > s and folded[e - 1].isspace():
            e -= 1
        if any(not (e <= a or s >= b) for a, b in taken):
            return
        taken.append((s, e))  # claim the span even when invalid, so 2月30日 does not become "30日"
        if value is not None:
            found.append(make_entity("date", value.isoformat(), index[s], index[e - 1] + 1, _EXTRACTOR,
                                     confidence=confidence, additional_info=dict(info) or None))

    for m in _ERA_DATE.finditer(folded):
        y = 1 if m.group("y") == "元" else to_int(m.group("y"))
        base = _ERAS[m.group("era")]
        chosen = _with_weekday([_safe_date(base + y if y else None, to_int(m.group("m")), to_int(m.group("d")))],
                               m.group("wd"))
        add(m, chosen[0] if chosen else None, chosen[1] if chosen else 1.0)
    for m in _FULL_DATE.finditer(folded):
        chosen = _with_weekday([_safe_date(int(m.group("y")), int(m.group("m")), int(m.group("d")))], m.group("wd"))
        add(m, chosen[0] if chosen else None, chosen[1] if chosen else 1.0)
    for m in _MONTH_DAY.finditer(folded):
        month = to_int(m.group("m") or m.group("m2"))
        day = to_int(m.group("d") or m.group("d2"))
        this_year = _safe_date(today.year, month, day)
        next_year = _safe_date(today.year + 1, month, day)
        if month == 2 and day == 29 and this_year is None and next_year is None:  # next leap year
            y = today.year + 1
            while _safe_date(y, 2, 29) is None and y < today.year + 8:
                y += 1
            this_year = _safe_date(y, 2, 29)
        # a date more than 30 days back is read as next year's
        ordered = [next_year, this_year] if this_year and this_year < today - timedelta(days=30) else [this_year, next_year]
        chosen = _with_weekday([c for c in ordered if c], m.group("wd"))
        add(m, chosen[0] if chosen else None, chosen[1] if chosen else 1.0)
    for m in _NTH_WEEKDAY.finditer(folded):
        n = to_int(m.group("n")) or 0
        first = _add_months(today.replace(day=1), _MONTH_OFFSETS[m.group("month")])
        delta = (_WEEKDAYS.index(m.group("wd")) - first.weekday()) % 7
        value = first + timedelta(days=delta + 7 * (n - 1))
        add(m, value if 1 <= n <= 5 and value.month == first.month else None)
    for m in _MONTH_DAY_REL.finditer(folded):
        first = _add_months(today.replace(day=1), _MONTH_OFFSETS[m.group("month")])
        add(m, _safe_date(first.year, first.month, to_int(m.group("d"))))
    for m in _WEEKEND.finditer(folded):
        monday = today - timedelta(days=today.weekday())
        add(m, monday + timedelta(days=5 + 7 * _WEEK_OFFSETS.get(m.group("week") or "今週", 0)))
    for m in _WEEKDAY.finditer(folded):
        target = _WEEKDAYS.index(m.group("wd"))
        week = m.group("week")
        if week in _WEEK_OFFSETS:
            monday = today - timedelta(days=today.weekday()) + timedelta(weeks=_WEEK_OFFSETS[week])
            value = monday + timedelta(days=target)
        else:  # 土曜 / 次の土曜: the next such day (today counts unless 次 was said)
            delta = (target - today.weekday()) % 7
            if week == "次" and delta == 0:
                delta = 7
            value = today + timedelta(days=delta)
        add(m, value)
    for m in _DAYS_LATER.finditer(folded):
        days = to_int(m.group("n"))
        if days is not None and days <= 3660:
            add(m, today + timedelta(days=days * (7 if m.group("unit") == "週間" else 1)))
    for m in _RELATIVE.finditer(folded):
        add(m, today + timedelta(days=_RELATIVE_DAYS[m.group(0)]))
    for m in _DAY_ONLY.finditer(folded):
        d = to_int(m.group("d"))
        if d is None or not 1 <= d <= 31:
            continue
        candidates = [_safe_date(today.year, today.month, d)]
        nxt = _add_months(today.replace(day=1), 1)
        candidates.append(_safe_date(nxt.year, nxt.month, d))
        valid = [c for c in candidates if c is not None and c >= today]
        add(m, valid[0] if valid else None, 0.8)
    return sorted(found, key=lambda e: e["start"])


def _add_months(d: date, months: int) -> date:
    total = d.year * 12 + d.month - 1 + months
    return d.replace(year=total // 12, month=total % 12 + 1)


def _clock(m: re.Match, i: int) -> tuple[int, int, str | None] | None:
    h: int | None
    minute: int | None
    if m.group(f"noon{i}"):
        return 12, 0, "noon"
    period = m.group(f"p{i}")
    if m.group(f"hh{i}") is not None:
        h, minute = int(m.group(f"hh{i}")), int(m.group(f"mm{i}"))
    elif m.group(f"h{i}") is not None:
        h = to_int(m.group(f"h{i}"))
        minute = 30 if m.group(f"half{i}") else (to_int(m.group(f"min{i}")) if m.group(f"min{i}") else 0)
        if h is None or minute is None:
            return None
    else:
        return None
    if period in ("午後", "夕方", "夜", "pm") and h < 12:
        h += 12
    elif period in ("午前", "朝", "am") and h == 12:
        h = 0
    if not (0 <= h <= 24 and 0 <= minute < 60) or (h == 24 and minute):
        return None
    return h, minute, period


def _fmt(h: int, minute: int) -> str:
    return f"{h:02d}:{minute:02d}"


def extract_times(text: str, now: datetime | None = None) -> list[Entity]:
    """Clock times (午後2時, 14時半, 14:30) with roles for ranges, and bare parts of day (午前)."""
    del now  # clock times do not depend on the day; kept for a uniform extractor signature
    folded, index = fold_with_offsets(text)
    out: list[Entity] = []
    covered: list[tuple[int, int]] = []
    for m in _TIME_RANGE.finditer(folded):
        first = _clock(m, 1)
        if first is None:
            continue
        h1, m1, p1 = first
        second = _clock(m, 2) if m.group("from") else None
        if p1 is None and 1 <= h1 <= 6:  # bare 1–6時: afternoon at a town counter
            h1 += 12
        s1, e1 = _first_time_span(m)
        if second is not None:
            h2, m2, p2 = second
            if p2 is None and (h2 + 12, m2) > (h1, m1) and (h2, m2) <= (h1, m1) and h2 < 12:
                h2 += 12  # 午後2時から4時 → 16:00; 10時から2時 → 14:00
            s2, e2 = _second_time_span(m)
            out.append(make_entity("time", _fmt(h1, m1), index[s1], index[e1 - 1] + 1, _EXTRACTOR, role="start"))
            out.append(make_entity("time", _fmt(h2, m2), index[s2], index[e2 - 1] + 1, _EXTRACTOR, role="end"))
        else:
            role = "start" if m.group("only_from") else ("end" if m.group("only_until") else None)
            out.append(make_entity("time", _fmt(h1, m1), index[s1], index[e1 - 1] + 1, _EXTRACTOR, role=role))
        covered.append((m.start(), m.end()))
    for m in _PART_OF_DAY.finditer(folded):
        if any(not (m.end() <= a or m.start() >= b) for a, b in covered):
            continue
        s, e = _span(index, m)
        pod = m.group("pod")
        whole = bool(m.group("whole")) or pod in _WHOLE_DAY
        info: dict[str, object] = {"grain": "part_of_day", **({"whole": True} if whole else {})}
        out.append(make_entity("time", "day" if pod in _WHOLE_DAY else _POD_VALUES[pod], s, e, _EXTRACTOR,
                               confidence=0.8, additional_info=info))
    return sorted(out, key=lambda e: e["start"])


def _first_time_span(m: re.Match) -> tuple[int, int]:
    groups = ["p1", "h1", "hh1", "noon1"]
    start = min(m.start(g) for g in groups if m.start(g) >= 0)
    ends = [m.end(g) for g in ("h1", "half1", "min1", "mm1", "noon1") if m.end(g) >= 0]
    end = max(ends)
    if m.group("h1") is not None and not m.group("half1") and not m.group("min1"):
        end = m.end("h1") + _skip_to(m.string, m.end("h1"), "時")
    elif m.group("min1"):
        end = m.end("min1") + _skip_to(m.string, m.end("min1"), "分")
    return start, end


def _second_time_span(m: re.Match) -> tuple[int, int]:
    groups = ["p2", "h2", "hh2", "noon2"]
    start = min(m.start(g) for g in groups if m.start(g) >= 0)
    end = max(m.end(g) for g in ("h2", "half2", "min2", "mm2", "noon2") if m.end(g) >= 0)
    if m.group("h2") is not None and not m.group("half2") and not m.group("min2"):
        end = m.end("h2") + _skip_to(m.string, m.end("h2"), "時")
    elif m.group("min2"):
        end = m.end("min2") + _skip_to(m.string, m.end("min2"), "分")
    return start, end


def _skip_to(s: str, pos: int, ch: str) -> int:
    """Characters from ``pos`` up to and including the next ``ch`` (spaces allowed between)."""
    i = pos
    while i < len(s) and s[i].isspace():
        i += 1
    return i - pos + 1 if i < len(s) and s[i] == ch else 0
