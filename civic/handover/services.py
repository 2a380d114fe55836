"""Hand-over work, taking the caller's session (the turn's or an admin view's transaction): a
citizen asks for a person, talks to staff, staff take the conversation, reply and close.

Nothing here commits. Messages to the citizen go through the notifier port
(``civic.notify.CitizenNotifier``) inside the same transaction: one outbox row with its own retry
key per staff message, sent once the change commits — exactly once, even across a crash.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.clock import TOKYO, utc
from civic.handover.models import CITIZEN, CLOSED, NOTE, OPEN, STAFF, Handover, HandoverMessage
from civic.notify import CitizenNotifier, Notice, NoticeAction

#: What the citizen is told when staff close the conversation (then asked to rate it).
CLOSED_TEXT = ("職員とのやりとりを終了しました。ご利用ありがとうございました。\n"
               "これからは自動応答（ボット）がお答えします。\nよろしければ、今回の対応についてお聞かせください。")

#: Notice kinds (the outbox / talk log).
REPLY, CLOSED_NOTICE = "handover.reply", "handover.closed"


#: The PostgreSQL channel the console's live view listens on (``civic.handover.feed``).
FEED_CHANNEL = "madoguchi_handover"


async def announce(session: AsyncSession, handover_id: int | None) -> None:
    """Tell live views (every instance on this PostgreSQL) that a hand-over changed: a ``NOTIFY``
    sent when the transaction commits, never before. SQLite has none: the views look every second."""
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        await session.exec(sa.text("SELECT pg_notify(:channel, :payload)").bindparams(  # type: ignore[call-overload]
            channel=FEED_CHANNEL, payload=str(handover_id or 0)))


class HandoverError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Staff:
    id: int | None
    name: str


async def open_for(session: AsyncSession, channel_user_id: str) -> Handover | None:
    return (await session.exec(select(Handover).where(Handover.channel_user_id == channel_user_id,
                                                      Handover.status == OPEN)
                               .order_by(col(Handover.id).desc()))).first()


async def request(session: AsyncSession, channel_user_id: str, *, channel: str, now: datetime,
                  reason: str = "asked", queued: bool = False) -> tuple[Handover, bool]:
    """The citizen's open hand-over, opened now when there is none. Second: whether it is new."""
    existing = await open_for(session, channel_user_id)
    if existing is not None:
        return existing, False
    row = Handover(channel_user_id=channel_user_id, channel=channel, reason=reason, queued=queued,
                   waiting_since=now)
    session.add(row)
    await session.flush()
    await announce(session, row.id)
    return row, True


async def record_citizen(session: AsyncSession, handover: Handover, *, kind: str, text: str, now: datetime,
                         message_id: str | None = None, jpeg: bytes | None = None) -> HandoverMessage:
    """A citizen's message for staff; a photo (``jpeg``, already sanitised) is kept with it."""
    row = HandoverMessage(handover_id=_id(handover), author=CITIZEN, kind=kind, text=text, message_id=message_id,
                          image=base64.b64encode(jpeg).decode("ascii") if jpeg else None, at=now)
    session.add(row)
    await session.flush()
    await announce(session, handover.id)
    return row


async def load(session: AsyncSession, handover_id: int) -> Handover:
    row = await session.get(Handover, handover_id)
    if row is None:
        raise HandoverError(404, "not_found", f"ハンドオーバー {handover_id} はありません。")
    return row


async def assign(session: AsyncSession, handover_id: int, staff: Staff) -> Handover:
    """Take the conversation: a conditional UPDATE, so of two staff racing exactly one wins (409 for
    the other). Taking one's own again is fine."""
    row = await load(session, handover_id)
    if row.status != OPEN:
        raise HandoverError(409, "closed", "このハンドオーバーはすでに終了しています。")
    result = await session.exec(
        sa.update(Handover)
        .where(col(Handover.id) == handover_id, col(Handover.status) == OPEN,
               sa.or_(col(Handover.assignee_id).is_(None), col(Handover.assignee_id) == staff.id))
        .values(assignee_id=staff.id, assignee_name=staff.name)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        await session.refresh(row)
        raise HandoverError(409, "taken", f"このハンドオーバーはすでに {row.assignee_name or '別の職員'} さんが担当しています。")
    await session.refresh(row)
    await announce(session, handover_id)
    return row


async def reply(session: AsyncSession, handover_id: int, staff: Staff, text: str, *, now: datetime,
                notifier: CitizenNotifier) -> HandoverMessage:
    """A staff message to the citizen (a LINE push through the outbox, its own retry key)."""
    row = await load(session, handover_id)
    if row.status != OPEN:
        raise HandoverError(409, "closed", "このハンドオーバーはすでに終了しています。")
    if row.assignee_id is not None and row.assignee_id != staff.id:
        raise HandoverError(409, "taken", f"このハンドオーバーは {row.assignee_name} さんが担当しています。")
    if row.assignee_id is None:
        row = await assign(session, handover_id, staff)  # answering takes it
    message = HandoverMessage(handover_id=handover_id, author=STAFF, kind="text", text=text, staff_id=staff.id,
                              staff_name=staff.name, at=now)
    session.add(message)
    if row.first_reply_at is None:
        row.first_reply_at = now
        session.add(row)
    await notifier.notify(session, Notice(row.channel_user_id, REPLY, f"【職員より】\n{text}", channel=row.channel))
    await session.flush()
    await announce(session, handover_id)
    return message


async def note(session: AsyncSession, handover_id: int, staff: Staff, text: str, *, now: datetime) -> HandoverMessage:
    """An internal note for colleagues: never sent to the citizen."""
    await load(session, handover_id)
    message = HandoverMessage(handover_id=handover_id, author=NOTE, text=text, staff_id=staff.id,
                              staff_name=staff.name, at=now)
    session.add(message)
    await session.flush()
    await announce(session, handover_id)
    return message


async def transfer(session: AsyncSession, handover_id: int, *, to: Staff | None, department: str,
                   by: Staff, now: datetime) -> Handover:
    """Pass the conversation to a colleague (``to``: now theirs) or to a department (nobody's until
    someone there takes it). A note in the conversation says who passed it to whom."""
    row = await load(session, handover_id)
    if row.status != OPEN:
        raise HandoverError(409, "closed", "このハンドオーバーはすでに終了しています。")
    if row.assignee_id is not None and row.assignee_id != by.id:
        raise HandoverError(409, "taken", f"このハンドオーバーは {row.assignee_name} さんが担当しています。")
    values: dict[str, object] = {"assignee_id": to.id if to else None, "assignee_name": to.name if to else ""}
    if department:
        values["department"] = department
    result = await session.exec(
        sa.update(Handover).where(col(Handover.id) == handover_id, col(Handover.status) == OPEN,
                                  sa.or_(col(Handover.assignee_id).is_(None), col(Handover.assignee_id) == by.id))
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # taken or closed meanwhile
        raise HandoverError(409, "taken", "このハンドオーバーはほかの職員が担当しているか、終了しています。")
    await session.refresh(row)
    where = "、".join(x for x in (department and f"{department}", to and f"{to.name} さん") if x)
    session.add(HandoverMessage(handover_id=handover_id, author=NOTE, text=f"{by.name} さんが {where} に引き継ぎました。",
                                staff_id=by.id, staff_name=by.name, at=now))
    await session.flush()
    await announce(session, handover_id)
    return row


def rating_actions(handover_id: int) -> tuple[NoticeAction, ...]:
    return (NoticeAction("満足", f"handover=rate&id={handover_id}&v=good"),
            NoticeAction("不満", f"handover=rate&id={handover_id}&v=bad"))


async def close(session: AsyncSession, handover_id: int, *, by: str, now: datetime,
                notifier: CitizenNotifier | None) -> Handover:
    """End the hand-over; the bot answers again. Closed by staff, the citizen is told and asked to
    rate it (満足 / 不満)."""
    row = await load(session, handover_id)
    if row.status != OPEN:
        raise HandoverError(409, "closed", "このハンドオーバーはすでに終了しています。")
    result = await session.exec(
        sa.update(Handover).where(col(Handover.id) == handover_id, col(Handover.status) == OPEN)
        .values(status=CLOSED, closed_at=now, closed_by=by).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise HandoverError(409, "closed", "このハンドオーバーはすでに終了しています。")
    await session.refresh(row)
    await announce(session, handover_id)
    if by == STAFF and notifier is not None:
        await notifier.notify(session, Notice(
            row.channel_user_id, CLOSED_NOTICE,
            CLOSED_TEXT,
            actions=rating_actions(handover_id), channel=row.channel))
    return row


async def rate(session: AsyncSession, handover_id: int, channel_user_id: str, value: str) -> bool:
    """The citizen's 満足 / 不満 of a closed hand-over of theirs (once)."""
    row = await session.get(Handover, handover_id)
    if row is None or row.channel_user_id != channel_user_id or row.status != CLOSED or row.rating \
            or value not in {"good", "bad"}:
        return False
    row.rating = value
    session.add(row)
    await session.flush()
    return True


async def messages_of(session: AsyncSession, handover_id: int, *, after: int = 0) -> list[HandoverMessage]:
    return list((await session.exec(select(HandoverMessage).where(HandoverMessage.handover_id == handover_id,
                                                                  col(HandoverMessage.id) > after)
                                    .order_by(col(HandoverMessage.id)))).all())


async def listing(session: AsyncSession, status: str | None, *, limit: int = 200) -> list[Handover]:
    query = select(Handover)
    if status:
        query = query.where(Handover.status == status)
    order = col(Handover.waiting_since) if status == OPEN else col(Handover.id).desc()
    return list((await session.exec(query.order_by(order).limit(limit))).all())


def _id(handover: Handover) -> int:
    assert handover.id is not None
    return handover.id


async def last_message_ids(session: AsyncSession, handover_ids: list[int]) -> dict[int, int]:
    """The newest message id of each hand-over (the console's unread check)."""
    if not handover_ids:
        return {}
    rows = (await session.exec(select(HandoverMessage.handover_id, sa.func.max(HandoverMessage.id))
                               .where(col(HandoverMessage.handover_id).in_(handover_ids))
                               .group_by(col(HandoverMessage.handover_id)))).all()
    return {int(h): int(m or 0) for h, m in rows}


@dataclass(frozen=True)
class DayFigures:
    day: date
    handovers: int
    answered: int
    #: Waiting time to the first staff reply, in seconds (None: no reply that day).
    first_reply_p50: float | None
    first_reply_p90: float | None
    satisfied: int
    dissatisfied: int
    handled_by: dict[str, int]


async def figures(session: AsyncSession, since: date, until: date) -> list[DayFigures]:
    """Hand-overs per day (Japan time) from ``since`` to ``until`` inclusive: how many, the waiting
    time to the first staff reply (median, 90th percentile), satisfaction, who handled them."""
    by_day: dict[date, list[Handover]] = {}
    for row in await _asked_between(session, since, until):
        by_day.setdefault(utc(row.waiting_since).astimezone(TOKYO).date(), []).append(row)
    out: list[DayFigures] = []
    day = since
    while day <= until:
        out.append(_summary(day, by_day.get(day, [])))
        day += timedelta(days=1)
    return out


async def period_figures(session: AsyncSession, since: date, until: date) -> DayFigures:
    """The same figures for the whole period (its median is of all its hand-overs, not of days)."""
    return _summary(since, await _asked_between(session, since, until))


async def _asked_between(session: AsyncSession, since: date, until: date) -> list[Handover]:
    start = datetime.combine(since, time(0), tzinfo=TOKYO)
    end = datetime.combine(until + timedelta(days=1), time(0), tzinfo=TOKYO)
    return list((await session.exec(select(Handover).where(col(Handover.waiting_since) >= start,
                                                           col(Handover.waiting_since) < end))).all())


def _summary(day: date, rows: list[Handover]) -> DayFigures:
    waits = sorted((utc(r.first_reply_at) - utc(r.waiting_since)).total_seconds() for r in rows
                   if r.first_reply_at is not None)
    handled: dict[str, int] = {}
    for r in rows:
        if r.assignee_name:
            handled[r.assignee_name] = handled.get(r.assignee_name, 0) + 1
    return DayFigures(day, len(rows), len(waits), _percentile(waits, 0.5), _percentile(waits, 0.9),
                      sum(r.rating == "good" for r in rows), sum(r.rating == "bad" for r in rows), handled)


def _percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of sorted ``values``."""
    if not values:
        return None
    return values[max(0, math.ceil(q * len(values)) - 1)]
