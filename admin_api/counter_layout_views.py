"""Drawing a layout definition (定義体) from a sample image in the console (小郡市 spec §(4) b イ).

Staff upload a scan or photo of a new town's 転出証明書: ``POST /counter/layout-sample`` straightens it
and finds its frame with the reader's own ``document_frame`` and answers with the frame as an image, so
the regions staff draw on it are fractions of the same frame the reader later cuts from every scan.
``POST /counter/layout-trial`` reads the sample with the draft definition (not saved) for staff to see
what each region gives; ``GET /counter/layout-fields`` lists the fields the counter knows per document
kind. Saving, export and import are ``PUT|GET /counter/layouts/{key}`` (``admin_api.counter_views``).
None of these answers holds a person: what the trial read is shown, never logged.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
from email.parser import BytesParser
from email.policy import HTTP as email_policy
from typing import Any

from pydantic import BaseModel, Field

from admin_api.counter_views import LAYOUTS, MAX_IMAGE, READ, OcrOut, OcrValue
from admin_api.errors import ApiError
from admin_api.routing import ApiRouter, Call
from civic.counter.desk import CounterDesk
from civic.counter.ocr.layouts import DOC_KINDS, KNOWN_FIELDS, TYPE_LABELS, LayoutProblem, parse_layout
from civic.counter.ocr.reader import UnreadableImage, document_frame, load, read_fields

#: The frame is sent back at most this wide (the definition keeps fractions, so the size shown is free).
SHOWN_WIDTH = 1400
MAX_DEFINITION = 64 * 1024

router = ApiRouter("counter", description="書かない窓口: 見本画像から定義体を作る（様式の定義）")


class KnownField(BaseModel):
    name: str
    label: str
    type: str = Field(description="ふつうの読み取り方（変えられます）")


class LayoutFieldsOut(BaseModel):
    kinds: dict[str, str] = Field(description="書類の種類")
    types: dict[str, str] = Field(description="項目の読み取り方（type）")
    fields: dict[str, list[KnownField]] = Field(description="書類の種類ごとに使える項目")


class SampleOut(BaseModel):
    image: str = Field(description="傾きを直した見本の枠の内側（data:image/jpeg;base64,…）。領域はこの画像の割合で描く")
    size: list[int] = Field(description="枠の大きさ [幅, 高さ]（画素）: 定義体の size")
    frame: list[int] = Field(description="傾きを直した画像の中の枠 [左, 上, 右, 下]（画素）")
    page: list[int] = Field(description="傾きを直した画像の大きさ [幅, 高さ]")


def _desk(call: Call) -> CounterDesk:
    return call.ctx.need(call.ctx.counter, "書かない窓口")


def _upload(call: Call, *, with_definition: bool) -> tuple[bytes, str]:
    """(image, definition text) from the ``multipart/form-data`` body (read by the router, ``consumes``)."""
    message = BytesParser(policy=email_policy).parsebytes(
        f"Content-Type: {call.request.headers.get('Content-Type', '')}\r\n\r\n".encode() + call.body)
    image, definition = b"", ""
    for part in message.iter_parts() if message.is_multipart() else ():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if name == "image":
            image = data
            if len(image) > MAX_IMAGE:
                raise ApiError(413, "too_large", "画像が大きすぎます（12 MB まで）。", "image")
        elif name == "definition" and with_definition:
            if len(data) > MAX_DEFINITION:
                raise ApiError(413, "too_large", "定義体が大きすぎます（64 KB まで）。", "definition")
            definition = data.decode("utf-8", errors="replace")
    if not image:
        raise ApiError(422, "invalid", "見本の画像（image）を送ってください。", "image")
    return image, definition


def _loaded(data: bytes) -> Any:
    try:
        return load(data)
    except UnreadableImage as exc:
        raise ApiError(422, "invalid", str(exc), "image") from None


@router.route("GET", "/counter/layout-fields", summary="定義体に使える項目（書類の種類ごと）と読み取り方",
              permission=READ, response=LayoutFieldsOut)
async def counter_layout_fields(call: Call) -> LayoutFieldsOut:
    return LayoutFieldsOut(kinds=DOC_KINDS, types=TYPE_LABELS, fields={
        kind: [KnownField(name=n, label=label, type=t) for n, label, t in known] for kind, known in KNOWN_FIELDS.items()})


def _frame(data: bytes) -> SampleOut:
    straight, (left, top, right, bottom) = document_frame(_loaded(data))
    framed = straight.crop((left, top, right, bottom))
    width, height = framed.size
    if width < 10 or height < 10:
        raise ApiError(422, "invalid", "書類の枠が見つかりません（書類全体が写った画像を送ってください）。", "image")
    shown = framed.copy()
    shown.thumbnail((SHOWN_WIDTH, SHOWN_WIDTH))
    out = io.BytesIO()
    shown.convert("RGB").save(out, format="JPEG", quality=88)
    return SampleOut(image="data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode(),
                     size=[width, height], frame=[left, top, right, bottom], page=[straight.width, straight.height])


@router.route("POST", "/counter/layout-sample", summary="見本画像の傾きを直し、書類の枠を見つける（定義体を描く下絵）",
              permission=LAYOUTS, response=SampleOut, consumes=("multipart/form-data",),
              form={"type": "object", "required": ["image"],
                    "properties": {"image": {"type": "string", "format": "binary", "description": "見本の画像（JPEG・PNG）"}}},
              description="OCR と同じ方法（civic.counter.ocr.reader.document_frame）で傾きを直して枠を見つけ、枠の内側を返す。"
                          "定義体の box はこの画像の割合（左, 上, 幅, 高さ）。",
              errors={413: "画像が大きすぎる", 415: "multipart/form-data ではない", 422: "画像として読めない・枠がない"})
async def counter_layout_sample(call: Call) -> SampleOut:
    image, _ = _upload(call, with_definition=False)
    async with _desk(call).slots:
        sample = await asyncio.to_thread(_frame, image)
    async with call.ctx.db.write() as s:  # the sample itself is not kept
        await call.audit(s, "counter.layout.sample", "counter_layout:sample",
                         after={"bytes": len(image), "size": sample.size})
    return sample


@router.route("POST", "/counter/layout-trial", summary="作成中の定義体で見本を試しに読み取る（保存しない）",
              permission=LAYOUTS, response=OcrOut, consumes=("multipart/form-data",),
              form={"type": "object", "required": ["image", "definition"],
                    "properties": {"image": {"type": "string", "format": "binary"},
                                   "definition": {"type": "string", "description": "定義体の JSON（key, name, kind, size, fields）"}}},
              errors={413: "画像・定義体が大きすぎる", 415: "multipart/form-data ではない",
                      422: "定義体の誤り（field が項目を示します: fields.3.box）・画像の誤り"})
async def counter_layout_trial(call: Call) -> OcrOut:
    desk = _desk(call)
    image_bytes, text = _upload(call, with_definition=True)
    try:
        raw = json.loads(text or "null")
    except ValueError:
        raise ApiError(422, "invalid", "定義体（definition）が正しい JSON ではありません。", "definition") from None
    try:
        layout = parse_layout(raw)
    except LayoutProblem as exc:
        raise ApiError(422, "invalid", exc.message, exc.field or "definition") from None
    image = _loaded(image_bytes)
    loop = asyncio.get_running_loop()
    async with desk.slots:
        started = loop.time()
        values = await asyncio.to_thread(read_fields, image, layout, desk.engine())
        seconds = loop.time() - started
    async with call.ctx.db.write() as s:  # what was read stays out of the log
        await call.audit(s, "counter.layout.trial", f"counter_layout:{layout.key}",
                         after={"kind": layout.kind, "fields": len(layout.fields), "seconds": round(seconds, 2)})
    return OcrOut(kind=layout.kind, layout=layout.key, engine=desk.engine().name, seconds=round(seconds, 3),
                  fields={k: OcrValue(value=v.value, confidence=v.confidence, raw=v.raw) for k, v in values.items()})
