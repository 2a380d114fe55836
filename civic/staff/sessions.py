"""Logging in: password check, lockout after repeated failures, expiring bearer-token sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import select

from civic.clock import Clock, tokyo
from civic.database import Database
from civic.staff import audit
from civic.staff.errors import StaffError
from civic.staff.models import StaffAccount, StaffRole, StaffSession
from civic.staff.passwords import Passwords
from civic.staff.roles import permissions_of
from civic.staff.services import normalize_login

TOKEN_PREFIX = "mdg_"


@dataclass(frozen=True)
class SessionPolicy:
    max_failures: int = 5  # consecutive wrong passwords before the account locks
    lockout: timedelta = timedelta(minutes=15)
    idle: timedelta = timedelta(hours=2)  # no request for this long ends the session
    lifetime: timedelta = timedelta(hours=12)  # a session never lives longer than this
    touch_every: timedelta = timedelta(minutes=1)  # how often last_seen_at is written


@dataclass(frozen=True)
class Identity:
    """A logged-in staff member, as the admin API turns it into a ``Principal``."""

    staff_id: int
    login: str
    display_name: str
    role: str
    permissions: frozenset[str]
    session_id: int


@dataclass(frozen=True)
class LoginResult:
    token: str
    expires_at: datetime
    identity: Identity


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class StaffSessions:
    def __init__(self, db: Database, clock: Clock, passwords: Passwords | None = None,
                 policy: SessionPolicy | None = None) -> None:
        self.db, self.clock = db, clock
        self.passwords = passwords or Passwords()
        self.policy = policy or SessionPolicy()

    async def login(self, login: str, password: str, *, remote: str | None = None) -> LoginResult:
        """A new session, or ``StaffError`` (unauthenticated / locked). Failures are logged and counted."""
        login = normalize_login(login)
        now = self.clock.now()
        async with self.db.write() as s:
            row = (await s.exec(
                select(StaffAccount, StaffRole).join(StaffRole, StaffRole.id == StaffAccount.role_id)
                .where(StaffAccount.login == login)
            )).first()
            if row is None or not row[0].active:
                await self.passwords.burn(password)
                await audit.record(s, audit.SimpleActor(None, login[:64] or "(empty)"), "auth.login_failed",
                                   "staff", after={"reason": "unknown_or_inactive"}, remote=remote, at=now)
                failure: StaffError | None = _wrong()
            else:
                account, role = row
                failure = await self._check(s, account, password, now, remote)
                if failure is None:
                    result = await self._open(s, account, role, now, remote)
                    await audit.record(s, result.identity, "auth.login", f"staff:{account.id}",
                                       remote=remote, at=now)
        if failure is not None:
            raise failure
        return result

    async def _check(self, s, account: StaffAccount, password: str, now: datetime,
                     remote: str | None) -> StaffError | None:
        if account.locked_until and account.locked_until > now:
            await audit.record(s, account_actor(account), "auth.login_locked", f"staff:{account.id}",
                               remote=remote, at=now)
            return _locked(account.locked_until)
        if await self.passwords.verify(account.password_hash, password):
            if self.passwords.needs_rehash(account.password_hash):
                account.password_hash = await self.passwords.hash(password)
            account.failed_logins = 0
            account.locked_until = None
            account.last_login_at = now
            s.add(account)
            return None
        account.failed_logins += 1
        details = {"failed_logins": account.failed_logins}
        if account.failed_logins >= self.policy.max_failures:
            account.locked_until = now + self.policy.lockout
            account.failed_logins = 0
            details["locked_until"] = account.locked_until.isoformat()
        s.add(account)
        await audit.record(s, account_actor(account), "auth.login_failed", f"staff:{account.id}",
                           after=details, remote=remote, at=now)
        if account.locked_until and account.locked_until > now:
            return _locked(account.locked_until)
        left = self.policy.max_failures - account.failed_logins
        return _wrong(f"あと{left}回失敗すると、アカウントが{_minutes(self.policy.lockout)}分間ロックされます。")

    async def _open(self, s, account: StaffAccount, role: StaffRole, now: datetime,
                    remote: str | None) -> LoginResult:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        session = StaffSession(token_hash=token_hash(token), staff_id=account.id, created_at=now,
                               last_seen_at=now, expires_at=now + self.policy.lifetime,
                               remote=(remote or None) and remote[:64])
        s.add(session)
        await s.flush()
        identity = Identity(account.id, account.login, account.display_name, role.key,  # type: ignore[arg-type]
                            frozenset(permissions_of(role)), session.id)  # type: ignore[arg-type]
        return LoginResult(token, session.expires_at, identity)

    async def resolve(self, token: str) -> Identity | None:
        """The identity behind a token that is valid now; None for unknown, expired, idle or revoked ones."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        now = self.clock.now()
        async with self.db.read() as s:
            row = (await s.exec(
                select(StaffSession, StaffAccount, StaffRole)
                .join(StaffAccount, StaffAccount.id == StaffSession.staff_id)
                .join(StaffRole, StaffRole.id == StaffAccount.role_id)
                .where(StaffSession.token_hash == token_hash(token))
            )).first()
        if row is None:
            return None
        session, account, role = row
        if (session.revoked_at is not None or session.expires_at <= now or not account.active
                or session.last_seen_at + self.policy.idle <= now):
            return None
        if now - session.last_seen_at >= self.policy.touch_every:
            async with self.db.write() as s:
                fresh = await s.get(StaffSession, session.id)
                if fresh is not None:
                    fresh.last_seen_at = now
                    s.add(fresh)
        return Identity(account.id, account.login, account.display_name, role.key,  # type: ignore[arg-type]
                        frozenset(permissions_of(role)), session.id)  # type: ignore[arg-type]

    async def logout(self, session_id: int) -> None:
        async with self.db.write() as s:
            session = await s.get(StaffSession, session_id)
            if session is not None and session.revoked_at is None:
                session.revoked_at = self.clock.now()
                s.add(session)


def account_actor(account: StaffAccount) -> audit.SimpleActor:
    return audit.SimpleActor(account.id, account.login)


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _wrong(extra: str = "") -> StaffError:
    message = "ログインIDまたはパスワードが正しくありません。" + extra
    return StaffError("unauthenticated", "login_failed", message)


def _locked(until: datetime) -> StaffError:
    return StaffError("locked", "account_locked",
                      f"ログインに続けて失敗したため、アカウントを一時的にロックしています。"
                      f"{tokyo(until):%H時%M分}以降にもう一度お試しいただくか、管理者にロック解除を依頼してください。")
