"""Staff API for the response templates of road-damage reports (回答テンプレート; 酒田市 第5章1(6), FixMyStreet's
response templates): the reports page offers those of the status staff move a report to, and staff keep
them in the console. Included in ``report_views.router``. Permissions: ``reports.read`` to read,
``reports.templates`` to change (administrators; a town may give it to a role of its own).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from admin_api.errors import ApiError
from admin_api.routing import ApiRouter, Call
from civic.reports import templates
from civic.reports.models import ReportTemplate

router = ApiRouter("reports")
EDIT = "reports.templates"
TEMPLATE = r"/reports/templates/{id:\d+}"
Status = Literal["in_progress", "done", "rejected", "duplicate"]
TEXT_HELP = "通報者に LINE で届く文（です・ます調で）"


class TemplateIn(BaseModel):
    status: Status = Field(description="この状態に変えるときに出すテンプレート")
    title: str = Field(min_length=1, max_length=80, description="職員が選ぶときの見出し")
    text: str = Field(min_length=1, max_length=1000, description=TEXT_HELP)
    sort_order: int = Field(default=0, ge=0, le=100000, description="小さいほど上に出ます")


class TemplatePatch(BaseModel):
    status: Status | None = None
    title: str | None = Field(default=None, min_length=1, max_length=80)
    text: str | None = Field(default=None, min_length=1, max_length=1000, description=TEXT_HELP)
    sort_order: int | None = Field(default=None, ge=0, le=100000)


class TemplateOut(BaseModel):
    id: int
    status: str
    title: str
    text: str
    sort_order: int
    updated_at: datetime


class TemplatesQuery(BaseModel):
    status: Status | None = Field(default=None, description="この状態のテンプレートだけ")


def _out(row: ReportTemplate) -> TemplateOut:
    assert row.id is not None
    return TemplateOut(id=row.id, status=row.status, title=row.title, text=row.text, sort_order=row.sort_order,
                       updated_at=row.updated_at)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    for key in ("title", "text"):
        if key in values:
            values[key] = values[key].strip()
            if not values[key]:
                raise ApiError(422, "invalid", "空白だけにはできません。", key)
    return values


async def _row(s: Any, call: Call) -> ReportTemplate:
    row = await s.get(ReportTemplate, call.path_int("id"))
    if row is None:
        raise ApiError(404, "not_found", "回答テンプレートが見つかりません。", "id")
    return row


@router.route("GET", "/reports/templates", summary="通報の回答テンプレートの一覧（状態ごと、並び順）",
              permission="reports.read", query=TemplatesQuery, response=list[TemplateOut])
async def list_report_templates(call: Call) -> list[TemplateOut]:
    async with call.ctx.db.read() as s:
        return [_out(r) for r in await templates.listing(s, call.query.status)]


@router.route("POST", "/reports/templates", summary="回答テンプレートの追加", permission=EDIT, body=TemplateIn,
              response=TemplateOut, status=201)
async def create_report_template(call: Call) -> TemplateOut:
    values = _clean(call.body.model_dump())
    async with call.ctx.db.write() as s:
        row = ReportTemplate(**values, updated_at=call.ctx.clock.now())
        s.add(row)
        await s.flush()
        out = _out(row)
        await call.audit(s, "reports.template.create", f"report-template:{row.id}", after=out)
    return out


@router.route("PATCH", TEMPLATE, summary="回答テンプレートの変更", permission=EDIT, body=TemplatePatch,
              response=TemplateOut)
async def update_report_template(call: Call) -> TemplateOut:
    values = _clean(call.body.model_dump(exclude_unset=True, exclude_none=True))
    async with call.ctx.db.write() as s:
        row = await _row(s, call)
        before = _out(row)
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = call.ctx.clock.now()
        s.add(row)
        await s.flush()
        out = _out(row)
        await call.audit(s, "reports.template.update", f"report-template:{row.id}", before=before, after=out)
    return out


@router.route("DELETE", TEMPLATE, summary="回答テンプレートの削除", permission=EDIT)
async def delete_report_template(call: Call) -> None:
    async with call.ctx.db.write() as s:
        row = await _row(s, call)
        before = _out(row)
        await s.delete(row)
        await call.audit(s, "reports.template.delete", f"report-template:{before.id}", before=before)
