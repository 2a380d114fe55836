"""Two-factor sign-in for staff: TOTP (RFC 6238, pyotp) with one-time recovery codes
(酒田市 第5章 1(5) 二段階認証; 国富町 §9(4)(エ)).

Enrolment: ``start_enrolment`` keeps a new secret as *pending* and gives the ``otpauth://`` URI and
its QR code for the staff member's authenticator app; ``confirm_enrolment`` with a first code from
the app turns it on and hands out ten recovery codes, shown once (only their hashes are kept).
Sign-in then asks for a code after the password (``civic.staff.sessions``). A code is accepted for
its 30-second step and one step either side (clock drift), and only once: a code read over a
shoulder cannot be replayed. A role can require two-factor sign-in; its members can do nothing but
enrol until they have.

Services take the session; the caller (an admin view, sign-in) owns the transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import qrcode
import qrcode.image.svg
from sqlmodel import col, select

from civic.rows import pk
from civic.staff.errors import StaffError
from civic.staff.models import StaffAccount, StaffRecoveryCode, StaffRole

STEP = 30
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed by hand


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg: str


@dataclass(frozen=True)
class Status:
    enabled: bool
    required: bool
    recovery_codes_left: int

    @property
    def must_enrol(self) -> bool:
        return self.required and not self.enabled


def must_enrol(account: StaffAccount, role: StaffRole) -> bool:
    return role.require_two_factor and account.totp_enabled_at is None


def _qr_svg(uri: str) -> str:
    out = io.BytesIO()
    qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2).save(out)
    return out.getvalue().decode("utf-8")


def _hash(code: str) -> str:
    return hashlib.sha256(normalize_recovery(code).encode("ascii", "ignore")).hexdigest()


def normalize_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def start_enrolment(account: StaffAccount, issuer: str) -> Enrolment:
    secret = pyotp.random_base32()
    account.totp_pending = secret
    uri = pyotp.TOTP(secret).provisioning_uri(name=account.login, issuer_name=issuer)
    return Enrolment(secret, uri, _qr_svg(uri))


def _matching_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp, current = pyotp.TOTP(secret), int(now.timestamp()) // STEP
    for step in (current - 1, current, current + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.at(step * STEP), code):
            return step
    return None


async def _replace_recovery_codes(s, account: StaffAccount, now: datetime) -> list[str]:
    for old in (await s.exec(select(StaffRecoveryCode).where(StaffRecoveryCode.staff_id == pk(account)))).all():
        await s.delete(old)
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    for code in codes:
        s.add(StaffRecoveryCode(staff_id=pk(account), code_hash=_hash(code), created_at=now))
    return codes


async def confirm_enrolment(s, account: StaffAccount, code: str, now: datetime) -> list[str]:
    """Turn two-factor sign-in on with the first code from the app; returns the recovery codes."""
    if not account.totp_pending:
        raise StaffError("conflict", "no_enrolment", "先に「2段階認証を設定する」で QR コードを表示してください。")
    step = _matching_step(account.totp_pending, code, now, None)
    if step is None:
        raise StaffError("invalid", "wrong_code", "確認コードが正しくありません。認証アプリに表示されている6桁の数字を"
                         "入力してください（スマートフォンの時刻が正しいかもご確認ください）。", "code")
    account.totp_secret, account.totp_pending = account.totp_pending, None
    account.totp_enabled_at, account.totp_last_step = now, step
    s.add(account)
    return await _replace_recovery_codes(s, account, now)


async def regenerate_recovery_codes(s, account: StaffAccount, code: str, now: datetime) -> list[str]:
    if not await use_second_factor(s, account, code, now, recovery=False):
        raise StaffError("invalid", "wrong_code", "確認コードが正しくありません。", "code")
    return await _replace_recovery_codes(s, account, now)


async def disable(s, account: StaffAccount, role: StaffRole, code: str, now: datetime) -> None:
    if role.require_two_factor:
        raise StaffError("forbidden", "two_factor_required",
                         f"「{role.name}」のロールでは2段階認証が必須のため、解除できません。")
    if account.totp_enabled_at is None:
        raise StaffError("conflict", "not_enabled", "2段階認証は設定されていません。")
    if not await use_second_factor(s, account, code, now):
        raise StaffError("invalid", "wrong_code", "確認コードが正しくありません。", "code")
    await reset(s, account)


async def reset(s, account: StaffAccount) -> None:
    """Turn it off (an administrator, for a staff member who lost their phone: they enrol again)."""
    account.totp_secret = account.totp_pending = None
    account.totp_enabled_at = account.totp_last_step = None
    s.add(account)
    for old in (await s.exec(select(StaffRecoveryCode).where(StaffRecoveryCode.staff_id == pk(account)))).all():
        await s.delete(old)


async def use_second_factor(s, account: StaffAccount, code: str, now: datetime, *, recovery: bool = True) -> bool:
    """A code from the app (once per time step) or, when ``recovery``, an unused recovery code
    (then used up)."""
    if not account.totp_secret:
        return False
    step = _matching_step(account.totp_secret, code, now, account.totp_last_step)
    if step is not None:
        account.totp_last_step = step
        s.add(account)
        return True
    if not recovery or len(normalize_recovery(code)) != 10:
        return False
    row = (await s.exec(select(StaffRecoveryCode).where(
        StaffRecoveryCode.staff_id == pk(account), StaffRecoveryCode.code_hash == _hash(code),
        col(StaffRecoveryCode.used_at).is_(None)))).first()
    if row is None:
        return False
    row.used_at = now
    s.add(row)
    return True


async def status(s, account: StaffAccount, role: StaffRole) -> Status:
    left = (await s.exec(select(StaffRecoveryCode).where(
        StaffRecoveryCode.staff_id == pk(account), col(StaffRecoveryCode.used_at).is_(None)))).all()
    return Status(account.totp_enabled_at is not None, role.require_two_factor, len(left))
