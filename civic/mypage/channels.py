"""LINE, e-mail or both, per topic (``models.TOPICS``). No row: LINE — and for a web-only citizen
(no LINE) e-mail. E-mail reaches only a verified, subscribed address."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.citizens.models import Citizen
from civic.mypage.identity import WEB_PREFIX
from civic.mypage.models import BOTH, CHANNELS, EMAIL, LINE, TOPICS, MyPageChannel, MyPageEmail


async def choices(s: AsyncSession, citizen_id: int) -> dict[str, str]:
    rows = (await s.exec(select(MyPageChannel).where(MyPageChannel.citizen_id == citizen_id))).all()
    chosen = {r.topic: r.channel for r in rows}
    return {topic: chosen.get(topic, LINE) for topic in TOPICS}


async def set_choices(s: AsyncSession, citizen_id: int, wanted: dict[str, str]) -> dict[str, str]:
    for topic, channel in wanted.items():
        if topic not in TOPICS or channel not in CHANNELS:
            raise ValueError(topic)
    await s.exec(sa.delete(MyPageChannel).where(col(MyPageChannel.citizen_id) == citizen_id,
                                                col(MyPageChannel.topic).in_(list(wanted))))
    s.add_all([MyPageChannel(citizen_id=citizen_id, topic=t, channel=c) for t, c in wanted.items() if c != LINE])
    await s.flush()
    return await choices(s, citizen_id)


def wants_line(channel: str) -> bool:
    return channel in (LINE, BOTH)


def wants_email(channel: str) -> bool:
    return channel in (EMAIL, BOTH)


async def split(s: AsyncSession, user_ids: Iterable[str], topic: str) -> tuple[list[str], list[tuple[int, str]]]:
    """``user_ids`` (a delivery's recipients) as those to reach on LINE, in order, and (citizen id,
    address) of those to reach by e-mail: each citizen once per channel they chose."""
    users = list(user_ids)
    if not users:
        return [], []
    chosen: dict[str, str] = {}
    mail: dict[str, tuple[int, str]] = {}
    for start in range(0, len(users), 900):  # keep IN lists within every backend's limits
        part = users[start:start + 900]
        rows = (await s.exec(select(Citizen.channel_user_id, MyPageChannel.channel)
                             .join(MyPageChannel, col(MyPageChannel.citizen_id) == col(Citizen.id))
                             .where(col(Citizen.channel_user_id).in_(part), MyPageChannel.topic == topic))).all()
        chosen.update({u: c for u, c in rows})
        subscribed = (await s.exec(select(Citizen.channel_user_id, MyPageEmail).join(
            MyPageEmail, col(MyPageEmail.citizen_id) == col(Citizen.id)).where(
            col(Citizen.channel_user_id).in_(part), col(MyPageEmail.verified_at).is_not(None),
            col(MyPageEmail.unsubscribed_at).is_(None)))).all()
        mail.update({u: (e.citizen_id, e.address) for u, e in subscribed})
    line: list[str] = []
    email: list[tuple[int, str]] = []
    for u in users:
        web = u.startswith(WEB_PREFIX)
        channel = chosen.get(u, EMAIL if web else LINE)
        if wants_line(channel) and not web:
            line.append(u)
        if wants_email(channel) and u in mail:
            email.append(mail[u])
    return line, email
