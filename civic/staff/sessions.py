"""Logging in: password check, lockout after repeated failures, expiring bearer-token sessions."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select

from civic.clock import Clock, tokyo
from civic.database import Database
from civic.rows import pk
from civic.staff import audit, throttle, two_factor
from civic.staff.errors import StaffError
from civic.staff.models import StaffAccount, StaffFacility, StaffRole, StaffSession
from civic.staff.passwords import Passwords
from civic.staff.roles import permissions_of
from civic.staff.services import normalize_login

log = logging.getLogger(__name__)

TOKEN_PREFIX = "mdg_"


@dataclass(frozen=True)
class SessionPolicy:
    max_failures: int = 5  # consecutive wrong passwords before the login id locks (whether it exists or not)
    lockout: timedelta = timedelta(minutes=15)
    address_max_failures: int = 20  # failures from one client address within the window before it is refused
    address_window: timedelta = timedelta(minutes=15)
    address_lockout: timedelta = timedelta(minutes=15)
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
    #: The role requires two-factor sign-in and this account has not enrolled: no permission but
    #: enrolling (``civic.staff.two_factor``).
    must_enrol: bool = False
    #: The facilities this member manages (国富町 表3 no.2 管理施設); ``None``: every facility.
    facilities: frozenset[int] | None = None


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

    async def login(self, login: str, password: str, *, otp: str | None = None,
                    remote: str | None = None) -> LoginResult:
        """A new session, or ``StaffError`` (unauthenticated / locked / throttled). Failures are logged and
        counted per login id and per client address. An unknown (or inactive) id costs one password
        verification and counts towards a lock exactly like a wrong password, so neither the answer nor
        its time tells whether the id exists. With two-factor sign-in on, the right password without a
        code answers ``otp_required`` (not counted); a wrong code counts like a wrong password."""
        login = normalize_login(login)
        now = self.clock.now()
        await self.passwords.prepare()  # whatever this sign-in is, before the answer depends on it
        result: LoginResult | None = None
        async with self.db.write() as s:
            address = await throttle.row_for(s, throttle.address_key(remote), now) if remote else None
            if address is not None and throttle.locked(address, now):
                assert address.locked_until is not None  # locked() means a lock time is set
                await audit.record(s, audit.SimpleActor(None, login[:64] or "(empty)"), "auth.login_throttled",
                                   "staff", after={"until": address.locked_until.isoformat()},
                                   remote=remote, at=now)
                failure: StaffError | None = _throttled(address.locked_until)
            else:
                row = (await s.exec(
                    select(StaffAccount, StaffRole).join(StaffRole, col(StaffRole.id) == col(StaffAccount.role_id))
                    .where(StaffAccount.login == login)
                )).first()
                if row is not None and row[0].active:
                    account, role = row
                    failure = await self._check(s, account, account, password, now, remote)
                    if failure is None and account.totp_secret:
                        failure = await self._second_factor(s, account, otp, now, remote)
                    if failure is None:
                        _succeeded(s, account, now)
                        result = await self._open(s, account, role, now, remote)
                        await audit.record(s, result.identity, "auth.login", f"staff:{account.id}",
                                           remote=remote, at=now)
                else:
                    record = await throttle.row_for(s, throttle.login_key(login), now)
                    record.updated_at = now
                    failure = await self._check(s, None, record, password, now, remote, login=login)
                if failure is not None and failure.code not in ("account_locked", "otp_required") and address is not None:
                    if throttle.count_in_window(address, now, limit=self.policy.address_max_failures,
                                                window=self.policy.address_window, lockout=self.policy.address_lockout):
                        # an alert for whoever watches the log (and /metrics: addresses blocked now)
                        log.warning("staff sign-ins from %s are refused until %s: %d failed sign-ins within %s",
                                    remote, address.locked_until, self.policy.address_max_failures,
                                    self.policy.address_window)
                        await audit.record(s, None, "auth.address_blocked", "staff",
                                           after={"until": address.locked_until and address.locked_until.isoformat(),
                                                  "failures": self.policy.address_max_failures},
                                           remote=remote, at=now)
                    s.add(address)
        if failure is not None:
            raise failure
        assert result is not None
        return result

    async def _check(self, s, account: StaffAccount | None, record: throttle.Counted, password: str, now: datetime,
                     remote: str | None, *, login: str = "") -> StaffError | None:
        """The password against the account (or against a dummy hash when there is none), counted on ``record``."""
        actor = account_actor(account) if account else audit.SimpleActor(None, login[:64] or "(empty)")
        target = f"staff:{account.id}" if account else "staff"
        if throttle.locked(record, now):
            assert record.locked_until is not None  # locked() means a lock time is set
            await audit.record(s, actor, "auth.login_locked", target, remote=remote, at=now)
            return _locked(record.locked_until)
        if account is not None and await self.passwords.verify(account.password_hash, password):
            if self.passwords.needs_rehash(account.password_hash):
                account.password_hash = await self.passwords.hash(password)
                s.add(account)
            return None
        if account is None:
            await self.passwords.burn(password)
        left = throttle.count_failure(record, now, limit=self.policy.max_failures, lockout=self.policy.lockout)
        s.add(record)
        details: dict[str, object] = {"failed_logins": record.failed_logins}
        if account is None:
            details["reason"] = "unknown_or_inactive"
        if left == 0:
            assert record.locked_until is not None  # count_failure() locked it
            details["locked_until"] = record.locked_until.isoformat()
        await audit.record(s, actor, "auth.login_failed", target, after=details, remote=remote, at=now)
        if left == 0:
            assert record.locked_until is not None
            return _locked(record.locked_until)
        return _wrong(f"あと{left}回失敗すると、アカウントが{_minutes(self.policy.lockout)}分間ロックされます。")

    async def _second_factor(self, s, account: StaffAccount, otp: str | None, now: datetime,
                             remote: str | None) -> StaffError | None:
        if not otp or not otp.strip():
            return StaffError("unauthenticated", "otp_required",
                              "確認コードを入力してください（認証アプリに表示される6桁の数字、または予備コード）。", "otp")
        if await two_factor.use_second_factor(s, account, otp, now):
            return None
        left = throttle.count_failure(account, now, limit=self.policy.max_failures, lockout=self.policy.lockout)
        s.add(account)
        details: dict[str, object] = {"failed_logins": account.failed_logins, "reason": "second_factor"}
        await audit.record(s, account_actor(account), "auth.login_failed", f"staff:{account.id}", after=details,
                           remote=remote, at=now)
        if left == 0:
            assert account.locked_until is not None
            return _locked(account.locked_until)
        return StaffError("unauthenticated", "otp_wrong",
                          "確認コードが正しくありません。認証アプリの最新の6桁の数字を入力してください。"
                          f"あと{left}回失敗すると、アカウントが{_minutes(self.policy.lockout)}分間ロックされます。", "otp")

    async def _open(self, s, account: StaffAccount, role: StaffRole, now: datetime,
                    remote: str | None) -> LoginResult:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        session = StaffSession(token_hash=token_hash(token), staff_id=pk(account), created_at=now,
                               last_seen_at=now, expires_at=now + self.policy.lifetime,
                               remote=(remote or None) and remote[:64])
        s.add(session)
        await s.flush()
        return LoginResult(token, session.expires_at,
                           _identity(account, role, pk(session), await _facilities(s, pk(account))))

    async def resolve(self, token: str) -> Identity | None:
        """The identity behind a token that is valid now; None for unknown, expired, idle or revoked ones."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        now = self.clock.now()
        async with self.db.read() as s:
            row = (await s.exec(
                select(StaffSession, StaffAccount, StaffRole)
                .join(StaffAccount, col(StaffAccount.id) == col(StaffSession.staff_id))
                .join(StaffRole, col(StaffRole.id) == col(StaffAccount.role_id))
                .where(StaffSession.token_hash == token_hash(token))
            )).first()
            if row is None:
                return None
            session, account, role = row
            facilities = await _facilities(s, pk(account))
        if (session.revoked_at is not None or session.expires_at <= now or not account.active
                or session.last_seen_at + self.policy.idle <= now):
            return None
        if now - session.last_seen_at >= self.policy.touch_every:
            async with self.db.write() as s:
                fresh = await s.get(StaffSession, session.id)
                if fresh is not None:
                    fresh.last_seen_at = now
                    s.add(fresh)
        return _identity(account, role, pk(session), facilities)

    async def logout(self, session_id: int) -> None:
        async with self.db.write() as s:
            session = await s.get(StaffSession, session_id)
            if session is not None and session.revoked_at is None:
                session.revoked_at = self.clock.now()
                s.add(session)


async def _facilities(s, staff_id: int) -> frozenset[int] | None:
    ids = (await s.exec(select(StaffFacility.facility_id).where(StaffFacility.staff_id == staff_id))).all()
    return frozenset(ids) if ids else None


def _identity(account: StaffAccount, role: StaffRole, session_id: int,
              facilities: frozenset[int] | None = None) -> Identity:
    enrol = two_factor.must_enrol(account, role)
    permissions = frozenset() if enrol else frozenset(permissions_of(role))
    return Identity(pk(account), account.login, account.display_name, role.key, permissions, session_id, enrol,
                    facilities)


def _succeeded(s, account: StaffAccount, now: datetime) -> None:
    """Counters reset only when every factor was right: a known password does not reset the count of
    wrong codes."""
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = now
    s.add(account)


def account_actor(account: StaffAccount) -> audit.SimpleActor:
    return audit.SimpleActor(account.id, account.login)


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _wrong(extra: str = "") -> StaffError:
    message = "ログインIDまたはパスワードが正しくありません。" + extra
    return StaffError("unauthenticated", "login_failed", message)


def _throttled(until: datetime) -> StaffError:
    return StaffError("too_many", "address_throttled",
                      f"この接続元からのログインの失敗が続いたため、{tokyo(until):%H時%M分}までログインを受け付けていません。"
                      "パスワードがわからない場合は、管理者に再設定を依頼してください。")


def _locked(until: datetime) -> StaffError:
    return StaffError("locked", "account_locked",
                      f"ログインに続けて失敗したため、アカウントを一時的にロックしています。"
                      f"{tokyo(until):%H時%M分}以降にもう一度お試しいただくか、管理者にロック解除を依頼してください。")
