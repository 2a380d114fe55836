"""More of the staff's hand-over work (有人チャット, issue #17): passing a conversation to a colleague
or a department, and reply templates (定型文) to pick instead of typing. Served as part of the
``handovers`` router (``handover_views``), same permission, every change in the operation log."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, model_validator
from sqlmodel import col, select

from admin_api.errors import ApiError
from admin_api.routing import ApiRouter, Call
from civic.handover import services as handovers
from civic.handover import templates
from civic.handover.models import Handover, HandoverTemplate
from civic.staff.models import StaffAccount, StaffRole
from civic.staff.permissions import grants
from civic.staff.roles import permissions_of

PERMISSION = "handovers.answer"
router = ApiRouter("handovers")


class TransferIn(BaseModel):
    staff_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="引き継ぐ職員（その職員の担当になります）")
    department: str = Field(default="", max_length=80, description="引き継ぐ部署（その部署のだれかが担当するまで未割り当て）")

    @model_validator(mode="after")
    def _somewhere(self) -> TransferIn:
        self.department = self.department.strip()
        if self.staff_id is None and not self.department:
            raise ValueError("引き継ぎ先の職員か部署を指定してください。")
        return self


class TransferOut(BaseModel):
    id: int
    assignee: str | None
    assignee_id: int | None
    department: str


class TemplateIn(BaseModel):
    title: str = Field(min_length=1, max_length=80, description="一覧に出す名前")
    text: str = Field(min_length=1, max_length=2000, description="返信の文（選ぶと入力欄に入ります）")


class TemplateOut(TemplateIn):
    id: int
    updated_at: datetime


class StaffChoice(BaseModel):
    id: int
    name: str


def _fail(exc: handovers.HandoverError, field: str = "id") -> ApiError:
    return ApiError(exc.status, exc.code, exc.message, field)


async def _answering_staff(s: object, staff_id: int | None = None) -> list[StaffChoice]:
    """Active staff whose role may answer hand-overs (the colleagues one may pass a conversation to)."""
    query = select(StaffAccount, StaffRole).join(StaffRole, col(StaffRole.id) == col(StaffAccount.role_id)).where(
        col(StaffAccount.active).is_(True))
    if staff_id is not None:
        query = query.where(StaffAccount.id == staff_id)
    rows = (await s.exec(query.order_by(col(StaffAccount.display_name))))  # type: ignore[attr-defined]
    return [StaffChoice(id=a.id, name=a.display_name) for a, r in rows.all()
            if grants(frozenset(permissions_of(r)), PERMISSION)]


@router.route("GET", "/handovers/colleagues", summary="引き継ぎ先にできる職員（有人チャットを担当できる人）",
              permission=PERMISSION, response=list[StaffChoice])
async def list_colleagues(call: Call) -> list[StaffChoice]:
    async with call.ctx.db.read() as s:
        return await _answering_staff(s)


@router.route("POST", r"/handovers/{id:\d+}/transfer", summary="ほかの職員・部署に引き継ぐ",
              permission=PERMISSION, body=TransferIn, response=TransferOut,
              errors={409: "ほかの職員が担当中、または終了済み"})
async def transfer_handover(call: Call) -> TransferOut:
    body: TransferIn = call.body
    handover_id = call.path_int("id")
    p = call.principal
    me = handovers.Staff(p.staff_id if p else None, p.display_name if p else "")
    async with call.ctx.db.write() as s:
        to = None
        if body.staff_id is not None:
            found = await _answering_staff(s, body.staff_id)
            if not found:
                raise ApiError(422, "invalid_staff", "この職員には引き継げません（有人チャットの権限がないか、無効です）。",
                               "staff_id")
            to = handovers.Staff(found[0].id, found[0].name)
        before = await s.get(Handover, handover_id)
        was = {"assignee": before.assignee_name, "department": before.department} if before else None
        try:
            row = await handovers.transfer(s, handover_id, to=to, department=body.department, by=me,
                                           now=call.ctx.clock.now())
        except handovers.HandoverError as exc:
            raise _fail(exc) from exc
        await call.audit(s, "handover.transfer", f"handover:{handover_id}", before=was,
                         after={"assignee": row.assignee_name, "department": row.department})
        out = TransferOut(id=handover_id, assignee=row.assignee_name or None, assignee_id=row.assignee_id,
                          department=row.department)
    call.ctx.handover_feed.poke()
    return out


def _template(row: HandoverTemplate) -> TemplateOut:
    assert row.id is not None
    return TemplateOut(id=row.id, title=row.title, text=row.text, updated_at=row.updated_at)


@router.route("GET", "/handover-templates", summary="有人チャットの定型文の一覧", permission=PERMISSION,
              response=list[TemplateOut])
async def list_templates(call: Call) -> list[TemplateOut]:
    async with call.ctx.db.read() as s:
        return [_template(t) for t in await templates.listing(s)]


@router.route("POST", "/handover-templates", summary="定型文を追加する", permission=PERMISSION, body=TemplateIn,
              response=TemplateOut, status=201)
async def create_template(call: Call) -> TemplateOut:
    body: TemplateIn = call.body
    async with call.ctx.db.write() as s:
        row = await templates.save(s, None, title=body.title, text=body.text, now=call.ctx.clock.now())
        await call.audit(s, "handover_template.create", f"handover_template:{row.id}", after=body.model_dump())
        return _template(row)


@router.route("PUT", r"/handover-templates/{template_id:\d+}", summary="定型文を変更する", permission=PERMISSION,
              body=TemplateIn, response=TemplateOut)
async def update_template(call: Call) -> TemplateOut:
    body: TemplateIn = call.body
    template_id = call.path_int("template_id")
    async with call.ctx.db.write() as s:
        try:
            old = await templates.get(s, template_id)
            before = {"title": old.title, "text": old.text}
            row = await templates.save(s, template_id, title=body.title, text=body.text, now=call.ctx.clock.now())
        except handovers.HandoverError as exc:
            raise _fail(exc, "template_id") from exc
        await call.audit(s, "handover_template.update", f"handover_template:{template_id}", before=before,
                         after=body.model_dump())
        return _template(row)


@router.route("DELETE", r"/handover-templates/{template_id:\d+}", summary="定型文を削除する", permission=PERMISSION)
async def delete_template(call: Call) -> None:
    template_id = call.path_int("template_id")
    async with call.ctx.db.write() as s:
        try:
            row = await templates.delete(s, template_id)
        except handovers.HandoverError as exc:
            raise _fail(exc, "template_id") from exc
        await call.audit(s, "handover_template.delete", f"handover_template:{template_id}",
                         before={"title": row.title, "text": row.text})
