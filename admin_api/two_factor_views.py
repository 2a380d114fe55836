"""Two-factor sign-in for staff (``/auth/two-factor``), and for administrators: requiring it per
role and resetting it for a staff member who lost their phone. See ``civic.staff.two_factor``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from admin_api.routing import ApiRouter, Call
from civic.staff import roles as role_service
from civic.staff import services as accounts
from civic.staff import two_factor
from civic.staff.models import StaffAccount, StaffRole

STAFF_MANAGE = "staff.manage"



class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CodeIn(_In):
    code: str = Field(min_length=1, max_length=32, description="認証アプリの6桁の数字（解除などでは予備コードも可）")


class RequiredIn(_In):
    required: bool = Field(description="このロールの職員に2段階認証を必須にするか")


class StatusOut(BaseModel):
    enabled: bool = Field(description="2段階認証を使っているか")
    required: bool = Field(description="ロールで必須とされているか")
    must_enrol: bool = Field(description="必須なのに未設定（設定するまで他の操作はできません）")
    recovery_codes_left: int


class EnrolmentOut(BaseModel):
    secret: str = Field(description="認証アプリに手で入力するときの鍵")
    otpauth_uri: str
    qr_svg: str = Field(description="認証アプリで読み取る QR コード（SVG）")


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str] = Field(description="予備コード（各1回だけ使えます。この画面でしか表示されません）")


class StatusRoleOut(BaseModel):
    role_id: int
    required: bool


def _status_out(status: two_factor.Status) -> StatusOut:
    return StatusOut(enabled=status.enabled, required=status.required, must_enrol=status.must_enrol,
                     recovery_codes_left=status.recovery_codes_left)


async def _own(s, call: Call) -> tuple[StaffAccount, StaffRole]:
    assert call.principal is not None
    account = await accounts.get_account(s, call.principal.staff_id)
    return account, await role_service.get_role(s, account.role_id)


router = ApiRouter("two_factor", description="2段階認証")


@router.route("GET", "/auth/two-factor", summary="自分の2段階認証の状態", permission=None, response=StatusOut)
async def own_status(call: Call) -> StatusOut:
    async with call.ctx.db.read() as s:
        account, role = await _own(s, call)
        return _status_out(await two_factor.status(s, account, role))


@router.route("POST", "/auth/two-factor/setup", summary="2段階認証の設定を始める（QR コードの表示）",
              permission=None, response=EnrolmentOut)
async def setup(call: Call) -> EnrolmentOut:
    async with call.ctx.db.write() as s:
        account, _ = await _own(s, call)
        enrolment = two_factor.start_enrolment(account, call.ctx.totp_issuer)
        s.add(account)
        await call.audit(s, "auth.two_factor_setup", f"staff:{account.id}")  # never the secret
    return EnrolmentOut(secret=enrolment.secret, otpauth_uri=enrolment.uri, qr_svg=enrolment.qr_svg)


@router.route("POST", "/auth/two-factor/enable", summary="確認コードで2段階認証を有効にする", permission=None,
              body=CodeIn, response=RecoveryCodesOut)
async def enable(call: Call) -> RecoveryCodesOut:
    async with call.ctx.db.write() as s:
        account, _ = await _own(s, call)
        codes = await two_factor.confirm_enrolment(s, account, call.body.code, call.ctx.clock.now())
        await call.audit(s, "auth.two_factor_enable", f"staff:{account.id}", after={"enabled": True})
    return RecoveryCodesOut(recovery_codes=codes)


@router.route("POST", "/auth/two-factor/recovery-codes", summary="予備コードの作り直し", permission=None,
              body=CodeIn, response=RecoveryCodesOut)
async def new_codes(call: Call) -> RecoveryCodesOut:
    async with call.ctx.db.write() as s:
        account, _ = await _own(s, call)
        codes = await two_factor.regenerate_recovery_codes(s, account, call.body.code, call.ctx.clock.now())
        await call.audit(s, "auth.two_factor_recovery_codes", f"staff:{account.id}")
    return RecoveryCodesOut(recovery_codes=codes)


@router.route("POST", "/auth/two-factor/disable", summary="2段階認証の解除", permission=None, body=CodeIn)
async def disable(call: Call) -> None:
    async with call.ctx.db.write() as s:
        account, role = await _own(s, call)
        await two_factor.disable(s, account, role, call.body.code, call.ctx.clock.now())
        await call.audit(s, "auth.two_factor_disable", f"staff:{account.id}", before={"enabled": True},
                         after={"enabled": False})


@router.route("POST", "/staff/{staff_id:\\d+}/two-factor/reset",
              summary="2段階認証のリセット（スマートフォンをなくした職員が設定し直せるように）",
              permission=STAFF_MANAGE)
async def reset(call: Call) -> None:
    async with call.ctx.db.write() as s:
        account = await accounts.get_account(s, call.path_int("staff_id"))
        role = await role_service.get_role(s, account.role_id)
        assert call.principal is not None
        role_service.ensure_held(call.principal.permissions, role_service.permissions_of(role),
                                 what=f"「{role.name}」の職員の2段階認証のリセット", field=None)
        before = {"enabled": account.totp_enabled_at is not None}
        await two_factor.reset(s, account)
        await call.audit(s, "staff.two_factor_reset", f"staff:{account.id}", before=before,
                         after={"enabled": False})


@router.route("PUT", "/roles/{role_id:\\d+}/two-factor", summary="ロールの職員に2段階認証を必須にする／しない",
              permission=STAFF_MANAGE, body=RequiredIn, response=StatusRoleOut)
async def require(call: Call) -> StatusRoleOut:
    async with call.ctx.db.write() as s:
        role = await role_service.get_role(s, call.path_int("role_id"))
        assert call.principal is not None
        role_service.ensure_held(call.principal.permissions, role_service.permissions_of(role),
                                 what=f"「{role.name}」の設定の変更", field=None)
        before = {"require_two_factor": role.require_two_factor}
        role.require_two_factor = call.body.required
        role.updated_at = call.ctx.clock.now()
        s.add(role)
        await call.audit(s, "role.two_factor", f"role:{role.id}", before=before,
                         after={"require_two_factor": role.require_two_factor})
        return StatusRoleOut(role_id=call.path_int("role_id"), required=role.require_two_factor)

