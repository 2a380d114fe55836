"""Staff accounts and roles on both backends: creation rules, the last administrator, custom roles."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from civic.clock import FrozenClock
from civic.database import Database
from civic.staff import roles
from civic.staff import services as accounts
from civic.staff.errors import StaffError
from civic.staff.models import OperationLog, StaffAccount
from civic.staff.passwords import Passwords

NOW = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)
PW = Passwords.for_tests()


async def test_create_staff_for_the_cli_hashes_with_argon2id_and_logs(db: Database) -> None:
    account = await accounts.create_staff(db, FrozenClock(NOW), "Admin", "correct horse battery", "総務課 管理者",
                                          "admin", passwords=PW)
    assert account.login == "admin"
    async with db.read() as s:
        stored = (await s.exec(select(StaffAccount))).one()
        log = (await s.exec(select(OperationLog))).one()
    assert stored.password_hash.startswith("$argon2id$") and "correct" not in stored.password_hash
    assert await PW.verify(stored.password_hash, "correct horse battery")
    assert (log.action, log.staff_login, log.target_type, log.target_id) == ("staff.create", "(cli)", "staff", str(account.id))
    assert "password" not in (log.after or "").replace('"***"', "")


async def test_create_staff_explains_what_to_fix(db: Database) -> None:
    clock = FrozenClock(NOW)
    with pytest.raises(StaffError) as short:
        await accounts.create_staff(db, clock, "tanaka", "short", "田中", "admin", passwords=PW)
    assert short.value.field == "password" and "10文字以上" in short.value.message
    with pytest.raises(StaffError) as role:
        await accounts.create_staff(db, clock, "tanaka", "long enough pw", "田中", "boss", passwords=PW)
    assert "boss" in role.value.message and "admin" in role.value.message
    with pytest.raises(StaffError) as bad_login:
        await accounts.create_staff(db, clock, "田中", "long enough pw", "田中", "admin", passwords=PW)
    assert bad_login.value.field == "login"
    await accounts.create_staff(db, clock, "tanaka", "long enough pw", "田中", "editor", passwords=PW)
    with pytest.raises(StaffError) as taken:
        await accounts.create_staff(db, clock, "TANAKA", "long enough pw", "田中", "admin", passwords=PW)
    assert taken.value.kind == "conflict" and "tanaka" in taken.value.message


async def test_the_last_administrator_cannot_be_removed(db: Database) -> None:
    clock = FrozenClock(NOW)
    admin = await accounts.create_staff(db, clock, "admin", "kanri pass 111", "管理者", "admin", passwords=PW)
    async with db.write() as s:
        viewer = await roles.role_by_key(s, "viewer")
        row = await accounts.get_account(s, admin.id)
        with pytest.raises(StaffError) as exc:
            await accounts.update_account(s, NOW, row, role_id=viewer.id)
        assert exc.value.code == "last_administrator"
        with pytest.raises(StaffError):
            await accounts.update_account(s, NOW, row, active=False)
    second = await accounts.create_staff(db, clock, "admin2", "kanri pass 222", "管理者2", "admin", passwords=PW)
    async with db.write() as s:
        row = await accounts.get_account(s, admin.id)
        await accounts.update_account(s, NOW, row, active=False)
    async with db.read() as s:
        assert (await accounts.get_account(s, admin.id)).active is False
        assert (await accounts.get_account(s, second.id)).active is True


async def test_custom_roles_accept_patterns_and_refuse_unknown_permissions(db: Database) -> None:
    async with db.write() as s:
        await roles.ensure_builtin_roles(s, NOW)
        role = await roles.create_role(s, NOW, key="kouhou", name="広報担当",
                                       permissions=["deliveries.*", "stats.read", "stats.read"])
        assert roles.permissions_of(role) == ["deliveries.*", "stats.read"]
        with pytest.raises(StaffError) as unknown:
            await roles.create_role(s, NOW, key="x", name="x", permissions=["stats.read", "stats.fly"])
        assert unknown.value.field == "permissions.1" and "stats.fly" in unknown.value.message
        with pytest.raises(StaffError) as malformed:
            await roles.create_role(s, NOW, key="y", name="y", permissions=["Stats Read"])
        assert "書き方" in malformed.value.message
        admin = await roles.role_by_key(s, "admin")
        with pytest.raises(StaffError):
            await roles.update_role(s, NOW, admin, name=None, permissions=["stats.read"])
        with pytest.raises(StaffError) as builtin:
            await roles.delete_role(s, admin)
        assert builtin.value.code == "builtin_role"
        await roles.delete_role(s, role)
        keys = [r.key for r in await roles.list_roles(s)]
    assert keys == ["admin", "editor", "delivery", "facility", "counter", "viewer"]


async def test_builtin_roles_are_created_once(db: Database) -> None:
    for _ in range(2):
        async with db.write() as s:
            await roles.ensure_builtin_roles(s, NOW)
    async with db.read() as s:
        assert len(await roles.list_roles(s)) == 6


async def test_the_cli_can_reset_a_forgotten_administrator_password(db: Database) -> None:
    from civic.staff.sessions import StaffSessions

    clock = FrozenClock(NOW)
    await accounts.create_staff(db, clock, "kanri", "first password", "管理者", "admin", passwords=PW)
    sessions = StaffSessions(db, clock, PW)
    for _ in range(5):
        with pytest.raises(StaffError):
            await sessions.login("kanri", "forgotten?")
    await accounts.reset_staff_password(db, clock, "KANRI", "second password", passwords=PW)
    assert (await sessions.login("kanri", "second password")).token
    with pytest.raises(StaffError) as exc:
        await accounts.reset_staff_password(db, clock, "nobody", "second password", passwords=PW)
    assert "nobody" in exc.value.message


@pytest.fixture
async def pg_db(postgres_database: str, cipher) -> Database:
    """PostgreSQL only: SQLite serialises every write transaction, so this race cannot happen there."""
    from tests.conftest import _truncate_all

    await _truncate_all(postgres_database)
    database = Database(postgres_database, cipher)
    yield database
    await database.dispose()


async def test_two_administrators_demoting_each_other_at_once_leave_one(pg_db: Database) -> None:
    import asyncio

    import sqlalchemy as sa

    clock = FrozenClock(NOW)
    a = await accounts.create_staff(pg_db, clock, "admin-a", "kanri pass 111", "A", "admin", passwords=PW)
    b = await accounts.create_staff(pg_db, clock, "admin-b", "kanri pass 222", "B", "admin", passwords=PW)
    async with pg_db.read() as s:
        viewer = (await roles.role_by_key(s, "viewer")).id

    async def demote(staff_id: int) -> None:
        async with pg_db.write() as s:
            await accounts.update_account(s, NOW, await accounts.get_account(s, staff_id), role_id=viewer)

    async def waiting_on_a_lock() -> bool:
        async with pg_db.read() as s:
            n = (await s.exec(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                      "AND wait_event_type = 'Lock'"))).one()[0]
        return n > 0

    async with pg_db.write() as s:  # A demotes B, not yet committed …
        await accounts.update_account(s, NOW, await accounts.get_account(s, b.id), role_id=viewer)
        other = asyncio.create_task(demote(a.id))  # … while B demotes A
        while not other.done() and not await waiting_on_a_lock():
            await asyncio.sleep(0.01)  # until B's transaction waits for A's (or, unguarded, has finished)
    with pytest.raises(StaffError) as exc:
        await other
    assert exc.value.code == "last_administrator"
    async with pg_db.read() as s:
        assert (await accounts.get_account(s, a.id)).role_id != viewer
