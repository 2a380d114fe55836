"""Logging in on both backends: tokens, expiry, idle timeout, lockout, revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlmodel import select

from civic.clock import FrozenClock
from civic.database import Database
from civic.staff import services as accounts
from civic.staff.errors import StaffError
from civic.staff.models import OperationLog, StaffAccount, StaffSession
from civic.staff.passwords import Passwords
from civic.staff.sessions import SessionPolicy, StaffSessions

NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
PW = Passwords.for_tests()
PASSWORD = "kunitomi-2026!"


@pytest.fixture
async def setup(db: Database):
    clock = FrozenClock(NOW)
    account = await accounts.create_staff(db, clock, "yamada", PASSWORD, "山田", "editor", passwords=PW)
    return clock, account, StaffSessions(db, clock, PW, SessionPolicy())


async def _actions(db: Database) -> list[str]:
    async with db.read() as s:
        return list((await s.exec(select(OperationLog.action).order_by(OperationLog.id))).all())


async def test_login_gives_a_token_stored_only_as_a_hash(db: Database, setup) -> None:
    clock, account, sessions = setup
    result = await sessions.login(" Yamada ", PASSWORD, remote="192.0.2.1")
    assert result.token.startswith("mdg_") and result.expires_at == NOW + timedelta(hours=12)
    identity = await sessions.resolve(result.token)
    assert identity is not None and identity.login == "yamada" and identity.role == "editor"
    assert "richmenus.edit" in identity.permissions
    async with db.read() as s:
        stored = (await s.exec(select(StaffSession))).one()
    assert stored.token_hash != result.token and result.token not in stored.token_hash
    assert stored.remote == "192.0.2.1"
    assert await sessions.resolve(result.token + "x") is None
    assert await sessions.resolve("not-a-token") is None
    assert (await _actions(db))[-1] == "auth.login"


async def test_sessions_end_after_idle_time_and_lifetime(db: Database, setup) -> None:
    clock, _, sessions = setup
    token = (await sessions.login("yamada", PASSWORD)).token
    for _ in range(6):  # active use keeps the session alive up to its lifetime
        clock.advance(timedelta(hours=1, minutes=50))
        assert await sessions.resolve(token) is not None
    clock.advance(timedelta(hours=1, minutes=1))  # 11:00 + 1:01 > 12 hours, though not idle for 2
    assert await sessions.resolve(token) is None
    idle = (await sessions.login("yamada", PASSWORD)).token
    clock.advance(timedelta(hours=2))
    assert await sessions.resolve(idle) is None


async def test_five_wrong_passwords_lock_the_account(db: Database, setup) -> None:
    clock, account, sessions = setup
    for attempt in range(1, 5):
        with pytest.raises(StaffError) as exc:
            await sessions.login("yamada", "wrong password", remote="198.51.100.7")
        assert exc.value.kind == "unauthenticated" and f"あと{5 - attempt}回" in exc.value.message
    with pytest.raises(StaffError) as locked:
        await sessions.login("yamada", "wrong password")
    assert locked.value.kind == "locked" and "10時15分以降" in locked.value.message  # 01:15 UTC = 10:15 JST
    with pytest.raises(StaffError) as still:  # even the right password is refused while locked
        await sessions.login("yamada", PASSWORD)
    assert still.value.kind == "locked"
    clock.advance(timedelta(minutes=15))
    assert (await sessions.login("yamada", PASSWORD)).token
    actions = await _actions(db)
    assert actions.count("auth.login_failed") == 5 and "auth.login_locked" in actions


async def test_a_success_resets_the_failure_count(db: Database, setup) -> None:
    _, _, sessions = setup
    for _ in range(4):
        with pytest.raises(StaffError):
            await sessions.login("yamada", "wrong password")
    await sessions.login("yamada", PASSWORD)
    with pytest.raises(StaffError) as exc:
        await sessions.login("yamada", "wrong password")
    assert "あと4回" in exc.value.message


async def test_unknown_and_inactive_accounts_get_the_same_answer(db: Database, setup) -> None:
    clock, account, sessions = setup
    with pytest.raises(StaffError) as unknown:
        await sessions.login("nobody", PASSWORD)
    async with db.write() as s:
        row = await s.get(StaffAccount, account.id)
        row.active = False
        s.add(row)
    with pytest.raises(StaffError) as inactive:
        await sessions.login("yamada", PASSWORD)
    assert unknown.value.message == inactive.value.message
    assert unknown.value.message.startswith("ログインIDまたはパスワードが正しくありません。")


class CountingPasswords(Passwords):
    """Counts the argon2 work each sign-in does (the time it takes is that work)."""

    def __init__(self) -> None:
        super().__init__(PW.hasher)
        self.work: list[str] = []

    async def prepare(self) -> None:
        self.work.append("prepare")
        await super().prepare()

    async def hash(self, password: str) -> str:
        self.work.append("hash")
        return await super().hash(password)

    async def verify(self, stored: str, password: str) -> bool:
        self.work.append("verify")
        return await super().verify(stored, password)


async def test_an_unknown_id_is_answered_like_a_wrong_password_in_words_and_work(db: Database, setup) -> None:
    """Same answer, same lock, same argon2 work for an id that does not exist as for a wrong password:
    neither the message nor the time tells an attacker which login ids exist."""
    clock, _, _ = setup
    passwords = CountingPasswords()
    sessions = StaffSessions(db, clock, passwords, SessionPolicy())

    async def attempt(login: str) -> tuple[str, str, str, list[str]]:
        passwords.work.clear()
        with pytest.raises(StaffError) as exc:
            await sessions.login(login, "wrong password", remote="198.51.100.7")
        return exc.value.kind, exc.value.code, exc.value.message, list(passwords.work)

    first = await attempt("suzuki-nobody")  # the very first sign-in makes the dummy hash, whatever its id
    assert first[3] == ["prepare", "hash", "verify"]
    for n in range(1, 7):
        known, unknown = await attempt("yamada"), await attempt("tanaka-nobody")
        assert known == unknown, n
        # one verification each, none while locked (the dummy hash exists already)
        assert known[3] == (["prepare"] if n == 6 else ["prepare", "verify"]), n
        assert known[0] == ("unauthenticated" if n < 5 else "locked")
    clock.advance(timedelta(minutes=15))
    known, unknown = await attempt("yamada"), await attempt("tanaka-nobody")
    assert known == unknown and "あと4回" in known[2]
    assert (await sessions.login("yamada", PASSWORD)).token  # the account itself still works


async def test_too_many_failures_from_one_address_are_refused_whatever_the_id(db: Database, setup, caplog) -> None:
    clock, _, _ = setup
    sessions = StaffSessions(db, clock, PW, SessionPolicy(address_max_failures=3))
    for login in ("suzuki", "sato", "takahashi"):  # an attacker spraying ids: no id reaches its own lock
        with pytest.raises(StaffError) as exc:
            await sessions.login(login, "Password1!", remote="203.0.113.9")
        assert exc.value.kind == "unauthenticated"
    with pytest.raises(StaffError) as refused:  # even the right password, from that address
        await sessions.login("yamada", PASSWORD, remote="203.0.113.9")
    assert refused.value.kind == "too_many" and "接続元" in refused.value.message
    assert "10時15分" in refused.value.message  # 01:15 UTC = 10:15 JST
    assert (await sessions.login("yamada", PASSWORD, remote="192.0.2.44")).token  # other addresses are not affected
    clock.advance(timedelta(minutes=15))
    assert (await sessions.login("yamada", PASSWORD, remote="203.0.113.9")).token
    assert "auth.login_throttled" in await _actions(db)
    # blocking the address is alerted: one warning in the log and one operation-log entry
    [alert] = [r for r in caplog.records if "refused until" in r.getMessage()]
    assert alert.levelname == "WARNING" and "203.0.113.9" in alert.getMessage()
    assert (await _actions(db)).count("auth.address_blocked") == 1


async def test_password_change_and_deactivation_end_sessions(db: Database, setup) -> None:
    clock, account, sessions = setup
    first = (await sessions.login("yamada", PASSWORD)).token
    second = await sessions.login("yamada", PASSWORD)
    async with db.write() as s:
        row = await accounts.get_account(s, account.id)
        await accounts.set_password(s, PW, NOW, row, "a brand new secret", keep_session=second.identity.session_id)
    assert await sessions.resolve(first) is None
    assert await sessions.resolve(second.token) is not None
    await sessions.logout(second.identity.session_id)
    assert await sessions.resolve(second.token) is None
    with pytest.raises(StaffError):
        await sessions.login("yamada", PASSWORD)
    assert await sessions.login("yamada", "a brand new secret")


async def test_weak_hashes_are_upgraded_on_login(db: Database, setup) -> None:
    clock, account, _ = setup
    stronger = Passwords(PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    await StaffSessions(db, clock, stronger).login("yamada", PASSWORD)
    async with db.read() as s:
        stored = (await s.get(StaffAccount, account.id)).password_hash
    assert "m=16,t=2" in stored and await stronger.verify(stored, PASSWORD)


async def test_stale_sign_in_counters_are_purged(db: Database, setup) -> None:
    from civic.staff.models import LoginThrottle
    from civic.staff.tasks import purge_login_throttle

    clock, _, sessions = setup
    with pytest.raises(StaffError):
        await sessions.login("nobody", "x", remote="203.0.113.9")
    assert await purge_login_throttle(db, clock) == 0
    clock.advance(timedelta(days=1, seconds=1))
    assert await purge_login_throttle(db, clock) == 2  # the id's counter and the address's
    async with db.read() as s:
        assert (await s.exec(select(LoginThrottle))).all() == []
