"""Who the citizen is on the web: an e-mail address proved by a 6-digit one-time code, a web session,
and a second step for sensitive actions (TOTP, or a code sent to LINE when the identities are linked).

Codes and session tokens are stored as keyed digests (HMAC-SHA256, key derived from the data key,
never stored); an address as its digest (to find it) and encrypted (to write to it). A code lives
``CODE_TTL``, allows ``MAX_TRIES`` wrong guesses, and an address gets at most ``CODES_PER_HOUR``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.citizens.models import Citizen
from civic.clock import utc
from civic.mypage.models import MyPageCode, MyPageEmail, MyPageSession
from civic.rows import pk
from civic.types import cipher_of

CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 5
CODES_PER_HOUR = 5
RESEND_AFTER = timedelta(seconds=30)
SESSION_TTL = timedelta(hours=12)
STEP_UP_TTL = timedelta(minutes=10)
#: Web-only citizens (signed in by e-mail, no LINE) get a channel user id with this prefix; it is
#: never a LINE user id (those start with "U"), so nothing is ever sent to LINE for them.
WEB_PREFIX = "web-"
SIGN_IN, VERIFY, STEP_UP = "sign_in", "verify", "step_up"
_LABEL = b"madoguchi mypage identity v1"
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


class IdentityProblem(Exception):
    """A refusal the citizen can act on (``code``: invalid_address, too_many, wrong_code, expired)."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


def normalize_address(raw: str) -> str:
    address = unicodedata.normalize("NFKC", str(raw or "")).strip().lower()
    if len(address) > 254 or not _ADDRESS.match(address):
        raise IdentityProblem("invalid_address", "メールアドレスの形式が正しくありません。", "address")
    return address


def _key(s: AsyncSession) -> bytes:
    bind: Any = s.bind
    cipher = cipher_of(bind.sync_engine.dialect)
    return hmac.new(cipher.active, _LABEL, hashlib.sha256).digest()


def _digest(s: AsyncSession, text: str) -> str:
    return hmac.new(_key(s), text.encode(), hashlib.sha256).hexdigest()


def address_digest(s: AsyncSession, address: str) -> str:
    return _digest(s, "address:" + normalize_address(address))


# ---- one-time codes ---------------------------------------------------------------------------

async def issue_code(s: AsyncSession, now: datetime, subject: str, purpose: str, *,
                     citizen_id: int | None = None) -> str:
    """A new 6-digit code for ``subject`` (an address digest, or ``citizen:<id>``), or
    ``IdentityProblem("too_many")`` past the hourly limit or within ``RESEND_AFTER`` of the last one."""
    recent = (await s.exec(select(MyPageCode.created_at).where(
        MyPageCode.subject == subject, col(MyPageCode.created_at) > now - timedelta(hours=1))
        .order_by(col(MyPageCode.created_at).desc()))).all()
    if len(recent) >= CODES_PER_HOUR or (recent and utc(recent[0]) > now - RESEND_AFTER):
        raise IdentityProblem("too_many", "確認コードの送信回数が上限に達しました。しばらくしてからお試しください。")
    code = f"{secrets.randbelow(10**6):06d}"
    # an older code for the same purpose stops working: only the newest one counts
    await s.exec(sa.update(MyPageCode).where(col(MyPageCode.subject) == subject, col(MyPageCode.purpose) == purpose,
                                             col(MyPageCode.used_at).is_(None)).values(used_at=now))
    s.add(MyPageCode(subject=subject, purpose=purpose, code_hash=_digest(s, f"code:{subject}:{purpose}:{code}"),
                     citizen_id=citizen_id, expires_at=now + CODE_TTL, created_at=now))
    await s.flush()
    return code


async def check_code(s: AsyncSession, now: datetime, subject: str, purpose: str, code: str) -> MyPageCode:
    """Use the subject's current code if ``code`` is it; every wrong guess counts (the caller commits
    even on refusal, so the count holds)."""
    row = (await s.exec(select(MyPageCode).where(
        MyPageCode.subject == subject, MyPageCode.purpose == purpose, col(MyPageCode.used_at).is_(None))
        .order_by(col(MyPageCode.id).desc()))).first()
    if row is None or utc(row.expires_at) <= now or row.attempts >= MAX_TRIES:
        raise IdentityProblem("expired", "確認コードの有効期限が切れました。もう一度コードを送ってください。")
    given = "".join(ch for ch in unicodedata.normalize("NFKC", str(code or "")) if ch.isdigit())
    if not hmac.compare_digest(row.code_hash, _digest(s, f"code:{subject}:{purpose}:{given}")):
        row.attempts += 1
        s.add(row)
        left = MAX_TRIES - row.attempts
        raise IdentityProblem("wrong_code", f"確認コードが違います（あと{left}回入力できます）。" if left > 0 else
                              "確認コードを続けて間違えたため無効にしました。もう一度コードを送ってください。")
    row.used_at = now
    s.add(row)
    return row


# ---- addresses and web citizens ---------------------------------------------------------------

async def email_of(s: AsyncSession, citizen_id: int) -> MyPageEmail | None:
    return (await s.exec(select(MyPageEmail).where(MyPageEmail.citizen_id == citizen_id))).first()


async def email_by_address(s: AsyncSession, address: str) -> MyPageEmail | None:
    return (await s.exec(select(MyPageEmail).where(MyPageEmail.digest == address_digest(s, address)))).first()


async def set_address(s: AsyncSession, now: datetime, citizen_id: int, address: str, *,
                      verified: bool = False) -> MyPageEmail:
    """The citizen's address (replacing an earlier one: it must be verified again)."""
    address = normalize_address(address)
    digest = address_digest(s, address)
    taken = (await s.exec(select(MyPageEmail).where(MyPageEmail.digest == digest))).first()
    if taken is not None and taken.citizen_id != citizen_id:
        raise IdentityProblem("taken", "このメールアドレスはほかの利用者が登録しています。"
                                       "そのアドレスでログインしてから連携してください。")
    row = await email_of(s, citizen_id)
    if row is None:
        row = MyPageEmail(citizen_id=citizen_id, address=address, digest=digest,
                          unsubscribe_token=secrets.token_urlsafe(32), created_at=now)
    elif row.digest != digest:
        row.address, row.digest, row.verified_at, row.unsubscribed_at = address, digest, None, None
    if verified and row.verified_at is None:
        row.verified_at = now
    s.add(row)
    await s.flush()
    return row


async def web_citizen(s: AsyncSession, now: datetime, address: str) -> Citizen:
    """The citizen a proved address belongs to; a new web-only citizen for a new address."""
    found = await email_by_address(s, address)
    if found is not None:
        if found.verified_at is None:
            found.verified_at = now
            s.add(found)
        citizen = await s.get(Citizen, found.citizen_id)
        assert citizen is not None
        return citizen
    citizen = Citizen(channel_user_id=WEB_PREFIX + secrets.token_hex(12), is_friend=False, created_at=now)
    s.add(citizen)
    await s.flush()
    await set_address(s, now, pk(citizen), address, verified=True)
    return citizen


def is_line_user(channel_user_id: str) -> bool:
    return not channel_user_id.startswith(WEB_PREFIX)


# ---- web sessions -----------------------------------------------------------------------------

@dataclass(frozen=True)
class WebSession:
    id: int
    citizen_id: int
    stepped_up: bool


async def open_session(s: AsyncSession, now: datetime, citizen_id: int) -> str:
    token = secrets.token_urlsafe(32)
    s.add(MyPageSession(token_hash=_digest(s, "session:" + token), citizen_id=citizen_id,
                        expires_at=now + SESSION_TTL, created_at=now))
    await s.flush()
    return token


async def session_of(s: AsyncSession, now: datetime, token: str) -> WebSession | None:
    if not token:
        return None
    row = (await s.exec(select(MyPageSession).where(MyPageSession.token_hash == _digest(s, "session:" + token)))).first()
    if row is None or utc(row.expires_at) <= now:
        return None
    up = row.stepped_up_until is not None and utc(row.stepped_up_until) > now
    return WebSession(pk(row), row.citizen_id, up)


async def step_up(s: AsyncSession, now: datetime, session_id: int) -> None:
    await s.exec(sa.update(MyPageSession).where(col(MyPageSession.id) == session_id)
                 .values(stepped_up_until=now + STEP_UP_TTL))


async def close_session(s: AsyncSession, token: str) -> None:
    await s.exec(sa.delete(MyPageSession).where(col(MyPageSession.token_hash) == _digest(s, "session:" + token)))


async def purge_expired(s: AsyncSession, now: datetime) -> int:
    """Expired sessions and codes older than a day (a scheduled job)."""
    a = await s.exec(sa.delete(MyPageSession).where(col(MyPageSession.expires_at) < now))
    b = await s.exec(sa.delete(MyPageCode).where(col(MyPageCode.created_at) < now - timedelta(days=1)))
    return int(a.rowcount or 0) + int(b.rowcount or 0)


# ---- TOTP --------------------------------------------------------------------------------------

def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def totp_ok(secret: str | None, code: str, now: datetime) -> bool:
    if not secret:
        return False
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", str(code or "")) if ch.isdigit())
    return len(digits) == 6 and pyotp.TOTP(secret).verify(digits, for_time=now, valid_window=1)
