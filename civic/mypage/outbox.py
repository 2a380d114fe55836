"""The durable e-mail outbox (``MailMessage``): ``enqueue`` in the caller's transaction, sent after it
commits by ``bot.mail_sender``. One row per ``dedupe_key`` (a second enqueue of the same key is a no-op),
so a mail exists once however often the deciding code runs; the sender claims a row, sends it with a
``Message-ID`` derived from the key, and records the outcome."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.clock import utc
from civic.mypage.models import M_FAILED, M_PENDING, M_SENT, MailMessage, MyPageEmail
from civic.mypage.templates import Mail
from civic.rows import pk, table_of

MAIL = table_of(MailMessage)
#: While a sender sends a claimed row, nobody else takes it; after this it is taken again.
CLAIM = timedelta(minutes=2)


async def enqueue(s: AsyncSession, now: datetime, *, to: str, mail: Mail, kind: str, dedupe_key: str,
                  citizen_id: int | None = None, run_id: int | None = None) -> bool:
    """Queue one mail; False (nothing queued) when ``dedupe_key`` is already there."""
    exists = (await s.exec(select(MailMessage.id).where(MailMessage.dedupe_key == dedupe_key[:120]))).first()
    if exists is not None:
        return False
    s.add(MailMessage(citizen_id=citizen_id, kind=kind, dedupe_key=dedupe_key[:120], to_address=to,
                      subject=mail.subject, text=mail.text, html=mail.html, run_id=run_id, status=M_PENDING,
                      next_attempt_at=now, created_at=now))
    await s.flush()
    return True


def message_id(dedupe_key: str, domain: str) -> str:
    return f"<{hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]}@{domain}>"


@dataclass(frozen=True)
class Outgoing:
    id: int
    to: str
    subject: str
    text: str
    html: str
    dedupe_key: str
    attempts: int


async def claim(s: AsyncSession, now: datetime, limit: int = 50) -> list[Outgoing]:
    """Take up to ``limit`` due rows (pending, their next attempt due): each is pushed ``CLAIM`` into the
    future with one conditional UPDATE, so two senders never take the same row."""
    due = (await s.exec(select(MailMessage).where(MailMessage.status == M_PENDING,
                                                  col(MailMessage.next_attempt_at) <= now)
                        .order_by(col(MailMessage.id)).limit(limit))).all()
    out = []
    for row in due:
        won = await s.exec(sa.update(MAIL).where(MAIL.c.id == row.id, MAIL.c.status == M_PENDING,
                                                 MAIL.c.next_attempt_at == row.next_attempt_at)
                           .values(next_attempt_at=now + CLAIM, attempts=MAIL.c.attempts + 1))
        if won.rowcount == 1:
            out.append(Outgoing(pk(row), row.to_address, row.subject, row.text, row.html, row.dedupe_key,
                                row.attempts + 1))
    return out


async def sent(s: AsyncSession, now: datetime, mail_id: int) -> None:
    await s.exec(sa.update(MAIL).where(MAIL.c.id == mail_id, MAIL.c.status == M_PENDING)
                 .values(status=M_SENT, sent_at=now, next_attempt_at=None, error=None))


async def failed(s: AsyncSession, now: datetime, mail_id: int, error: str, *, retry_in: timedelta | None) -> None:
    """A refusal: tried again after ``retry_in`` (a transient one), else failed for good."""
    values = ({"next_attempt_at": now + retry_in, "error": error[:300]} if retry_in is not None else
              {"status": M_FAILED, "next_attempt_at": None, "error": error[:300]})
    await s.exec(sa.update(MAIL).where(MAIL.c.id == mail_id, MAIL.c.status == M_PENDING).values(**values))


async def stats(s: AsyncSession, run_id: int) -> dict[str, int]:
    """A delivery run's e-mails by state (the LINE figures are the run's own)."""
    rows = (await s.exec(select(MailMessage.status, sa.func.count()).where(MailMessage.run_id == run_id)
                         .group_by(col(MailMessage.status)))).all()
    counts = {status: int(n) for status, n in rows}
    return {"targeted": sum(counts.values()), "succeeded": counts.get(M_SENT, 0),
            "failed": counts.get(M_FAILED, 0), "pending": counts.get(M_PENDING, 0)}


async def backlog(s: AsyncSession, now: datetime) -> tuple[int, datetime | None]:
    row = (await s.exec(select(sa.func.count(), sa.func.min(MailMessage.created_at))
                        .where(MailMessage.status == M_PENDING))).one()
    return int(row[0]), (utc(row[1]) if row[1] is not None else None)


async def bounced(s: AsyncSession, now: datetime, mail_id: int, reason: str) -> bool:
    """The receiving side reported the mail undeliverable for good (a DSN): the mail failed, and its
    citizen's address must be verified again before anything more is sent there."""
    row = await s.get(MailMessage, mail_id)
    if row is None:
        return False
    row.status, row.error, row.next_attempt_at = M_FAILED, f"不達（{reason}）"[:300], None
    s.add(row)
    if row.citizen_id is not None:
        email = (await s.exec(select(MyPageEmail).where(MyPageEmail.citizen_id == row.citizen_id))).first()
        if email is not None and email.address == row.to_address:
            email.verified_at = None
            s.add(email)
    return True
