"""Roles: the built-in ones (管理者, 編集者, 配信担当, 施設担当, 閲覧者) and roles staff define."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.staff.errors import StaffError
from civic.staff.models import StaffAccount, StaffRole
from civic.staff.permissions import BUILTIN_ROLES, CATALOGUE, invalid_pattern, is_administrator, not_held


def permissions_of(role: StaffRole) -> list[str]:
    return list(json.loads(role.permissions))


def role_view(role: StaffRole) -> dict:
    return {"id": role.id, "key": role.key, "name": role.name, "permissions": permissions_of(role),
            "builtin": role.builtin}


async def ensure_builtin_roles(session: AsyncSession, now: datetime) -> None:
    """Create missing built-in roles (idempotent); existing ones are left as staff edited them."""
    existing = set((await session.exec(select(StaffRole.key))).all())
    for builtin in BUILTIN_ROLES:
        if builtin.key not in existing:
            session.add(StaffRole(key=builtin.key, name=builtin.name, builtin=True,
                                  permissions=json.dumps(list(builtin.permissions)),
                                  created_at=now, updated_at=now))
    await session.flush()


async def list_roles(session: AsyncSession) -> list[StaffRole]:
    return list((await session.exec(select(StaffRole).order_by(col(StaffRole.id)))).all())


async def get_role(session: AsyncSession, role_id: int) -> StaffRole:
    role = await session.get(StaffRole, role_id)
    if role is None:
        raise StaffError("not_found", "role_not_found", f"ロール（ID {role_id}）は見つかりません。")
    return role


async def role_by_key(session: AsyncSession, key: str) -> StaffRole:
    role = (await session.exec(select(StaffRole).where(StaffRole.key == key))).first()
    if role is None:
        keys = "、".join((await session.exec(select(col(StaffRole.key)).order_by(col(StaffRole.id)))).all())
        raise StaffError("invalid", "role_not_found", f"ロール「{key}」はありません（あるロール: {keys}）。", "role")
    return role


def _check_permissions(patterns: list[str], known: Mapping[str, str]) -> list[str]:
    cleaned: list[str] = []
    for i, pattern in enumerate(patterns):
        pattern = pattern.strip()
        problem = invalid_pattern(pattern, known)
        if problem:
            raise StaffError("invalid", "unknown_permission", problem, f"permissions.{i}")
        if pattern not in cleaned:
            cleaned.append(pattern)
    return cleaned


async def create_role(session: AsyncSession, now: datetime, *, key: str, name: str, permissions: list[str],
                      known: Mapping[str, str] = CATALOGUE) -> StaffRole:
    if (await session.exec(select(StaffRole).where(StaffRole.key == key))).first():
        raise StaffError("conflict", "role_exists", f"ロールキー「{key}」はすでに使われています。", "key")
    role = StaffRole(key=key, name=name, permissions=json.dumps(_check_permissions(permissions, known)),
                     builtin=False, created_at=now, updated_at=now)
    session.add(role)
    await session.flush()
    return role


async def update_role(session: AsyncSession, now: datetime, role: StaffRole, *, name: str | None,
                      permissions: list[str] | None, known: Mapping[str, str] = CATALOGUE) -> StaffRole:
    if permissions is not None:
        cleaned = _check_permissions(permissions, known)
        if role.key == "admin" and "*" not in cleaned:
            raise StaffError("invalid", "admin_role_fixed",
                             "管理者ロールの権限は変更できません（すべての権限「*」が必要です）。", "permissions")
        if is_administrator(permissions_of(role)) and not is_administrator(cleaned):
            await keep_an_administrator(session, excluding_role=role.id)
        role.permissions = json.dumps(cleaned)
    if name is not None:
        role.name = name
    role.updated_at = now
    session.add(role)
    await session.flush()
    return role


async def delete_role(session: AsyncSession, role: StaffRole) -> None:
    if role.builtin:
        raise StaffError("conflict", "builtin_role", f"標準のロール「{role.name}」は削除できません。")
    count = (await session.exec(
        select(sa.func.count()).select_from(StaffAccount).where(StaffAccount.role_id == role.id)
    )).one()
    if count:
        raise StaffError("conflict", "role_in_use",
                         f"ロール「{role.name}」は{count}人の職員に割り当てられています。先に別のロールに変更してください。")
    await session.delete(role)
    await session.flush()


def ensure_held(held: Iterable[str], patterns: Iterable[str], *, what: str, field: str | None = None) -> None:
    """Refuse to grant (or to act on someone holding) a permission the acting staff member lacks."""
    missing = not_held(held, patterns)
    if missing:
        raise StaffError("forbidden", "permission_not_held",
                         f"{what}には、あなたが持っていない権限（{'、'.join(missing)}）が含まれています。"
                         "自分が持っている権限の範囲でのみ、付与や変更ができます。", field)


async def keep_an_administrator(session: AsyncSession, *, excluding_role: int | None = None,
                                 excluding_staff: int | None = None) -> None:
    """Refuse a change that would leave no active administrator (a role holding ``*``).

    The administrators' rows are locked (PostgreSQL), so two administrators demoting each other at
    the same moment are serialised: the second one sees the first change and is refused."""
    rows = (await session.exec(
        select(StaffAccount.id, StaffRole.id, StaffRole.permissions)
        .join(StaffRole, col(StaffRole.id) == col(StaffAccount.role_id))
        .where(StaffAccount.active == True)  # noqa: E712
        .with_for_update(of=StaffAccount)
    )).all()
    for staff_id, role_id, permissions in rows:
        if staff_id == excluding_staff or role_id == excluding_role:
            continue
        if is_administrator(json.loads(permissions)):
            return
    raise StaffError("conflict", "last_administrator",
                     "管理者（すべての権限を持つ職員）がいなくなるため、この変更はできません。"
                     "先に別の職員に管理者ロールを割り当ててください。")
