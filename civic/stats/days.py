"""Days as the town counts them: Asia/Tokyo calendar days, stored as UTC ranges."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from civic.clock import TOKYO


def day_start(day: date) -> datetime:
    """00:00 Tokyo of ``day``, in UTC."""
    return datetime.combine(day, time(0), tzinfo=TOKYO).astimezone(UTC)


def day_range(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """[since 00:00, the day after until 00:00) in UTC; ``until`` is inclusive."""
    return (day_start(since) if since else None,
            day_start(until + timedelta(days=1)) if until else None)


def days(since: date, until: date) -> Iterator[date]:
    day = since
    while day <= until:
        yield day
        day += timedelta(days=1)


def tokyo_date(at: datetime) -> date:
    return at.astimezone(TOKYO).date()
