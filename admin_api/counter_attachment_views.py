"""Attachments of a 届書: papers kept as PDF with a masked version (小郡市 spec §(4) e, f; §(5) q, t, u, v).

``POST /counter/forms/{id}/attachments`` (multipart: ``file`` — JPEG, PNG or PDF —, ``kind``, optional
``note``, ``layout``, ``kinds``, ``rects``) keeps a paper: the certificate read by OCR, a 委任状, others;
``GET`` lists them; ``GET …/attachments/{att}.pdf?version=masked|full`` and ``…/pages/{n}.png`` give one.
The full version needs ``counter.numbers`` (§(5) v: the role decides which version is shown; without it
only the masked one is served and the full one is refused). ``PATCH …/attachments/{att}`` changes what
is masked (kinds, rectangles drawn by staff). Every read is logged as a read of the 届書; every change
writes one operation-log entry. How masking works: ``civic.counter.attachments``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from admin_api.counter_views import (
    NUMBERS,
    READ,
    WRITE,
    _desk,
    _found,
    _layout_for,
    _multipart,
    _numbers,
    _problem,
    _staff,
)
from admin_api.errors import ApiError
from admin_api.routing import ApiRouter, Call
from civic.counter import attachments, services
from civic.counter.forms import FormProblem
from civic.counter.models import CounterAttachment
from civic.counter.ocr.layouts import DOC_KINDS, Layout

router = ApiRouter("counter", description="書かない窓口: 添付書類（PDF とマスキング版）")

#: Cards have one national layout: their regions are masked without being told which layout.
CARD_KINDS = ("zairyu", "menkyo", "mynumber")


class MaskRect(BaseModel):
    page: int
    box: list[float] = Field(description="[左, 上, 幅, 高さ]（ページに対する 0〜1 の割合）")
    kind: str = Field(default="rect", description="rect（手で描いた長方形）または定義体の項目の種類")


class AttachmentOut(BaseModel):
    id: int
    form_id: int
    kind: str
    kind_label: str
    layout: str = Field(description="自動マスキングに使った OCR の定義体（なければ空）")
    note: str
    filename: str
    pages: int
    kinds: list[str] = Field(description="隠している種類: " + "、".join(f"{k}（{v}）" for k, v in attachments.MASK_KINDS.items()))
    auto: list[MaskRect] = Field(description="定義体から見つけた項目の長方形（kinds にある種類を塗る）")
    drawn: list[MaskRect] = Field(description="職員が描いた長方形")
    size: int = Field(description="保存している大きさ（PDF とマスキング版、暗号化後のバイト数）")
    versions: list[str] = Field(description="この職員が見られる版（masked、counter.numbers があれば full も）")
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class MasksIn(BaseModel):
    kinds: list[str] = Field(description="隠す種類（定義体のある書類）: " + ", ".join(attachments.MASK_KINDS))
    rects: list[dict[str, Any]] = Field(default_factory=list, max_length=attachments.MAX_RECTS,
                                        description="職員が描く長方形: [{page, box: [左, 上, 幅, 高さ]}]（0〜1 の割合）")


class VersionQuery(BaseModel):
    version: str = Field(default="masked", pattern="^(masked|full)$",
                         description=f"masked（既定）| full（{NUMBERS} が必要）")


def _versions(call: Call) -> list[str]:
    return ["masked", "full"] if _numbers(call) else ["masked"]


def _out(call: Call, row: CounterAttachment) -> AttachmentOut:
    masks = json.loads(row.masks)
    return AttachmentOut(
        id=row.id or 0, form_id=row.form_id, kind=row.kind, kind_label=attachments.KINDS[row.kind], layout=row.layout,
        note=row.note, filename=row.filename, pages=row.pages, kinds=masks["kinds"],
        auto=[MaskRect(page=r["page"], box=r["box"], kind=r["kind"]) for r in masks["auto"]],
        drawn=[MaskRect(page=r["page"], box=r["box"]) for r in masks["drawn"]], size=row.size,
        versions=_versions(call), created_at=row.created_at, created_by=row.created_by, updated_at=row.updated_at,
        updated_by=row.updated_by)


def _json_field(fields: dict[str, str], name: str, default: Any) -> Any:
    text = fields.get(name, "").strip()
    if not text:
        return default
    if name == "kinds" and not text.startswith("["):
        return [k.strip() for k in text.split(",") if k.strip()]
    try:
        return json.loads(text)
    except ValueError:
        raise ApiError(422, "invalid", f"{name} は JSON の一覧です。", name) from None


async def _layout(call: Call, kind: str, key: str) -> Layout | None:
    """The layout whose regions are masked: the one named, or a card's own; none for other papers."""
    from civic.counter.layout_store import stored_layouts

    if not key and kind not in CARD_KINDS:
        return None
    if kind not in DOC_KINDS:
        raise ApiError(422, "invalid", f"{attachments.KINDS[kind]}には定義体を使えません。", "layout")
    async with call.ctx.db.read() as s:
        return _layout_for(_desk(call), kind, key or None, await stored_layouts(s))


@router.route("POST", r"/counter/forms/{id:\d+}/attachments", summary="添付書類を保存する（画像・PDF、マスキング版つき）",
              permission=WRITE, response=AttachmentOut, status=201,
              description="multipart/form-data: file（JPEG・PNG・PDF、12 MB・20 ページまで）、kind（"
                          + "、".join(f"{k}＝{v}" for k, v in attachments.KINDS.items())
                          + "）、note（任意）、layout（OCR の定義体: その項目の位置を自動でマスキング。カードは省略可）、"
                            "kinds（隠す種類、既定はすべて）、rects（描いた長方形の JSON）、search=1（定義体のない書類: "
    "番号を OCR で探して隠す。個人番号12桁・住民票コード11桁・在留カード番号）。",
              errors={413: "ファイルが大きすぎる", 415: "multipart/form-data ではない", 422: "ファイル・種類・定義体・長方形の誤り"})
async def add_counter_attachment(call: Call) -> AttachmentOut:
    form_id = call.path_int("id")
    data, fields = await _multipart(call, "file", ("kind", "note", "layout", "kinds", "rects", "search"))
    kind = fields.get("kind", "")
    if kind not in attachments.KINDS:
        raise ApiError(422, "invalid", f"kind は次のいずれかです: {', '.join(attachments.KINDS)}", "kind")
    note = fields.get("note", "")
    if len(note) > 500:
        raise ApiError(422, "invalid", "note は500文字までです。", "note")
    layout = await _layout(call, kind, fields.get("layout", "")[:64])
    kinds = _json_field(fields, "kinds", list(attachments.MASK_KINDS))
    rects = _json_field(fields, "rects", [])
    async with call.ctx.db.read() as s:
        found = await _found(s, form_id)
    title = f"{attachments.KINDS[kind]}（{found.form.number}）"
    # A paper without a layout: its numbers searched by OCR when asked (as many at once as OCR allows).
    desk = _desk(call)
    search = attachments.number_engine() if layout is None and fields.get("search") in ("1", "true") else None
    started = time.perf_counter()
    try:
        async with desk.slots if search is not None else contextlib.nullcontext():
            made = await asyncio.to_thread(attachments.make, data, title=title, layout=layout, kinds=kinds,
                                           drawn=rects, search=search)
    except FormProblem as exc:
        raise _problem(exc) from None
    seconds = time.perf_counter() - started
    async with call.ctx.db.write() as s:
        row = await services.add_attachment(s, form_id, kind=kind, layout=layout.key if layout else "", note=note,
                                            filename=fields.get("filename", ""), made=made, staff=_staff(call),
                                            now=call.ctx.clock.now())
        await call.audit(s, "counter.attachment.add", f"counter_form:{form_id}",
                         after={"attachment": row.id, "kind": kind, "layout": row.layout, "pages": row.pages,
                                "size": row.size, "kinds": made.masks["kinds"], "auto": len(made.masks["auto"]),
                                "drawn": len(made.masks["drawn"]), "seconds": round(seconds, 2)})
        return _out(call, row)


@router.route("GET", r"/counter/forms/{id:\d+}/attachments", summary="添付書類の一覧", permission=READ,
              response=list[AttachmentOut], personal="counter_forms", personal_always=True)
async def list_counter_attachments(call: Call) -> list[AttachmentOut]:
    async with call.ctx.db.read() as s:
        found = await _found(s, call.path_int("id"))
        rows = await services.attachments(s, found.form.id or 0)
    return [_out(call, r) for r in rows]


async def _attachment(call: Call) -> CounterAttachment:
    form_id, attachment_id = call.path_int("id"), call.path_int("att")
    async with call.ctx.db.read() as s:
        try:
            return await services.get_attachment(s, form_id, attachment_id)
        except services.NotFound:
            raise ApiError(404, "not_found", f"添付書類 {attachment_id} はこの届書にありません。") from None


def _version(call: Call) -> str:
    version: str = call.query.version
    if version == "full" and not _numbers(call):
        raise ApiError(403, "forbidden", f"マスキングなしの版には権限 {NUMBERS} が必要です（マスキング版は見られます）。",
                       "version")
    return version


@router.route("GET", r"/counter/forms/{id:\d+}/attachments/{att:\d+}.pdf",
              summary="添付書類を PDF で取り出す（version=masked|full、full は権限 counter.numbers）", permission=READ,
              query=VersionQuery, produces="application/pdf", personal="counter_forms", personal_always=True,
              errors={403: "full にはこの権限が足りない"})
async def counter_attachment_pdf(call: Call) -> web.Response:
    version = _version(call)
    row = await _attachment(call)
    name = f"attachment-{row.form_id}-{row.id}{'' if version == 'full' else '-masked'}.pdf"
    return web.Response(body=row.full if version == "full" else row.masked, content_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})


@router.route("GET", r"/counter/forms/{id:\d+}/attachments/{att:\d+}/pages/{page:\d+}.png",
              summary="添付書類の1ページを画像で見る（マスキングの長方形を描くため）", permission=READ, query=VersionQuery,
              produces="image/png", personal="counter_forms", personal_always=True,
              errors={403: "full にはこの権限が足りない"})
async def counter_attachment_page(call: Call) -> web.Response:
    version = _version(call)
    row = await _attachment(call)
    try:
        png = await asyncio.to_thread(attachments.page_png, row.full if version == "full" else row.masked,
                                      call.path_int("page"))
    except FormProblem as exc:
        raise ApiError(404, "not_found", exc.message, "page") from None
    return web.Response(body=png, content_type="image/png", headers={"Cache-Control": "no-store"})


@router.route("PATCH", r"/counter/forms/{id:\d+}/attachments/{att:\d+}",
              summary="添付書類のマスキングを変える（隠す種類・描いた長方形）", permission=WRITE, body=MasksIn,
              response=AttachmentOut, errors={422: "種類・長方形の誤り（field が示します）"})
async def mask_counter_attachment(call: Call) -> AttachmentOut:
    body: MasksIn = call.body
    row = await _attachment(call)
    title = f"{attachments.KINDS[row.kind]}（添付 {row.id}）"
    before = json.loads(row.masks)
    try:
        made = await asyncio.to_thread(attachments.remask, row.full, before, title=title, kinds=body.kinds,
                                       drawn=body.rects)
    except FormProblem as exc:
        raise _problem(exc) from None
    async with call.ctx.db.write() as s:
        row = await services.get_attachment(s, row.form_id, row.id or 0)
        row.masked, row.masks, row.size = made.masked, json.dumps(made.masks), len(made.full) + len(made.masked)
        row.updated_at, row.updated_by = call.ctx.clock.now(), _staff(call)
        s.add(row)
        await s.flush()
        await call.audit(s, "counter.attachment.mask", f"counter_form:{row.form_id}",
                         before={"attachment": row.id, "kinds": before["kinds"], "drawn": len(before["drawn"])},
                         after={"attachment": row.id, "kinds": made.masks["kinds"], "drawn": len(made.masks["drawn"])})
        return _out(call, row)


class AttachmentDeleted(BaseModel):
    id: int
    form_id: int


@router.route("DELETE", r"/counter/forms/{id:\d+}/attachments/{att:\d+}",
              summary="添付書類を削除する（PDF とマスキング版の両方。完了した届書のものは削除できない）",
              permission=WRITE, response=AttachmentDeleted,
              description="間違えて添付した書類を取り除く。完了した届書は内容と同じく添付書類も変えられない（409）。"
                          "操作ログには種類・ページ数・大きさだけを残す（書類そのものは残らない）。",
              errors={404: "その添付書類はこの届書にない", 409: "完了した届書の添付書類"})
async def delete_counter_attachment(call: Call) -> AttachmentDeleted:
    form_id, attachment_id = call.path_int("id"), call.path_int("att")
    async with call.ctx.db.write() as s:
        try:
            row = await services.delete_attachment(s, form_id, attachment_id)
        except services.NotFound:
            raise ApiError(404, "not_found", f"添付書類 {attachment_id} はこの届書にありません。") from None
        except FormProblem as exc:
            raise ApiError(409, exc.code, exc.message, exc.field) from None
        await call.audit(s, "counter.attachment.delete", f"counter_form:{form_id}",
                         before={"attachment": attachment_id, "kind": row.kind, "layout": row.layout,
                                 "pages": row.pages, "size": row.size})
    return AttachmentDeleted(id=attachment_id, form_id=form_id)
