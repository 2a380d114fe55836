"""A delivery run as the my-page and the e-mail channel see it, fixed in the run's planning
transaction (``civic.deliveries.sending``): who gets it on LINE, who by e-mail (each citizen once
per channel they chose for ``general``), and a notice in each recipient's お知らせ.

E-mail subscribers without LINE (web-only citizens) are matched by the same filter as LINE friends.
Mails are queued with the key ``run:<run>:c:<citizen>``: planning is one transaction, and a second
plan of the same run queues nothing twice."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.citizens.models import Citizen
from civic.deliveries import recipients
from civic.deliveries.models import Delivery, DeliveryRun
from civic.mypage import channels, outbox, templates
from civic.mypage.identity import WEB_PREFIX
from civic.mypage.models import CHANNELS, MyPageChannel, MyPageEmail, MyPageNotice
from civic.rows import pk, table_of
from civic.segments import compiler
from civic.segments import services as segments

CITIZEN = table_of(Citizen)
NOTICE = table_of(MyPageNotice)


def message_text(messages: list[dict[str, Any]]) -> str:
    """What a delivery says, as plain text (images and cards by their alt text)."""
    parts = []
    for m in messages:
        if m.get("type") == "text":
            parts.append(str(m.get("text", "")))
        elif m.get("altText"):
            parts.append(str(m["altText"]))
        elif m.get("type") == "image":
            parts.append("（画像）")
    return "\n\n".join(p for p in parts if p)


async def web_subscribers(s: AsyncSession, delivery: Delivery, run: DeliveryRun, day: date) -> list[str]:
    """Web-only citizens with a verified address whom the delivery's filter matches."""
    node, audience = await recipients.filter_for(s, delivery, run, day)
    if audience != compiler.PRODUCTION:
        return []
    ctx = await segments.context(s, day)
    email = table_of(MyPageEmail)
    query = (sa.select(CITIZEN.c.channel_user_id).join(email, email.c.citizen_id == CITIZEN.c.id)
             .where(CITIZEN.c.channel_user_id.startswith(WEB_PREFIX), email.c.verified_at.is_not(None),
                    email.c.unsubscribed_at.is_(None), compiler.condition(node, ctx)).order_by(CITIZEN.c.id))
    return [r[0] for r in (await s.exec(query)).all()]  # type: ignore[call-overload]


async def plan(s: AsyncSession, now: datetime, delivery: Delivery, run: DeliveryRun, day: date,
               users: list[str], *, town: str = "", public_base_url: str = "") -> list[str]:
    """The LINE recipients of the run (``users`` less those who chose e-mail only); queues the mails
    and writes the notices. Test runs are left as they are (LINE test accounts only)."""
    if run.is_test:
        return users
    everyone = users + await web_subscribers(s, delivery, run, day)
    line, mail = await channels.split(s, everyone, "general")
    await _queue_mails(s, now, delivery, run, mail, town=town, public_base_url=public_base_url)
    reached = set(line) | {u for u in everyone if u.startswith(WEB_PREFIX)} | set(users)
    await record_notices(s, now, reached, kind="delivery", ref=f"run:{pk(run)}", title=delivery.title,
                         body=message_text(json.loads(delivery.messages)))
    return line


async def plan_in_database(s: AsyncSession, now: datetime, delivery: Delivery, run: DeliveryRun, day: date,
                           members: ColumnElement[bool], *, town: str = "",
                           public_base_url: str = "") -> ColumnElement[bool]:
    """``plan`` for a city (PostgreSQL, issue #19): the same decisions, with the recipients left in
    the database. ``members`` is the run's filter on ``citizen``; the result is the condition its
    LINE recipients meet. Only those with a verified address (few) and the web-only subscribers
    come into Python, for their mails; the notices are one ``INSERT … SELECT``."""
    if run.is_test:
        return members
    web = await web_subscribers(s, delivery, run, day)
    email = table_of(MyPageEmail)
    with_address = (sa.select(CITIZEN.c.channel_user_id).join(email, email.c.citizen_id == CITIZEN.c.id)
                    .where(members, email.c.verified_at.is_not(None), email.c.unsubscribed_at.is_(None))
                    .order_by(CITIZEN.c.id))
    candidates = [r[0] for r in (await s.exec(with_address)).all()]  # type: ignore[call-overload]
    _, mail = await channels.split(s, candidates + web, "general")  # a citizen's choice is their own
    await _queue_mails(s, now, delivery, run, mail, town=town, public_base_url=public_base_url)
    reached = sa.or_(members, CITIZEN.c.channel_user_id.in_(web)) if web else members
    await s.exec(sa.insert(NOTICE).from_select(
        ["citizen_id", "kind", "ref", "title", "body", "at"],
        sa.select(CITIZEN.c.id, sa.literal("delivery"), sa.literal(f"run:{pk(run)}"),
                  sa.literal(delivery.title[:200]),
                  # encrypted once: every notice of the run holds the same text
                  sa.literal(message_text(json.loads(delivery.messages)), NOTICE.c.body.type),
                  sa.literal(now, NOTICE.c.at.type)).where(reached)))
    general = table_of(MyPageChannel)
    not_by_line = sa.exists().where(general.c.citizen_id == CITIZEN.c.id, general.c.topic == "general",
                                    general.c.channel.not_in([c for c in CHANNELS if channels.wants_line(c)]))
    return sa.and_(members, sa.not_(CITIZEN.c.channel_user_id.startswith(WEB_PREFIX)), sa.not_(not_by_line))


async def _queue_mails(s: AsyncSession, now: datetime, delivery: Delivery, run: DeliveryRun,
                       mail: list[tuple[int, str]], *, town: str, public_base_url: str) -> None:
    body = message_text(json.loads(delivery.messages))
    for citizen_id, address in mail:
        token = (await s.exec(select(MyPageEmail.unsubscribe_token).where(MyPageEmail.citizen_id == citizen_id))).one()
        await outbox.enqueue(s, now, to=address, kind="delivery", dedupe_key=f"run:{pk(run)}:c:{citizen_id}",
                             citizen_id=citizen_id, run_id=pk(run),
                             mail=templates.notice_mail(town, delivery.title, body,
                                                        unsubscribe_url(public_base_url, token),
                                                        mypage_url(public_base_url)))


def unsubscribe_url(base: str, token: str) -> str | None:
    return f"{base.rstrip('/')}/liff/mypage/unsubscribe/{token}" if base else None


def mypage_url(base: str) -> str:
    return f"{base.rstrip('/')}/liff/mypage/" if base else ""


async def record_notices(s: AsyncSession, now: datetime, users: set[str] | list[str], *, kind: str,
                         ref: str | None, title: str, body: str) -> int:
    """One notice per citizen in ``users`` (LINE or web user ids), in bulk."""
    ids: list[int] = []
    ordered = sorted(users)
    for start in range(0, len(ordered), 900):
        ids += [int(i) for i in (await s.exec(select(Citizen.id).where(
            col(Citizen.channel_user_id).in_(ordered[start:start + 900])))).all() if i is not None]
    if ids:
        s.add_all([MyPageNotice(citizen_id=i, kind=kind, ref=ref, title=title[:200], body=body, at=now) for i in ids])
        await s.flush()
    return len(ids)
