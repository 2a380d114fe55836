"""When staff answer hand-overs: the town's office hours, national holidays (jpholiday) and the
year-end closure (12/29–1/3). Everything in Japan time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import jpholiday

from civic.clock import TOKYO, utc


@dataclass(frozen=True)
class OfficeHours:
    opens: time = time(8, 30)
    closes: time = time(17, 15)
    #: Weekdays staff answer (Monday = 0).
    weekdays: frozenset[int] = frozenset(range(5))
    #: Roughly how long a reply takes in hours, told to the citizen (minutes).
    reply_minutes: int = 10

    @classmethod
    def from_settings(cls, raw: dict[str, Any] | None) -> OfficeHours:
        raw = raw or {}
        opens, _, closes = str(raw.get("hours") or "08:30-17:15").partition("-")
        return cls(_hm(opens, time(8, 30)), _hm(closes, time(17, 15)),
                   frozenset(int(d) for d in raw.get("weekdays", range(5))),
                   int(raw.get("reply_minutes", 10)))

    def business_day(self, day: date) -> bool:
        if day.weekday() not in self.weekdays or jpholiday.is_holiday(day):
            return False
        return not ((day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3))

    def is_open(self, now: datetime) -> bool:
        local = utc(now).astimezone(TOKYO)
        return self.business_day(local.date()) and self.opens <= local.time().replace(tzinfo=None) < self.closes

    def next_opening(self, now: datetime) -> datetime:
        """When staff are next available (Japan time); ``now`` itself when they are now."""
        local = utc(now).astimezone(TOKYO)
        if self.is_open(now):
            return local
        day = local.date()
        if local.time().replace(tzinfo=None) >= self.opens:
            day += timedelta(days=1)
        while not self.business_day(day):
            day += timedelta(days=1)
        return datetime.combine(day, self.opens, tzinfo=TOKYO)

    @property
    def label(self) -> str:
        return f"{self.opens.hour}:{self.opens.minute:02d}〜{self.closes.hour}:{self.closes.minute:02d}"


def _hm(raw: str, default: time) -> time:
    hh, _, mm = raw.strip().partition(":")
    try:
        return time(int(hh), int(mm or 0))
    except ValueError:
        return default
