"""Staff accounts, roles, permissions and login (``/auth/...``, ``/staff``, ``/roles``, ``/permissions``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from admin_api.auth import Principal
from admin_api.errors import ApiError
from admin_api.facility_scope import all_facility_ids
from admin_api.keys import DECLARED_PERMISSIONS
from admin_api.routing import ApiRouter, Call
from admin_api.staff_auth import principal_from
from civic.rows import pk
from civic.staff import roles as role_service
from civic.staff import services as accounts
from civic.staff.models import StaffRole
from civic.staff.permissions import CATALOGUE
from civic.staff.sessions import StaffSessions

STAFF_MANAGE = "staff.manage"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginBody(_In):
    login: str = Field(min_length=1, max_length=64, description="ログインID")
    password: str = Field(min_length=1, max_length=256)
    otp: str | None = Field(default=None, max_length=32,
                            description="2段階認証の確認コード（認証アプリの6桁）または予備コード。必要なときだけ")


class Me(BaseModel):
    id: int
    login: str
    display_name: str
    role: str
    permissions: list[str] = Field(description="ロールの権限（パターン: bookings.*、*.read、* など）")
    granted: list[str] = Field(description="使える権限の一覧（パターンを展開したもの。画面の表示切り替えに）")
    facility_ids: list[int] | None = Field(
        default=None, description="管理施設（表3 no.2）。null なら全施設。ほかの施設は一覧に出ず、詳細は 404")


class LoginOut(BaseModel):
    token: str = Field(description="以後のリクエストの Authorization: Bearer に付けるトークン")
    expires_at: datetime
    staff: Me


class PasswordChange(_In):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class PasswordReset(_In):
    password: str = Field(min_length=1, max_length=256)


class StaffOut(BaseModel):
    id: int
    login: str
    display_name: str
    role_id: int
    role: str | None
    active: bool
    locked: bool
    last_login_at: datetime | None
    created_at: datetime
    facility_ids: list[int] = Field(description="管理施設の施設ID（空なら全施設）")


class StaffCreate(_In):
    login: str = Field(min_length=1, max_length=64, description="半角英小文字・数字と . _ @ -")
    display_name: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=256)
    role_id: int = Field(ge=1, le=2**31 - 1)
    facility_ids: list[int] | None = Field(default=None, max_length=500, description=(
        "管理施設（国富町 表3 no.2）の施設ID。空または null なら全施設を管理"))


class StaffUpdate(_In):
    display_name: str | None = Field(default=None, min_length=1, max_length=80)
    role_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    active: bool | None = None
    facility_ids: list[int] | None = Field(default=None, max_length=500, description=(
        "管理施設（国富町 表3 no.2）の施設ID。空または null なら全施設を管理"))


class RoleOut(BaseModel):
    id: int
    key: str
    name: str
    permissions: list[str]
    builtin: bool


class RoleCreate(_In):
    key: str = Field(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_-]*$", description="英小文字のキー")
    name: str = Field(min_length=1, max_length=80)
    permissions: list[str] = Field(max_length=100)


class RoleUpdate(_In):
    name: str | None = Field(default=None, min_length=1, max_length=80)
    permissions: list[str] | None = Field(default=None, max_length=100)


class PermissionOut(BaseModel):
    name: str
    label: str
    used_by: list[str] = Field(description="この権限が必要な操作")


def _known(call: Call) -> dict[str, str]:
    declared = call.request.config_dict.get(DECLARED_PERMISSIONS, {})
    return {**{name: name for name in declared}, **CATALOGUE}


def _me(call: Call, p: Principal) -> Me:
    return Me(id=p.staff_id, login=p.login, display_name=p.display_name, role=p.role,
              permissions=sorted(p.permissions), granted=sorted(n for n in _known(call) if p.can(n)),
              facility_ids=None if p.facilities is None else sorted(p.facilities))


def _role_out(role: StaffRole) -> RoleOut:
    return RoleOut(**role_service.role_view(role))


async def _role_held(s, call: Call, role_id: int, *, what: str, field: str | None) -> StaffRole:
    """The role, refused unless the caller holds every permission in it."""
    role = await role_service.get_role(s, role_id)
    assert call.principal is not None
    role_service.ensure_held(call.principal.permissions, role_service.permissions_of(role),
                             what=what.format(role=role.name), field=field)
    return role


router = ApiRouter("staff", description="職員アカウント・ロール・ログイン")


def sessions_of(call: Call) -> StaffSessions:
    """The service's staff sign-in (argon2id passwords, lockout, sessions)."""
    return call.ctx.need(call.ctx.sessions, "職員のログイン")


@router.route("POST", "/auth/login", summary="ログイン", permission=None, public=True, body=LoginBody,
              response=LoginOut, errors={401: "ログインIDまたはパスワードが違います", 423: "ロック中",
                                          429: "この接続元からの失敗が続いたため一時的に受け付けていません"})
async def login(call: Call) -> LoginOut:
    result = await sessions_of(call).login(call.body.login, call.body.password, otp=call.body.otp,
                                            remote=call.remote)
    i = result.identity
    principal = principal_from(i)
    return LoginOut(token=result.token, expires_at=result.expires_at, staff=_me(call, principal))


@router.route("POST", "/auth/logout", summary="ログアウト", permission=None)
async def logout(call: Call) -> None:
    assert call.principal is not None
    if call.principal.session_id is not None:
        await sessions_of(call).logout(call.principal.session_id)
    async with call.ctx.db.write() as s:
        await call.audit(s, "auth.logout", f"staff:{call.principal.staff_id}")


@router.route("GET", "/auth/me", summary="ログイン中の職員", permission=None, response=Me)
async def me(call: Call) -> Me:
    assert call.principal is not None
    return _me(call, call.principal)


@router.route("POST", "/auth/password", summary="自分のパスワード変更", permission=None, body=PasswordChange)
async def change_own_password(call: Call) -> None:
    p = call.principal
    assert p is not None
    async with call.ctx.db.write() as s:
        account = await accounts.get_account(s, p.staff_id)
        if not await sessions_of(call).passwords.verify(account.password_hash, call.body.current_password):
            raise ApiError(422, "wrong_password", "いまのパスワードが正しくありません。", "current_password")
        await accounts.set_password(s, sessions_of(call).passwords, call.ctx.clock.now(), account, call.body.new_password,
                                    keep_session=p.session_id)
        await call.audit(s, "staff.password_change", f"staff:{account.id}")


@router.route("GET", "/staff", summary="職員アカウント一覧", permission=STAFF_MANAGE, response=list[StaffOut])
async def list_staff(call: Call) -> list[StaffOut]:
    async with call.ctx.db.read() as s:
        rows = await accounts.list_accounts(s)
        managed = await accounts.managed_facilities(s, [pk(a) for a, _ in rows])
    now = call.ctx.clock.now()
    return [StaffOut(**accounts.account_view(a, r, now=now, facility_ids=managed.get(pk(a)))) for a, r in rows]


async def _view(call: Call, s: AsyncSession, staff_id: int) -> StaffOut:
    account = await accounts.get_account(s, staff_id)
    role = await s.get(StaffRole, account.role_id)
    managed = await accounts.managed_facilities(s, [staff_id])
    return StaffOut(**accounts.account_view(account, role, now=call.ctx.clock.now(),
                                            facility_ids=managed.get(staff_id)))


async def _set_facilities(call: Call, s: AsyncSession, staff_id: int, facility_ids: list[int] | None) -> None:
    """The account's 管理施設 (empty or null: every facility). A caller limited to some facilities may give
    only facilities of their own, and not every facility."""
    chosen = facility_ids or []
    assert call.principal is not None
    mine = call.principal.facilities
    if mine is not None and (not chosen or not set(chosen) <= mine):
        raise ApiError(403, "facility_scope", "自分の管理施設のうちから管理施設を選んでください（全施設は選べません）。",
                       "facility_ids")
    await accounts.set_managed_facilities(s, staff_id, chosen, await all_facility_ids(s))


@router.route("POST", "/staff", summary="職員アカウント作成", permission=STAFF_MANAGE, body=StaffCreate,
              response=StaffOut, status=201)
async def create_staff(call: Call) -> StaffOut:
    b = call.body
    async with call.ctx.db.write() as s:
        await _role_held(s, call, b.role_id, what="ロール「{role}」", field="role_id")
        account = await accounts.create_account(s, sessions_of(call).passwords, call.ctx.clock.now(), login=b.login, password=b.password,
                                                display_name=b.display_name, role_id=b.role_id)
        await _set_facilities(call, s, pk(account), b.facility_ids)
        out = await _view(call, s, pk(account))
        await call.audit(s, "staff.create", f"staff:{account.id}", after=out)
    return out


@router.route("GET", "/staff/{staff_id:\\d+}", summary="職員アカウント", permission=STAFF_MANAGE,
              response=StaffOut)
async def get_staff(call: Call) -> StaffOut:
    async with call.ctx.db.read() as s:
        return await _view(call, s, call.path_int("staff_id"))


@router.route("PATCH", "/staff/{staff_id:\\d+}", summary="職員アカウント変更（表示名・ロール・有効/無効・管理施設）",
              permission=STAFF_MANAGE, body=StaffUpdate, response=StaffOut)
async def update_staff(call: Call) -> StaffOut:
    b = call.body
    async with call.ctx.db.write() as s:
        staff_id = call.path_int("staff_id")
        before = await _view(call, s, staff_id)
        account = await accounts.get_account(s, staff_id)
        await _role_held(s, call, account.role_id, what="この職員のロール「{role}」", field=None)
        if b.role_id is not None and b.role_id != account.role_id:
            if call.principal is not None and staff_id == call.principal.staff_id:
                raise ApiError(403, "own_role", "自分のロールは変更できません。ほかの管理者に依頼してください。",
                               "role_id")
            await _role_held(s, call, b.role_id, what="ロール「{role}」", field="role_id")
        await accounts.update_account(s, call.ctx.clock.now(), account, display_name=b.display_name,
                                      role_id=b.role_id, active=b.active)
        if "facility_ids" in b.model_fields_set:
            await _set_facilities(call, s, staff_id, b.facility_ids)
        after = await _view(call, s, staff_id)
        await call.audit(s, "staff.update", f"staff:{staff_id}", before=before, after=after)
    return after


@router.route("POST", "/staff/{staff_id:\\d+}/password", summary="パスワード再設定（管理者が行う）",
              permission=STAFF_MANAGE, body=PasswordReset)
async def reset_password(call: Call) -> None:
    async with call.ctx.db.write() as s:
        account = await accounts.get_account(s, call.path_int("staff_id"))
        await _role_held(s, call, account.role_id, what="この職員のロール「{role}」", field=None)
        await accounts.set_password(s, sessions_of(call).passwords, call.ctx.clock.now(), account, call.body.password)
        await call.audit(s, "staff.password_reset", f"staff:{account.id}")


@router.route("POST", "/staff/{staff_id:\\d+}/unlock", summary="ロック解除", permission=STAFF_MANAGE)
async def unlock_staff(call: Call) -> None:
    async with call.ctx.db.write() as s:
        account = await accounts.get_account(s, call.path_int("staff_id"))
        before = {"locked_until": account.locked_until, "failed_logins": account.failed_logins}
        await accounts.unlock(s, call.ctx.clock.now(), account)
        await call.audit(s, "staff.unlock", f"staff:{account.id}", before=before,
                         after={"locked_until": None, "failed_logins": 0})


@router.route("GET", "/roles", summary="ロール一覧", permission=STAFF_MANAGE, response=list[RoleOut])
async def list_roles(call: Call) -> list[RoleOut]:
    async with call.ctx.db.read() as s:
        return [_role_out(r) for r in await role_service.list_roles(s)]


@router.route("POST", "/roles", summary="ロール作成", permission=STAFF_MANAGE, body=RoleCreate,
              response=RoleOut, status=201)
async def create_role(call: Call) -> RoleOut:
    b = call.body
    assert call.principal is not None
    role_service.ensure_held(call.principal.permissions, b.permissions, what="このロール", field="permissions")
    async with call.ctx.db.write() as s:
        role = await role_service.create_role(s, call.ctx.clock.now(), key=b.key, name=b.name,
                                              permissions=b.permissions, known=_known(call))
        out = _role_out(role)
        await call.audit(s, "roles.create", f"role:{role.id}", after=out)
    return out


@router.route("PATCH", "/roles/{role_id:\\d+}", summary="ロール変更", permission=STAFF_MANAGE, body=RoleUpdate,
              response=RoleOut)
async def update_role(call: Call) -> RoleOut:
    b = call.body
    async with call.ctx.db.write() as s:
        role = await _role_held(s, call, call.path_int("role_id"), what="ロール「{role}」", field=None)
        before = _role_out(role)
        if b.permissions is not None:
            assert call.principal is not None
            role_service.ensure_held(call.principal.permissions, b.permissions, what="このロール",
                                     field="permissions")
        await role_service.update_role(s, call.ctx.clock.now(), role, name=b.name, permissions=b.permissions,
                                       known=_known(call))
        out = _role_out(role)
        await call.audit(s, "roles.update", f"role:{role.id}", before=before, after=out)
    return out


@router.route("DELETE", "/roles/{role_id:\\d+}", summary="ロール削除", permission=STAFF_MANAGE)
async def delete_role(call: Call) -> None:
    async with call.ctx.db.write() as s:
        role = await role_service.get_role(s, call.path_int("role_id"))
        before = _role_out(role)
        await role_service.delete_role(s, role)
        await call.audit(s, "roles.delete", f"role:{before.id}", before=before)


@router.route("GET", "/permissions", summary="権限一覧", permission=STAFF_MANAGE, response=list[PermissionOut])
async def list_permissions(call: Call) -> list[PermissionOut]:
    declared = call.request.config_dict.get(DECLARED_PERMISSIONS, {})
    names = sorted(set(CATALOGUE) | set(declared))
    return [PermissionOut(name=n, label=CATALOGUE.get(n, n), used_by=declared.get(n, [])) for n in names]

