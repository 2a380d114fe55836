"""Personal notices (a booking changed by staff, a report's progress, a procedure's result) as the
my-page and the e-mail channel see them: ``MyPageNotifier`` wraps the service's notifier
(``civic.notify.CitizenNotifier``), records each notice in the citizen's お知らせ and sends it on the
channels the citizen chose for its topic — LINE through the wrapped notifier, e-mail through the
outbox — all in the caller's transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.attributes.services import citizen_by_user
from civic.clock import Clock
from civic.mypage import channels, identity, outbox, templates
from civic.mypage.deliveries import mypage_url, record_notices, unsubscribe_url
from civic.mypage.models import LINE, MyPageChannel, MyPageEmail
from civic.notify import CitizenNotifier, Notice
from civic.rows import pk

#: Notice kinds by topic (the prefix before the dot); others (有人チャット replies) stay LINE-only
#: and out of お知らせ — they are a conversation, not a notice.
TOPIC_OF = {"booking": "booking", "report": "report", "procedures": "procedure"}
TITLES = {"booking": "施設予約のお知らせ", "report": "通報の対応状況のお知らせ", "procedure": "手続きのご案内"}


def topic_of(kind: str) -> str | None:
    return TOPIC_OF.get(kind.split(".", 1)[0])


@dataclass(frozen=True)
class MailSettings:
    town: str = ""
    public_base_url: str = ""


async def email_to(s: AsyncSession, citizen_id: int, topic: str) -> MyPageEmail | None:
    """The verified, subscribed address if the citizen chose e-mail for ``topic`` (web-only: always)."""
    email = (await s.exec(select(MyPageEmail).where(MyPageEmail.citizen_id == citizen_id))).first()
    if email is None or email.verified_at is None or email.unsubscribed_at is not None:
        return None
    row = await s.get(MyPageChannel, (citizen_id, topic))
    return email if row is not None and channels.wants_email(row.channel) else None


async def send_mail(s: AsyncSession, now: datetime, settings: MailSettings, email: MyPageEmail, *, kind: str,
                    title: str, body: str, key: str) -> bool:
    mail = templates.notice_mail(settings.town, title, body,
                                 unsubscribe_url(settings.public_base_url, email.unsubscribe_token),
                                 mypage_url(settings.public_base_url))
    return await outbox.enqueue(s, now, to=email.address, mail=mail, kind=kind, dedupe_key=key,
                                citizen_id=email.citizen_id)


async def verified_email(s: AsyncSession, citizen_id: int) -> MyPageEmail | None:
    email = (await s.exec(select(MyPageEmail).where(MyPageEmail.citizen_id == citizen_id))).first()
    return email if email is not None and email.verified_at is not None and email.unsubscribed_at is None else None


class MyPageNotifier:
    def __init__(self, inner: CitizenNotifier, clock: Clock, settings: MailSettings | None = None) -> None:
        self.inner, self.clock = inner, clock
        self.settings = settings or MailSettings()

    async def confirm(self, session: AsyncSession, channel_user_id: str, *, kind: str, title: str, body: str,
                      key: str) -> bool:
        """A confirmation of what the citizen just did (a booking): recorded in お知らせ, and mailed
        to their verified address if they have one (国富町 表4 no.4); the page showed it already."""
        citizen = await citizen_by_user(session, channel_user_id)
        if citizen is None:
            return False
        now = self.clock.now()
        await record_notices(session, now, [channel_user_id], kind=kind, ref=key, title=title, body=body)
        email = await verified_email(session, pk(citizen))
        if email is None:
            return False
        return await send_mail(session, now, self.settings, email, kind=kind, title=title, body=body, key=key)

    async def notify(self, session: AsyncSession, notice: Notice) -> None:
        topic = topic_of(notice.kind)
        citizen = await citizen_by_user(session, notice.channel_user_id) if topic else None
        if topic is None or citizen is None:
            await self.inner.notify(session, notice)
            return
        now = self.clock.now()
        title = TITLES[topic]
        await record_notices(session, now, [notice.channel_user_id], kind=notice.kind,
                             ref=notice.reservation_number, title=title, body=notice.text)
        chosen = await session.get(MyPageChannel, (pk(citizen), topic))
        channel = chosen.channel if chosen is not None else LINE
        email = await email_to(session, pk(citizen), topic)
        line_user = identity.is_line_user(notice.channel_user_id)
        if line_user and (channels.wants_line(channel) or email is None):  # never leave them with nothing
            await self.inner.notify(session, notice)
        if email is None and not line_user:
            email = await verified_email(session, pk(citizen))
        if email is not None:
            await send_mail(session, now, self.settings, email, kind=notice.kind, title=title, body=notice.text,
                            key=f"notice:{uuid.uuid4()}")
