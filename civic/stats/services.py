"""Daily figures for managers (国富町 §9(2)(ウ)⑦): friends and blocks, activity, chatbot use, fallbacks.

Days are Tokyo calendar days. Talk counts are grouped by the database (one query per figure set),
friendship history is replayed in order so that re-follows after a block count right.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.citizens.models import FriendshipEvent
from civic.stats.days import day_range, days, tokyo_date
from civic.talklog.models import TalkEntry

FALLBACK_INTENT = "nlu_fallback"


@dataclass
class DailyFigures:
    day: date
    friends: int = 0  # friends at the end of the day
    follows: int = 0  # new friends (follow events) that day
    blocks: int = 0  # unfollow (block) events that day
    blocked: int = 0  # citizens whose latest event is a block, at the end of the day
    active_users: int = 0  # citizens who sent anything that day
    messages_in: int = 0
    messages_out: int = 0
    understood: int = 0  # incoming messages given an intent other than the fallback
    fallbacks: int = 0
    richmenu_taps: int = 0

    @property
    def fallback_rate(self) -> float | None:
        judged = self.understood + self.fallbacks
        return round(self.fallbacks / judged, 4) if judged else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "fallback_rate": self.fallback_rate}


async def _dialect(session: AsyncSession) -> str:
    return (await session.connection()).dialect.name


def tokyo_day(column: Any, dialect: str) -> Any:
    """The Tokyo calendar day of a UTC timestamp column, as 'YYYY-MM-DD' text."""
    if dialect == "sqlite":
        return sa.func.date(column, "+9 hours")
    return sa.func.to_char(sa.func.timezone("Asia/Tokyo", column), "YYYY-MM-DD")


async def _friendship(session: AsyncSession, figures: dict[date, DailyFigures], since: date, until: date) -> None:
    _, end = day_range(None, until)
    rows = (await session.exec(select(FriendshipEvent.citizen_id, FriendshipEvent.kind, FriendshipEvent.at)
                               .where(col(FriendshipEvent.at) < end).order_by(col(FriendshipEvent.at), col(FriendshipEvent.id)))).all()
    state: dict[int, str] = {}
    friends = blocked = 0
    ordered = sorted(figures)
    i = 0

    def close_days_before(day: date) -> None:
        nonlocal i
        while i < len(ordered) and ordered[i] < day:
            figures[ordered[i]].friends, figures[ordered[i]].blocked = friends, blocked
            i += 1

    for citizen_id, kind, at in rows:
        day = tokyo_date(at)
        close_days_before(day)
        previous = state.get(citizen_id)
        if kind == "follow" and previous != "follow":
            friends += 1
            blocked -= previous == "unfollow"
        elif kind == "unfollow" and previous == "follow":
            friends -= 1
            blocked += 1
        elif kind == "unfollow" and previous is None:
            blocked += 1  # followed before the history began
        state[citizen_id] = kind
        if since <= day <= until:
            if kind == "follow":
                figures[day].follows += 1
            elif kind == "unfollow":
                figures[day].blocks += 1
    close_days_before(date.max)


async def _talk(session: AsyncSession, figures: dict[date, DailyFigures], since: date, until: date) -> None:
    start, end = day_range(since, until)
    bucket = tokyo_day(TalkEntry.at, await _dialect(session)).label("day")
    rows = (await session.exec(
        select(bucket, col(TalkEntry.direction), sa.func.count(),  # type: ignore[call-overload]  # SQLModel's select()/exec() are typed for at most four columns
               sa.func.count(sa.distinct(col(TalkEntry.channel_user_id))),
               sa.func.sum(sa.case((col(TalkEntry.intent) == FALLBACK_INTENT, 1), else_=0)),
               sa.func.sum(sa.case((sa.and_(col(TalkEntry.intent).is_not(None), col(TalkEntry.intent) != FALLBACK_INTENT), 1),
                                   else_=0)))
        .where(col(TalkEntry.at) >= start, col(TalkEntry.at) < end)
        .group_by(bucket, TalkEntry.direction)
    )).all()
    for day_text, direction, count, users, fallbacks, understood in rows:
        day = date.fromisoformat(str(day_text))
        if day not in figures:
            continue
        f = figures[day]
        if direction == "in":
            f.messages_in, f.active_users = count, users
            f.fallbacks, f.understood = int(fallbacks or 0), int(understood or 0)
        else:
            f.messages_out = count


async def daily(session: AsyncSession, since: date, until: date,
                taps: dict[date, int] | None = None) -> list[DailyFigures]:
    """One row per Tokyo day in [since, until]; ``taps`` (rich-menu taps per day) come from the richmenus package."""
    figures = {day: DailyFigures(day) for day in days(since, until)}
    await _friendship(session, figures, since, until)
    await _talk(session, figures, since, until)
    for day, count in (taps or {}).items():
        if day in figures:
            figures[day].richmenu_taps = count
    return [figures[d] for d in sorted(figures)]


async def usage_by(session: AsyncSession, what: str, since: date, until: date) -> list[tuple[date, str, int]]:
    """(day, intent or flow, incoming messages) — chatbot use per day by ``what`` ("intent" or "flow")."""
    column = col(TalkEntry.intent) if what == "intent" else col(TalkEntry.flow)
    start, end = day_range(since, until)
    bucket = tokyo_day(TalkEntry.at, await _dialect(session)).label("day")
    rows = (await session.exec(
        select(bucket, column, sa.func.count())
        .where(col(TalkEntry.at) >= start, col(TalkEntry.at) < end, col(TalkEntry.direction) == "in", column.is_not(None))
        .group_by(bucket, column).order_by(bucket, sa.func.count().desc(), column)
    )).all()
    return [(date.fromisoformat(str(d)), cast(str, name), n) for d, name, n in rows]  # NULLs excluded above


@dataclass(frozen=True)
class Unanswered:
    text: str
    count: int
    users: int
    last_at: datetime


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold().rstrip("?？。!！")


async def unanswered(session: AsyncSession, since: date, until: date, *, limit: int = 50) -> list[Unanswered]:
    """Questions the bot could not place (fallback), most asked first. Text is decrypted here, so the
    grouping happens in Python; the caller masks it for roles without personal.view."""
    start, end = day_range(since, until)
    rows = (await session.exec(
        select(TalkEntry.text, TalkEntry.channel_user_id, TalkEntry.at)
        .where(col(TalkEntry.at) >= start, col(TalkEntry.at) < end, col(TalkEntry.direction) == "in",
               TalkEntry.intent == FALLBACK_INTENT)
    )).all()
    counts: Counter[str] = Counter()
    users: dict[str, set[str]] = defaultdict(set)
    shown: dict[str, str] = {}
    last: dict[str, datetime] = {}
    for text, user, at in rows:
        if not text:
            continue
        key = _normal(text)
        counts[key] += 1
        users[key].add(user)
        shown.setdefault(key, text.strip())
        last[key] = max(last.get(key, at), at)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], -len(users[kv[0]]), kv[0]))[:limit]
    return [Unanswered(shown[k], n, len(users[k]), last[k]) for k, n in ranked]
