"""When a delivery goes out: recurring rules and date-relative reminders (国富町 §9(2)(ア)⑨⑩).

All times are Japan Standard Time (no daylight saving), stored as UTC. A rule is JSON staff write:

    {"kind": "weekly", "weekdays": [0, 3], "time": "07:30", "start": "2026-12-01", "end": "2027-03-31"}
    {"kind": "monthly_day", "days": [1, 15, -1], "time": "09:00", "start": "2026-12-01"}   # -1: the last day
    {"kind": "monthly_nth", "nth": [[2, 1], [-1, 4]], "time": "18:00", "start": ...}    # 2nd Tue, last Fri
    {"kind": "daily", "time": "08:00", "start": ...}

Weekdays count from Monday = 0. A day that a month lacks (the 31st in June, a 5th Friday) is
skipped in that month — use -1 for "the last day". ``skip_holidays`` leaves out Japanese public
holidays (jpholiday).

A reminder goes to citizens ``offset`` days (or months) after a date they registered — a child's
birth date (健診の案内), a due date (negative: before):

    {"attribute": "children_birth_dates", "offset": 90, "unit": "days", "time": "10:00", "start": ...}
"""

from __future__ import annotations

import calendar
import datetime as dt
from datetime import date, datetime, time, timedelta
from typing import Literal

import jpholiday
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from civic.clock import TOKYO

WEEKDAY_NAMES = "月火水木金土日"
HORIZON_DAYS = 366 * 12  # a rule with no occurrence in twelve years has none


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="配信時刻（日本時間 HH:MM）")
    start: date
    end: date | None = None
    skip_holidays: bool = False

    @model_validator(mode="after")
    def _ordered(self):
        if self.end is not None and self.end < self.start:
            raise ValueError("終了日が開始日より前になっています。")
        return self

    @property
    def clock_time(self) -> dt.time:  # `time` is a field of this class
        hour, minute = self.time.split(":")
        return time(int(hour), int(minute))

    def at(self, day: date) -> datetime:
        return datetime.combine(day, self.clock_time, TOKYO)

    def _allowed(self, day: date) -> bool:
        return not (self.skip_holidays and jpholiday.is_holiday(day))


class Recurrence(_Rule):
    kind: Literal["daily", "weekly", "monthly_day", "monthly_nth"]
    weekdays: list[int] = Field(default_factory=list, max_length=7)
    days: list[int] = Field(default_factory=list, max_length=32)
    nth: list[tuple[int, int]] = Field(default_factory=list, max_length=35)

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, v: list[int]) -> list[int]:
        if any(not 0 <= d <= 6 for d in v):
            raise ValueError("曜日は 0（月）〜6（日）で指定してください。")
        return sorted(set(v))

    @field_validator("days")
    @classmethod
    def _days(cls, v: list[int]) -> list[int]:
        if any(not (1 <= d <= 31 or d == -1) for d in v):
            raise ValueError("日は 1〜31、月末は -1 で指定してください。")
        return sorted(set(v))

    @field_validator("nth")
    @classmethod
    def _nth(cls, v: list[tuple[int, int]]) -> list[tuple[int, int]]:
        if any(not (1 <= n <= 5 or n == -1) or not 0 <= d <= 6 for n, d in v):
            raise ValueError("第n曜日は [n（1〜5、最終は -1）, 曜日（0=月〜6=日）] で指定してください。")
        return sorted(set(v))

    @model_validator(mode="after")
    def _needs(self):
        needed = {"weekly": self.weekdays, "monthly_day": self.days, "monthly_nth": self.nth, "daily": [0]}
        if not needed[self.kind]:
            field = {"weekly": "weekdays", "monthly_day": "days", "monthly_nth": "nth"}[self.kind]
            raise ValueError(f"{field} を指定してください。")
        return self

    def matches(self, day: date) -> bool:
        if day < self.start or (self.end is not None and day > self.end) or not self._allowed(day):
            return False
        if self.kind == "daily":
            return True
        if self.kind == "weekly":
            return day.weekday() in self.weekdays
        last = calendar.monthrange(day.year, day.month)[1]
        if self.kind == "monthly_day":
            return day.day in self.days or (-1 in self.days and day.day == last)
        nth = (day.day - 1) // 7 + 1
        is_last = day.day + 7 > last
        return (nth, day.weekday()) in self.nth or (is_last and (-1, day.weekday()) in self.nth)

    def describe(self) -> str:
        when = {
            "daily": "毎日",
            "weekly": "毎週" + "・".join(WEEKDAY_NAMES[d] for d in self.weekdays) + "曜日",
            "monthly_day": "毎月" + "・".join("月末" if d == -1 else f"{d}日" for d in self.days),
            "monthly_nth": "毎月" + "・".join(("最終" if n == -1 else f"第{n}") + WEEKDAY_NAMES[d] + "曜日"
                                            for n, d in self.nth),
        }[self.kind]
        span = f"（{self.start.isoformat()}から" + (f"{self.end.isoformat()}まで）" if self.end else "）")
        return f"{when} {self.time}{span}" + ("・祝日を除く" if self.skip_holidays else "")


class Reminder(_Rule):
    """Daily at ``time``: to citizens whose ``attribute`` date is ``offset`` days/months before today."""

    attribute: str = Field(min_length=1, max_length=40)
    offset: int = Field(ge=-3650, le=36500)
    unit: Literal["days", "months"] = "days"

    def matches(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end) and self._allowed(day)

    def dates_for(self, day: date) -> list[date]:
        """Registered dates whose reminder falls on ``day`` (several for month ends: 29–31 Jan → 28 Feb)."""
        if self.unit == "days":
            return [day - timedelta(days=self.offset)]
        total = day.year * 12 + day.month - 1 - self.offset
        year, month = total // 12, total % 12 + 1
        if not 1 <= year <= 9999:
            return []
        last = calendar.monthrange(year, month)[1]
        return [date(year, month, d) for d in range(1, last + 1) if add_months(date(year, month, d), self.offset) == day]

    def describe(self) -> str:
        amount = f"{abs(self.offset)}{'日' if self.unit == 'days' else 'か月'}{'後' if self.offset >= 0 else '前'}"
        return f"「{self.attribute}」の{amount} {self.time}"


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the last day of the month when that month is shorter."""
    total = day.year * 12 + day.month - 1 + months
    year, month = total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


Rule = Recurrence | Reminder


def next_after(rule: Rule, after: datetime) -> datetime | None:
    """The first occurrence strictly after ``after`` (an aware datetime), or None when the rule ends."""
    local = after.astimezone(TOKYO)
    day = max(local.date(), rule.start)
    limit = day + timedelta(days=HORIZON_DAYS)
    while day <= limit:
        if rule.end is not None and day > rule.end:
            return None
        if rule.matches(day):
            at = rule.at(day)
            if at > after:
                return at
        day += timedelta(days=1)
    return None


def occurrences(rule: Rule, after: datetime, until: datetime, limit: int = 1000) -> list[datetime]:
    """Occurrences in (after, until]."""
    out: list[datetime] = []
    cursor = after
    while len(out) < limit:
        nxt = next_after(rule, cursor)
        if nxt is None or nxt > until:
            break
        out.append(nxt)
        cursor = nxt
    return out
