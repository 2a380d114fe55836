"""Related application forms made from a 届書 (関連申請書, 小郡市 spec §(4) c–g, §(5) o, r, w).

``GET /counter/forms/{id}/related`` lists the town's templates this staff member's role may fill and
the ones already made; ``POST`` fills one (applicant, copies, purpose) and keeps it as xlsx and PDF,
each full and masked; ``GET /counter/forms/{id}/related/{doc}`` downloads one (masked unless the
caller holds ``counter.numbers``). Reads are logged as reads of the 届書.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from admin_api.counter_views import NUMBERS, READ, WRITE, _desk, _found, _numbers, _staff
from admin_api.errors import ApiError
from admin_api.routing import ApiRouter, Call
from civic.clock import TOKYO
from civic.counter import services
from civic.counter.forms import FormProblem
from civic.counter.related import RelatedTemplate, Request, make

PDF_KIND, XLSX_KIND = "related", "related-xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

router = ApiRouter("counter", description="書かない窓口: 関連申請書（町の Excel 様式に届書から記入）")


class TemplateOut(BaseModel):
    key: str
    title: str
    certificate: bool = Field(description="通数・使いみちを書く様式（証明書の交付申請）")
    members_table: bool


class MadeOut(BaseModel):
    id: int
    kind: str = Field(description="related（PDF）| related-xlsx（Excel）")
    label: str
    template: str = Field(description="作った様式の key（様式名を変えても変わらない）")
    size: int
    created_at: datetime
    created_by: str


class RelatedOut(BaseModel):
    templates: list[TemplateOut] = Field(description="この職員の役割で作れる様式")
    made: list[MadeOut]


class RelatedIn(BaseModel):
    template: str = Field(max_length=64)
    applicant: int = Field(default=0, ge=0, le=30, description="申請者（世帯員の番号、0 から）")
    copies: int = Field(default=1, ge=1, le=20, description="通数")
    purpose: str = Field(default="", max_length=100, description="使いみち")


class CreatedOut(BaseModel):
    pdf: MadeOut
    xlsx: MadeOut


def _role(call: Call) -> str:
    return call.principal.role if call.principal is not None else ""


def _allowed(call: Call) -> list[RelatedTemplate]:
    role = _role(call)
    return [t for t in _desk(call).related.values() if t.allowed(role)]


def _made(d: Any) -> MadeOut:
    return MadeOut(id=d.id or 0, kind=d.kind, label=d.label, template=d.template, size=d.size, created_at=d.created_at,
                   created_by=d.created_by)


@router.route("GET", r"/counter/forms/{id:\d+}/related", summary="関連申請書: 作れる様式と作成済みの一覧",
              permission=READ, response=RelatedOut, personal="counter_forms", personal_always=True)
async def list_related_forms(call: Call) -> RelatedOut:
    async with call.ctx.db.read() as s:
        found = await _found(s, call.path_int("id"))
        docs = await services.documents(s, found.form.id or 0)
    return RelatedOut(
        templates=[TemplateOut(key=t.key, title=t.title, certificate="copies" in t.cells.values(),
                               members_table=bool(t.rows)) for t in _allowed(call)],
        made=[_made(d) for d in docs if d.kind in (PDF_KIND, XLSX_KIND)])


@router.route("POST", r"/counter/forms/{id:\d+}/related", summary="関連申請書を作る（様式・申請者・通数・使いみち）",
              permission=WRITE, body=RelatedIn, response=CreatedOut, status=201,
              errors={403: "この役割では作れない様式", 422: "様式・申請者の誤り"})
async def create_related_form(call: Call) -> CreatedOut:
    body: RelatedIn = call.body
    template = _desk(call).related.get(body.template)
    if template is None:
        raise ApiError(422, "invalid", f"様式 {body.template} はありません。", "template")
    if not template.allowed(_role(call)):
        raise ApiError(403, "forbidden", f"「{template.title}」はこの役割では作れません。", "template")
    today = call.ctx.clock.now().astimezone(TOKYO).date()
    now, staff = call.ctx.clock.now(), _staff(call)
    async with call.ctx.db.write() as s:
        found = await _found(s, call.path_int("id"))
        request = Request(body.applicant, body.copies, body.purpose)
        try:
            files = await asyncio.to_thread(make, template, found.doc, number=found.form.number, request=request,
                                            today=today)
        except FormProblem as exc:
            raise ApiError(422, "invalid", exc.message, exc.field) from None
        label = f"{template.title}（{found.doc['members'][body.applicant]['name']}）"
        form_id = found.form.id or 0
        xlsx = await services.store_document(s, form_id, kind=XLSX_KIND, label=label, full=files["xlsx"],
                                             masked=files["xlsx_masked"], staff=staff, now=now,
                                             template=template.key)
        pdf = await services.store_document(s, form_id, kind=PDF_KIND, label=label, full=files["pdf"],
                                            masked=files["pdf_masked"], staff=staff, now=now,
                                            template=template.key)
        await call.audit(s, "counter.related.create", f"counter_form:{form_id}",
                         after={"template": template.key, "applicant": body.applicant, "copies": body.copies,
                                "purpose": bool(body.purpose), "documents": [xlsx.id, pdf.id]})
        return CreatedOut(pdf=_made(pdf), xlsx=_made(xlsx))


@router.route("GET", r"/counter/forms/{id:\d+}/related/{doc:\d+}", summary="関連申請書を取り出す（PDF・Excel、権限によりマスキング版）",
              permission=READ, produces=("application/pdf", XLSX), personal="counter_forms", personal_always=True,
              description=f"{NUMBERS} がなければ個人番号・住民票コード・在留カード番号を隠した版。")
async def download_related_form(call: Call) -> web.Response:
    form_id, doc_id = call.path_int("id"), call.path_int("doc")
    async with call.ctx.db.read() as s:
        docs = {d.id: d for d in await services.documents(s, form_id) if d.kind in (PDF_KIND, XLSX_KIND)}
    doc = docs.get(doc_id)
    if doc is None:
        raise ApiError(404, "not_found", f"関連申請書 {doc_id} はこの届書にありません。")
    plain = _numbers(call)
    data = services.pdf_of(doc, masked=not plain)
    pdf = doc.kind == PDF_KIND
    name = f"related-{form_id}-{doc_id}{'' if plain else '-masked'}.{'pdf' if pdf else 'xlsx'}"
    return web.Response(body=data, content_type="application/pdf" if pdf else XLSX,
                        headers={"Content-Disposition": f'{"inline" if pdf else "attachment"}; filename="{name}"',
                                 "Cache-Control": "no-store"})
