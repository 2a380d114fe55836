"""The my-page's tables. Every row belongs to one citizen (``citizen_id``) and is erased with them
(``civic.citizens.erasure``): addresses and texts are encrypted (AES-GCM), and an address is found by
its keyed digest (``identity.address_digest``), never by its plain text."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import EncryptedText, UTCDateTime

#: Channels a citizen can choose per topic.
LINE, EMAIL, BOTH = "line", "email", "both"
CHANNELS = (LINE, EMAIL, BOTH)
#: Topics a citizen chooses a channel for: deliveries, and the personal notices of each service.
TOPICS = {"general": "町からのお知らせ（配信）", "booking": "施設予約の確認・お知らせ",
          "report": "通報の対応状況", "procedure": "手続きのご案内"}

#: Outbox states.
M_PENDING, M_SENT, M_FAILED, M_SKIPPED = "pending", "sent", "failed", "skipped"


def _citizen_fk() -> sa.Column:
    return sa.Column(sa.Integer, sa.ForeignKey("citizen.id", ondelete="CASCADE"), nullable=False, index=True)


class MyPageNotice(SQLModel, table=True):
    """A notice the citizen received (a delivery, a booking or report notice), for お知らせ."""

    __tablename__ = "mypage_notice"
    __table_args__ = (sa.Index("ix_mypage_notice_citizen_at", "citizen_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("citizen.id", ondelete="CASCADE"),
                                                nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.String(24), nullable=False))
    #: What it came from (``run:12`` for a delivery run): one notice per citizen and source.
    ref: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    title: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    body: str = Field(sa_column=sa.Column(EncryptedText, nullable=False))
    at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    read_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))


class MyPageTodo(SQLModel, table=True):
    """One procedure of a saved 手続きナビ result: what, where, what to bring, by when — never the
    household data the QR carried."""

    __tablename__ = "mypage_todo"
    __table_args__ = (sa.UniqueConstraint("citizen_id", "event_code", "code", name="uq_mypage_todo"),)

    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(sa_column=_citizen_fk())
    event_code: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    event_title: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    code: int = Field(nullable=False)
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    place: str = Field(default="", sa_column=sa.Column(sa.String(200), nullable=False))
    bring: str = Field(default="[]", sa_column=sa.Column(sa.Text, nullable=False))  # JSON list
    deadline: str = Field(default="", sa_column=sa.Column(sa.String(200), nullable=False))
    deadline_date: date | None = Field(default=None, sa_column=sa.Column(sa.Date, nullable=True))
    done_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    saved_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class MyPageEmail(SQLModel, table=True):
    """The citizen's e-mail address (one), verified or not, and their TOTP secret if they set one."""

    __tablename__ = "mypage_email"

    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("citizen.id", ondelete="CASCADE"),
                                                nullable=False, unique=True))
    address: str = Field(sa_column=sa.Column(EncryptedText, nullable=False))
    digest: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    verified_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    #: The token of the unsubscribe link in every mail (stops all e-mail but sign-in codes).
    unsubscribe_token: str = Field(sa_column=sa.Column(sa.String(43), nullable=False, unique=True))
    unsubscribed_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    totp_secret: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class MyPageCode(SQLModel, table=True):
    """A one-time code (6 digits, stored as a keyed digest), for sign-in, address verification or
    the second step; a few tries, a few minutes."""

    __tablename__ = "mypage_code"

    id: int | None = Field(default=None, primary_key=True)
    #: The address digest (sign-in, verification) or ``citizen:<id>`` (a code sent to LINE).
    subject: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, index=True))
    purpose: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    code_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    citizen_id: int | None = Field(default=None, sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("citizen.id", ondelete="CASCADE"), nullable=True, index=True))
    attempts: int = Field(default=0, nullable=False)
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))


class MyPageSession(SQLModel, table=True):
    """A web sign-in (by e-mail code): the cookie holds the token, the table its digest."""

    __tablename__ = "mypage_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    citizen_id: int = Field(sa_column=_citizen_fk())
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    #: Until when sensitive actions are allowed (the second step: TOTP or a code to LINE).
    stepped_up_until: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class MyPageChannel(SQLModel, table=True):
    """Which channel a topic reaches the citizen through (no row: LINE)."""

    __tablename__ = "mypage_channel"

    citizen_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("citizen.id", ondelete="CASCADE"),
                                                primary_key=True))
    topic: str = Field(sa_column=sa.Column(sa.String(24), primary_key=True))
    channel: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))


class MailMessage(SQLModel, table=True):
    """The durable e-mail outbox: written in the transaction that decided the mail, sent after it
    commits (``bot.mail_sender``). ``dedupe_key`` makes a mail exist once (a delivery run × citizen,
    a booking's confirmation); its ``Message-ID`` is derived from it, so a resend after a crash
    between the server's 250 and our record carries the same id."""

    __tablename__ = "mail_message"
    __table_args__ = (sa.Index("ix_mail_message_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int | None = Field(default=None, sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("citizen.id", ondelete="CASCADE"), nullable=True, index=True))
    kind: str = Field(sa_column=sa.Column(sa.String(24), nullable=False))
    dedupe_key: str = Field(sa_column=sa.Column(sa.String(120), nullable=False, unique=True))
    to_address: str = Field(sa_column=sa.Column(EncryptedText, nullable=False))
    subject: str = Field(sa_column=sa.Column(EncryptedText, nullable=False))
    text: str = Field(sa_column=sa.Column(EncryptedText, nullable=False))
    html: str = Field(sa_column=sa.Column(EncryptedText, nullable=False))
    #: The delivery run it belongs to (statistics per channel), if any.
    run_id: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=True, index=True))
    status: str = Field(default=M_PENDING, sa_column=sa.Column(sa.String(10), nullable=False))
    attempts: int = Field(default=0, nullable=False)
    next_attempt_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
