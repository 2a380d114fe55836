"""Staff accounts: create, change, reset passwords, deactivate; the CLI's ``create_staff``."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.clock import Clock
from civic.database import Database
from civic.rows import pk
from civic.staff import audit
from civic.staff.errors import StaffError
from civic.staff.models import StaffAccount, StaffFacility, StaffRole, StaffSession
from civic.staff.passwords import Passwords, password_problem
from civic.staff.permissions import is_administrator
from civic.staff.roles import (
    ensure_builtin_roles,
    get_role,
    keep_an_administrator,
    permissions_of,
    role_by_key,
)

_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,63}$")


def normalize_login(login: str) -> str:
    return unicodedata.normalize("NFKC", login).strip().lower()


def check_login(login: str) -> str:
    login = normalize_login(login)
    if not _LOGIN.match(login):
        raise StaffError("invalid", "bad_login",
                         "ログインIDは半角英小文字・数字と . _ @ - の3〜64文字で、英数字から始めてください。", "login")
    return login


def check_password(password: str, login: str) -> None:
    problem = password_problem(password, login=login)
    if problem:
        raise StaffError("invalid", "weak_password", problem, "password")


def account_view(account: StaffAccount, role: StaffRole | None = None, *, now: datetime | None = None,
                 facility_ids: list[int] | None = None) -> dict:
    locked = bool(account.locked_until and now and account.locked_until > now)
    return {
        "id": account.id, "login": account.login, "display_name": account.display_name,
        "role_id": account.role_id, "role": role.key if role else None, "active": account.active,
        "locked": locked, "last_login_at": account.last_login_at, "created_at": account.created_at,
        "facility_ids": facility_ids or [],
    }


async def managed_facilities(session: AsyncSession, staff_ids: list[int]) -> dict[int, list[int]]:
    """``{staff id: [facility id, …]}`` of the accounts limited to some facilities (表3 no.2 管理施設);
    an account not in the answer manages every facility."""
    if not staff_ids:
        return {}
    rows = await session.exec(select(StaffFacility).where(col(StaffFacility.staff_id).in_(staff_ids))
                              .order_by(col(StaffFacility.facility_id)))
    out: dict[int, list[int]] = {}
    for row in rows.all():
        out.setdefault(row.staff_id, []).append(row.facility_id)
    return out


async def managing_only(session: AsyncSession, facility_id: int) -> list[str]:
    """The accounts (display names) whose only managed facility is ``facility_id``: deleting it would leave
    them with none, which reads as every facility, so it is refused while they exist."""
    theirs = select(StaffFacility.staff_id).where(StaffFacility.facility_id == facility_id)
    rows = await session.exec(
        select(StaffAccount.display_name).join(StaffFacility, col(StaffFacility.staff_id) == col(StaffAccount.id))
        .where(col(StaffAccount.id).in_(theirs)).group_by(col(StaffAccount.id), col(StaffAccount.display_name))
        .having(sa.func.count() == 1).order_by(col(StaffAccount.display_name)))
    return list(rows.all())


async def set_managed_facilities(session: AsyncSession, staff_id: int, facility_ids: list[int],
                                 known: set[int]) -> None:
    """Limits the account to ``facility_ids`` (empty: every facility). ``known`` are the facilities that
    exist; an id not among them is refused, naming it."""
    unknown = sorted(set(facility_ids) - known)
    if unknown:
        raise StaffError("invalid", "unknown_facility",
                         f"管理施設に指定した施設（ID {', '.join(map(str, unknown))}）は登録されていません。", "facility_ids")
    await session.exec(sa.delete(StaffFacility).where(col(StaffFacility.staff_id) == staff_id))
    for fid in sorted(set(facility_ids)):
        session.add(StaffFacility(staff_id=staff_id, facility_id=fid))
    await session.flush()


async def get_account(session: AsyncSession, staff_id: int) -> StaffAccount:
    account = await session.get(StaffAccount, staff_id)
    if account is None:
        raise StaffError("not_found", "staff_not_found", f"職員アカウント（ID {staff_id}）は見つかりません。")
    return account


async def list_accounts(session: AsyncSession) -> list[tuple[StaffAccount, StaffRole]]:
    rows = await session.exec(
        select(StaffAccount, StaffRole).join(StaffRole, col(StaffRole.id) == col(StaffAccount.role_id))
        .order_by(col(StaffAccount.id))
    )
    return list(rows.all())


async def create_account(session: AsyncSession, passwords: Passwords, now: datetime, *, login: str,
                         password: str, display_name: str, role_id: int) -> StaffAccount:
    login = check_login(login)
    check_password(password, login)
    if not display_name.strip():
        raise StaffError("invalid", "display_name_required", "表示名を入力してください。", "display_name")
    await get_role(session, role_id)
    taken = (await session.exec(select(StaffAccount.id).where(StaffAccount.login == login))).first()
    if taken is not None:
        raise StaffError("conflict", "login_taken", f"ログインID「{login}」はすでに使われています。", "login")
    account = StaffAccount(login=login, display_name=display_name.strip(), role_id=role_id,
                           password_hash=await passwords.hash(password), password_changed_at=now,
                           created_at=now, updated_at=now)
    session.add(account)
    await session.flush()
    return account


async def update_account(session: AsyncSession, now: datetime, account: StaffAccount, *,
                         display_name: str | None = None, role_id: int | None = None,
                         active: bool | None = None) -> StaffAccount:
    if display_name is not None:
        if not display_name.strip():
            raise StaffError("invalid", "display_name_required", "表示名を入力してください。", "display_name")
        account.display_name = display_name.strip()
    if role_id is not None and role_id != account.role_id:
        new_role = await get_role(session, role_id)
        if not is_administrator(permissions_of(new_role)):
            await keep_an_administrator(session, excluding_staff=account.id)
        account.role_id = role_id
    if active is not None and active != account.active:
        if not active:
            await keep_an_administrator(session, excluding_staff=account.id)
            await revoke_sessions(session, now, pk(account))
        account.active = active
    account.updated_at = now
    session.add(account)
    await session.flush()
    return account


async def set_password(session: AsyncSession, passwords: Passwords, now: datetime, account: StaffAccount,
                       password: str, *, keep_session: int | None = None) -> None:
    """A new password ends every session of the account but ``keep_session`` (the one changing it)."""
    check_password(password, account.login)
    account.password_hash = await passwords.hash(password)
    account.password_changed_at = now
    account.failed_logins = 0
    account.locked_until = None
    account.updated_at = now
    session.add(account)
    await revoke_sessions(session, now, pk(account), keep=keep_session)


async def unlock(session: AsyncSession, now: datetime, account: StaffAccount) -> None:
    account.failed_logins = 0
    account.locked_until = None
    account.updated_at = now
    session.add(account)
    await session.flush()


async def revoke_sessions(session: AsyncSession, now: datetime, staff_id: int, *,
                          keep: int | None = None) -> None:
    stmt = sa.update(StaffSession).where(col(StaffSession.staff_id) == staff_id, col(StaffSession.revoked_at).is_(None))
    if keep is not None:
        stmt = stmt.where(col(StaffSession.id) != keep)
    await session.exec(stmt.values(revoked_at=now))


async def create_staff(db: Database, clock: Clock, login: str, password: str, display_name: str,
                       role: str = "admin", *, passwords: Passwords | None = None) -> StaffAccount:
    """For ``python -m bot create-staff``: the first administrator (or any account) from the command line.

    ``role`` is a role key (admin, editor, delivery, facility, viewer, or a custom one).
    Raises ``StaffError`` with a Japanese message the CLI can print as is.
    """
    passwords = passwords or Passwords()
    now = clock.now()
    async with db.write() as session:
        await ensure_builtin_roles(session, now)
        role_row = await role_by_key(session, role)
        account = await create_account(session, passwords, now, login=login, password=password,
                                       display_name=display_name, role_id=pk(role_row))
        await audit.record(session, audit.SYSTEM_CLI, "staff.create", f"staff:{account.id}",
                           after=account_view(account, role_row), at=now)
    return account


async def reset_staff_password(db: Database, clock: Clock, login: str, password: str, *,
                               passwords: Passwords | None = None) -> StaffAccount:
    """For ``python -m bot reset-staff-password``: a new password (and the lock lifted) from the command line,
    when no administrator can log in any more. Every session of the account ends."""
    passwords = passwords or Passwords()
    now = clock.now()
    async with db.write() as session:
        account = (await session.exec(select(StaffAccount).where(StaffAccount.login == normalize_login(login)))).first()
        if account is None:
            raise StaffError("not_found", "staff_not_found", f"ログインID「{login}」の職員アカウントはありません。", "login")
        await set_password(session, passwords, now, account, password)
        account.active = True
        await audit.record(session, audit.SYSTEM_CLI, "staff.password_reset", f"staff:{account.id}",
                           after={"unlocked": True, "active": True}, at=now)
    return account
