"""Staff API of the counter (書かない窓口, 小郡市 spec (4), (5)); served by the counter role only.

``POST /counter/ocr`` (multipart: ``image``, ``kind``, optional ``layout``) reads a document's fields;
``POST /counter/forms`` makes a 届書 (``kind``, ``household``, ``members``); ``GET|PATCH
/counter/forms/{id}``, ``GET /counter/forms/{id}.pdf`` and ``GET /counter/forms?q=&status=`` find,
change and print it. Refusals name the field (``members.0.individual_number``), check digits included.
Every read of a 届書 is logged (personal); 個人番号 and 住民票コード are masked unless the caller holds
``counter.numbers`` — the PDF too (the masked version stored beside the full one).
"""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import BodyPartReader, web
from pydantic import BaseModel, Field

from admin_api.errors import ApiError
from admin_api.routing import ApiRouter, Call
from civic.clock import TOKYO
from civic.counter import services
from civic.counter.desk import CounterDesk
from civic.counter.forms import DONE, KINDS, REVIEW, STATUSES, FormProblem, missing, normalise, shown
from civic.counter.models import CounterForm
from civic.counter.ocr.layouts import DOC_KINDS, Layout, LayoutProblem, known_label, parse_layout
from civic.counter.ocr.reader import UnreadableImage, load, read_fields
from civic.counter.pdf import MASK, render_form
from civic.procedures.payload import PayloadError, join_texts

READ, WRITE, REVIEW_PERMISSION, NUMBERS, LAYOUTS = ("counter.read", "counter.write", "counter.review",
                                                     "counter.numbers", "counter.layouts")
MASKED_FIELDS = ("resident_code", "individual_number", "card_number")
MAX_IMAGE = 12 * 1024 * 1024

router = ApiRouter("counter", description="書かない窓口: 届書の作成・OCR・検索・印刷（窓口ロールのみ）")


class FormIn(BaseModel):
    kind: str = Field(description="届出の種類: " + "、".join(f"{k}（{v}）" for k, v in KINDS.items()))
    household: dict[str, Any] = Field(default_factory=dict, description="世帯: head, moved_on, origin, "
                                      "new_address {postal_code, text}, old_address, remarks, confirmation, memo, phone")
    members: list[dict[str, Any]] = Field(default_factory=list, description="世帯員: name, kana, birth_date, sex, "
                                          "relationship, nationality, resident_code, individual_number, honseki, "
                                          "hittousha, stay_status, stay_period, stay_until, card_number, alias")
    source: str = Field(default="typed", description="読み取り元: qr, ocr:<kind>, typed")


class FormPatch(BaseModel):
    kind: str | None = None
    household: dict[str, Any] | None = None
    members: list[dict[str, Any]] | None = None
    status: str | None = Field(default=None, description="次の状態: " + "、".join(f"{k}（{v}）" for k, v in STATUSES.items()))
    note: str = Field(default="", max_length=1000, description="メモ（状態の変更理由・追記）")


class Problem(BaseModel):
    field: str
    message: str


class Event(BaseModel):
    at: datetime
    staff: str
    status_from: str
    status_to: str
    note: str


class StoredDocument(BaseModel):
    id: int
    kind: str
    label: str
    size: int
    created_at: datetime
    created_by: str


class FormOut(BaseModel):
    id: int
    number: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    source: str
    household: dict[str, Any]
    members: list[dict[str, Any]]
    shown: dict[str, Any] = Field(description="表示用: 生年月日「令和4年12月1日(2022年)(1歳)」、在留期間「0500000 (5年)」")
    problems: list[Problem] = Field(description="確認待ち・完了の前に埋める必須項目")
    history: list[Event]
    documents: list[StoredDocument]
    masked: bool
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class FormRow(BaseModel):
    id: int
    number: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    head: str
    names: list[str]
    origin: str
    created_at: datetime
    updated_by: str


class SearchQuery(BaseModel):
    q: str = Field(default="", max_length=100, description="氏名・ふりがな・住所・転入前の市区町村・受付番号")
    status: str = Field(default="", description="状態: " + ", ".join(STATUSES))
    kind: str = ""
    origin: str = Field(default="", max_length=64)
    since: date | None = None
    until: date | None = None
    limit: int = Field(default=50, ge=1, le=200)


class OcrValue(BaseModel):
    value: str
    confidence: float
    raw: str = ""
    #: The counter's name for the field (「氏名（3人目）」), shown beside the value when staff check it.
    label: str = ""
    #: Nothing printed there (a certificate's unused rows, 「以下余白」): the value is empty, not unread.
    blank: bool = False


class OcrOut(BaseModel):
    kind: str
    layout: str
    engine: str
    fields: dict[str, OcrValue]
    seconds: float


class QrIn(BaseModel):
    texts: list[str] = Field(min_length=1, max_length=8, description="読み取った二次元コードの内容（分割時は全部）")


class LayoutRow(BaseModel):
    key: str
    name: str
    kind: str
    fields: int
    stored: bool = Field(default=False, description="職員が追加・取り込んだ定義体（削除できる）")
    shipped: bool = Field(default=False, description="町のファイルにある定義体（削除できない。同じ key で保存すると置き換わる）")


class LayoutDeleted(BaseModel):
    key: str
    shipped: bool = Field(description="同じ key の町のファイルの定義体があり、これからはそれを使う")


def _desk(call: Call) -> CounterDesk:
    return call.ctx.need(call.ctx.counter, "書かない窓口")


def _staff(call: Call) -> str:
    return call.principal.login if call.principal is not None else "-"


def _problem(exc: FormProblem | LayoutProblem) -> ApiError:
    return ApiError(422, getattr(exc, "code", "invalid"), exc.message if hasattr(exc, "message") else str(exc),
                    exc.field)


def _numbers(call: Call) -> bool:
    return call.principal is not None and call.principal.can(NUMBERS)


def _mask(members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: (MASK if k in MASKED_FIELDS and v else v) for k, v in m.items()} for m in members]


async def _out(call: Call, session: Any, found: services.Found) -> FormOut:
    form, doc = found.form, found.doc
    assert form.id is not None
    today = call.ctx.clock.now().astimezone(TOKYO).date()
    plain = _numbers(call)
    events = await services.history(session, form.id)
    docs = await services.documents(session, form.id)
    return FormOut(
        id=form.id, number=form.number, kind=form.kind, kind_label=KINDS[form.kind], status=form.status,
        status_label=STATUSES[form.status], source=form.source, household=doc["household"],
        members=doc["members"] if plain else _mask(doc["members"]), shown=shown(doc, today),
        problems=[Problem(field=p.field, message=p.message) for p in missing(doc)],
        history=[Event(at=e.at, staff=e.staff_login, status_from=e.status_from, status_to=e.status_to, note=e.note)
                 for e in events],
        documents=[StoredDocument(id=d.id or 0, kind=d.kind, label=d.label, size=d.size, created_at=d.created_at,
                                  created_by=d.created_by) for d in docs],
        masked=not plain, created_at=form.created_at, created_by=form.created_by, updated_at=form.updated_at,
        updated_by=form.updated_by)


def _normalised(kind: Any, household: Any, members: Any) -> dict[str, Any]:
    try:
        return normalise(kind, household, members)
    except FormProblem as exc:
        raise _problem(exc) from None


@router.route("POST", "/counter/forms", summary="届書を作成する（種類・世帯・世帯員）", permission=WRITE, body=FormIn,
              response=FormOut, status=201, errors={422: "入力の誤り（field が項目を示します。検査用数字を含む）"})
async def create_counter_form(call: Call) -> FormOut:
    body: FormIn = call.body
    doc = _normalised(body.kind, body.household, body.members)
    now = call.ctx.clock.now()
    async with call.ctx.db.write() as s:
        form = await services.create_form(s, doc, staff=_staff(call), now=now, source=body.source)
        await call.audit(s, "counter.form.create", f"counter_form:{form.id}",
                         after={"number": form.number, "kind": form.kind, "members": len(doc["members"]),
                                "source": form.source})
        return await _out(call, s, services.Found(form, doc))


def _form_id(call: Call) -> int:
    return call.path_int("id")


async def _found(session: Any, form_id: int) -> services.Found:
    try:
        return await services.get_form(session, form_id)
    except services.NotFound:
        raise ApiError(404, "not_found", f"届書 {form_id} は見つかりません。") from None


@router.route("GET", r"/counter/forms/{id:\d+}", summary="届書を見る（状態の履歴・保存済みの帳票つき）",
              permission=READ, response=FormOut, personal="counter_forms", personal_always=True)
async def get_counter_form(call: Call) -> FormOut:
    async with call.ctx.db.read() as s:
        return await _out(call, s, await _found(s, _form_id(call)))


@router.route("PATCH", r"/counter/forms/{id:\d+}", summary="届書を修正する・状態を変える（確認待ち・差戻・保留・完了）",
              permission=WRITE, body=FormPatch, response=FormOut,
              errors={422: "入力の誤り・必須項目の不足・できない状態の変更（field が項目を示します）"})
async def patch_counter_form(call: Call) -> FormOut:
    body: FormPatch = call.body
    if body.status in (DONE, "returned") and call.principal is not None and not call.principal.can(REVIEW_PERMISSION):
        raise ApiError(403, "forbidden", f"完了・差戻には権限 {REVIEW_PERMISSION} が必要です。", "status")
    now, staff = call.ctx.clock.now(), _staff(call)
    async with call.ctx.db.write() as s:
        found = await _found(s, _form_id(call))
        before = {"status": found.form.status, "kind": found.form.kind}
        doc = None
        if body.kind is not None or body.household is not None or body.members is not None:
            doc = _normalised(body.kind or found.form.kind,
                              found.doc["household"] if body.household is None else body.household,
                              found.doc["members"] if body.members is None else _unmask(body.members, found.doc))
        try:
            updated = await services.update_form(s, found.form.id or 0, doc, staff=staff, now=now,
                                                 status=body.status, note=body.note)
        except FormProblem as exc:
            raise _problem(exc) from None
        if body.status in (REVIEW, DONE) and body.status != before["status"]:
            await _store_pdf(call, s, updated)
        await call.audit(s, "counter.form.update", f"counter_form:{updated.form.id}", before=before,
                         after={"status": updated.form.status, "kind": updated.form.kind, "content": doc is not None,
                                "note": bool(body.note)})
        return await _out(call, s, updated)


def _unmask(members: list[dict[str, Any]], previous: dict[str, Any]) -> list[dict[str, Any]]:
    """A screen without ``counter.numbers`` sends the mask back: keep what was stored."""
    old = previous["members"]
    out = []
    for i, m in enumerate(members):
        m = dict(m)
        for key in MASKED_FIELDS:
            if m.get(key) == MASK:
                m[key] = old[i][key] if i < len(old) else ""
        out.append(m)
    return out


def _pdf(call: Call, found: services.Found, masked: bool) -> bytes:
    today = call.ctx.clock.now().astimezone(TOKYO).date()
    return render_form(found.doc, number=found.form.number, status=found.form.status, today=today,
                       layout=_desk(call).form_layout, masked=masked)


def _pdfs(call: Call, found: services.Found) -> tuple[bytes, bytes]:
    return _pdf(call, found, False), _pdf(call, found, True)


async def _store_pdf(call: Call, session: Any, found: services.Found) -> None:
    full, masked = await asyncio.to_thread(_pdfs, call, found)
    label = f"{KINDS[found.form.kind]}届 {found.form.number}（{STATUSES[found.form.status]}）"
    await services.store_document(session, found.form.id or 0, kind="form", label=label, full=full, masked=masked,
                                  staff=_staff(call), now=call.ctx.clock.now())


@router.route("GET", r"/counter/forms/{id:\d+}.pdf", summary="届書を町の様式の PDF で出力する（権限によりマスキング版）",
              permission=READ, produces="application/pdf", personal="counter_forms", personal_always=True)
async def counter_form_pdf(call: Call) -> web.Response:
    async with call.ctx.db.read() as s:
        found = await _found(s, _form_id(call))
        stored = await services.latest_form_pdf(s, found.form.id or 0)
    plain = _numbers(call)
    if stored is not None and stored.created_at >= found.form.updated_at:
        data = services.pdf_of(stored, masked=not plain)
    else:
        data = await asyncio.to_thread(_pdf, call, found, not plain)
    name = f"{found.form.number}{'' if plain else '-masked'}.pdf"
    return web.Response(body=data, content_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})


@router.route("GET", "/counter/forms", summary="届書を検索する（氏名・ふりがな・番号・状態・種類・日付・転入前の市区町村）",
              permission=READ, query=SearchQuery, response=list[FormRow], personal="counter_forms",
              personal_always=True)
async def search_counter_forms(call: Call) -> list[FormRow]:
    q: SearchQuery = call.query
    if q.status and q.status not in STATUSES:
        raise ApiError(422, "invalid", f"状態は次のいずれかです: {', '.join(STATUSES)}", "status")
    if q.kind and q.kind not in KINDS:
        raise ApiError(422, "invalid", f"種類は次のいずれかです: {', '.join(KINDS)}", "kind")
    start = datetime.combine(q.since, datetime.min.time(), TOKYO) if q.since else None
    end = datetime.combine(q.until + timedelta(days=1), datetime.min.time(), TOKYO) if q.until else None
    query = services.Search(q=q.q, status=q.status, kind=q.kind, origin=q.origin, limit=q.limit)
    async with call.ctx.db.read() as s:
        forms = await services.search(s, query, start=start, end=end)
    return [_row(f) for f in forms]


def _row(form: CounterForm) -> FormRow:
    doc = json.loads(form.data)
    return FormRow(id=form.id or 0, number=form.number, kind=form.kind, kind_label=KINDS[form.kind],
                   status=form.status, status_label=STATUSES[form.status], head=doc["household"]["head"],
                   names=[m["name"] for m in doc["members"]], origin=form.origin, created_at=form.created_at,
                   updated_by=form.updated_by)


# ---- OCR ----------------------------------------------------------------------------------------

async def _multipart(call: Call, file_field: str = "image", names: tuple[str, ...] = ("kind", "layout"),
                     ) -> tuple[bytes, dict[str, str]]:
    """The file part (at most 12 MB) and the short text parts of a multipart/form-data request."""
    request = call.request
    if not request.content_type.startswith("multipart/"):
        raise ApiError(415, "unsupported_media_type", f"multipart/form-data で {file_field} と kind を送ってください。")
    data, fields = b"", {}
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == file_field:
            data = bytes(await part.read(decode=False))
            if len(data) > MAX_IMAGE:
                raise ApiError(413, "too_large", "ファイルが大きすぎます（12 MB まで）。", file_field)
            fields["filename"] = (part.filename or "")[:200]
        elif part.name in names:
            fields[part.name] = (await part.text())[:4000]
    if not data:
        raise ApiError(422, "invalid", f"ファイル（{file_field}）を送ってください。", file_field)
    return data, fields


def _layout_for(desk: CounterDesk, kind: str, key: str | None, stored: dict[str, Layout]) -> Layout:
    every = {**desk.layouts, **stored}
    if key:
        layout = every.get(key)
        if layout is None:
            raise ApiError(422, "invalid", f"定義体 {key} はありません。", "layout")
        if layout.kind != kind:
            raise ApiError(422, "invalid", f"定義体 {key} は {DOC_KINDS[layout.kind]} のものです。", "layout")
        return layout
    for layout in every.values():
        if layout.kind == kind:
            return layout
    raise ApiError(422, "invalid", f"{DOC_KINDS[kind]}の定義体がありません。", "kind")


@router.route("POST", "/counter/ocr", summary="持参書類を OCR で読み取る（multipart: image, kind, layout）",
              permission=WRITE, response=OcrOut,
              description="kind = tenshutsu（転出証明書）| zairyu（在留カード・特別永住者証明書）| menkyo（運転免許証）| "
                          "mynumber（マイナンバーカード券面）。layout を省くとその種類の最初の定義体。"
                          "結果は fields.<項目>.value / confidence（0〜1）/ label（項目の名前: 氏名（3人目）など）。"
                          "何も印字されていない領域（以下余白を含む）は空の値で blank が true。生年月日などの日付は ISO（YYYY-MM-DD）。",
              errors={415: "multipart/form-data ではない", 422: "画像・種類・定義体の誤り"})
async def read_counter_document(call: Call) -> OcrOut:
    from civic.counter.layout_store import stored_layouts

    desk = _desk(call)
    image_bytes, fields = await _multipart(call)
    kind = fields.get("kind", "")[:64]
    if kind not in DOC_KINDS:
        raise ApiError(422, "invalid", f"kind は次のいずれかです: {', '.join(DOC_KINDS)}", "kind")
    async with call.ctx.db.read() as s:
        layout = _layout_for(desk, kind, fields.get("layout", "")[:64] or None, await stored_layouts(s))
    try:
        image = load(image_bytes)
    except UnreadableImage as exc:
        raise ApiError(422, "invalid", str(exc), "image") from None
    loop = asyncio.get_running_loop()
    async with desk.slots:
        started = loop.time()
        values = await asyncio.to_thread(read_fields, image, layout, desk.engine())
        seconds = loop.time() - started
    async with call.ctx.db.write() as s:  # what was read stays out of the log: only which document and how
        await call.audit(s, "counter.ocr", f"counter_layout:{layout.key}",
                         after={"kind": kind, "layout": layout.key, "fields": len(values),
                                "seconds": round(seconds, 2)})
    return OcrOut(kind=kind, layout=layout.key, engine=desk.engine().name, seconds=round(seconds, 3),
                  fields={k: OcrValue(value=v.value, confidence=v.confidence, raw=v.raw, label=known_label(kind, k),
                                        blank=v.blank)
                          for k, v in values.items()})


# ---- the resident's QR code -----------------------------------------------------------------------

@router.route("POST", "/counter/qr", summary="事前申請の二次元コードを開き、届書の下書きにする", permission=WRITE,
              body=QrIn, response=FormOut, status=201,
              errors={422: "開けない二次元コード（他の町・改ざん・鍵が未設置）"})
async def form_from_qr(call: Call) -> FormOut:
    from civic.counter.from_qr import draft_from_ticket

    keys = _desk(call).qr_keys
    if keys is None:
        raise ApiError(422, "no_key", "二次元コードの鍵がこの窓口端末に設置されていません"
                                      "（python -m bot counter-key install）。", "texts")
    try:
        ticket = keys.open(join_texts(call.body.texts))
    except PayloadError as exc:
        raise ApiError(422, exc.code, exc.message, "texts") from None
    doc = _normalised(*draft_from_ticket(ticket))
    async with call.ctx.db.write() as s:
        form = await services.create_form(s, doc, staff=_staff(call), now=call.ctx.clock.now(), source="qr")
        await call.audit(s, "counter.form.create", f"counter_form:{form.id}",
                         after={"number": form.number, "kind": form.kind, "members": len(doc["members"]),
                                "source": "qr", "event": ticket.event})
        return await _out(call, s, services.Found(form, doc))


# ---- layout definitions (定義体) ------------------------------------------------------------------

@router.route("GET", "/counter/layouts", summary="OCR の定義体の一覧", permission=READ, response=list[LayoutRow])
async def list_counter_layouts(call: Call) -> list[LayoutRow]:
    from civic.counter.layout_store import stored_layouts

    shipped = _desk(call).layouts
    async with call.ctx.db.read() as s:
        stored = await stored_layouts(s)
    every = {**shipped, **stored}
    return [LayoutRow(key=k, name=v.name, kind=v.kind, fields=len(v.fields), stored=k in stored, shipped=k in shipped)
            for k, v in sorted(every.items())]


@router.route("GET", "/counter/layouts/{key}", summary="定義体を書き出す（JSON: 他の町と共有）", permission=READ)
async def export_counter_layout(call: Call) -> Any:
    from civic.counter.layout_store import stored_layouts

    key = call.request.match_info["key"]
    async with call.ctx.db.read() as s:
        every = {**_desk(call).layouts, **await stored_layouts(s)}
    if key not in every:
        raise ApiError(404, "not_found", f"定義体 {key} はありません。")
    return every[key].as_json()


@router.route("PUT", "/counter/layouts/{key}", summary="定義体を追加・取り込む（JSON）", permission=LAYOUTS,
              errors={422: "定義体の誤り（field が項目を示します）"})
async def import_counter_layout(call: Call) -> Any:
    from civic.counter.layout_store import save_layout

    key = call.request.match_info["key"]
    try:
        raw = json.loads(await call.request.read() or b"{}")
    except ValueError:
        raise ApiError(400, "invalid_json", "リクエスト本文が正しい JSON ではありません。") from None
    if isinstance(raw, dict):
        raw.setdefault("key", key)
    try:
        layout = parse_layout(raw)
    except LayoutProblem as exc:
        raise ApiError(422, "invalid", exc.message, exc.field) from None
    if layout.key != key:
        raise ApiError(422, "invalid", "本文の key と URL の key が違います。", "key")
    async with call.ctx.db.write() as s:
        before = await save_layout(s, layout, now=call.ctx.clock.now())
        await call.audit(s, "counter.layout.save", f"counter_layout:{key}", before=before,
                         after={"name": layout.name, "kind": layout.kind, "fields": len(layout.fields)})
    return layout.as_json()


@router.route("DELETE", "/counter/layouts/{key}", summary="職員が追加・取り込んだ定義体を削除する", permission=LAYOUTS,
              response=LayoutDeleted,
              description="削除できるのは保存された定義体（counter_layout）だけ。町のファイル（content/<town>/counter/layouts）"
                          "の定義体は削除できず 409。ファイルと同じ key で保存したものを削除すると、ファイルの定義体に戻る。"
                          "添付書類のマスキングは保存時の位置を持つので、削除しても変わらない。",
              errors={404: "その key の定義体がない", 409: "町のファイルの定義体（削除できない）"})
async def delete_counter_layout(call: Call) -> LayoutDeleted:
    from civic.counter.layout_store import delete_layout

    key = call.request.match_info["key"]
    shipped = key in _desk(call).layouts
    async with call.ctx.db.write() as s:
        before = await delete_layout(s, key)
        if before is None:
            if shipped:
                raise ApiError(409, "shipped", f"定義体 {key} は町のファイルで用意されたものなので削除できません"
                                               "（直したいときは同じ key で保存すると置き換わります）。", "key")
            raise ApiError(404, "not_found", f"定義体 {key} はありません。", "key")
        await call.audit(s, "counter.layout.delete", f"counter_layout:{key}", before=before,
                         after={"shipped": shipped})
    return LayoutDeleted(key=key, shipped=shipped)


# ---- operations report and export (§(4) i, j) -------------------------------------------------------

class PeriodQuery(BaseModel):
    since: date | None = Field(default=None, description="受付日（この日を含む、日本時間）")
    until: date | None = Field(default=None, description="受付日（この日を含む、日本時間）")
    format: str = Field(default="json", pattern="^(json|csv)$", description="json または csv")


def _period(q: PeriodQuery) -> tuple[datetime | None, datetime | None]:
    start = datetime.combine(q.since, datetime.min.time(), TOKYO) if q.since else None
    end = datetime.combine(q.until + timedelta(days=1), datetime.min.time(), TOKYO) if q.until else None
    return start, end


@router.route("GET", "/counter/report", summary="運用レポート（日別・月別・時間帯別・読取帳票別・種類別・転入前の市区町村別・担当課別の件数と平均受付時間）",
              permission=READ, query=PeriodQuery, produces=("application/json", "text/csv"),
              description="完了した届書を数える。department（担当課別）は content/<town>/counter/departments.json の対応で、"
                          "届出の種類と作成した関連申請書から届書が関わった課ごとに count（届書）・todoke（届出）・"
                          "related（関連申請書）・mean_minutes（その届書の平均受付時間）。")
async def counter_report(call: Call) -> Any:
    from civic.counter.report import report
    from civic.stats.csvfile import csv_text

    q: PeriodQuery = call.query
    desk = _desk(call)
    titles = {t.title: t.key for t in desk.related.values()}
    async with call.ctx.db.read() as s:
        figures = await report(s, *_period(q), desk.departments, titles)
    if q.format == "csv":
        labels = {"daily": "日別", "monthly": "月別", "hourly": "時間帯別", "source": "読取帳票別", "kind": "種類別",
                  "origin": "転入前の市区町村別", "department": "担当課別"}
        rows = [(labels[key], r["key"], r["count"], r["mean_minutes"], r.get("todoke", ""), r.get("related", ""))
                for key, group in figures.items() for r in group]
        return web.Response(text=csv_text(("集計", "区分", "件数", "平均受付時間（分）", "届出", "関連申請書"), rows),
                            content_type="text/csv", charset="utf-8",
                            headers={"Content-Disposition": 'attachment; filename="counter-report.csv"'})
    return figures


@router.route("GET", "/counter/export", summary="完了した届書のデータを書き出す（CSV・JSON、住民記録システム側の取り込み用）",
              permission=NUMBERS, query=PeriodQuery, produces=("application/json", "text/csv"),
              personal="counter_forms", personal_always=True,
              description="列は civic/counter/report.py の EXPORT_COLUMNS（世帯員ごとに1行）。個人番号を含むため counter.numbers が必要。")
async def export_counter_forms(call: Call) -> Any:
    from civic.counter.report import as_csv, export_rows

    q: PeriodQuery = call.query
    async with call.ctx.db.read() as s:
        rows = await export_rows(s, *_period(q))
    if q.format == "csv":
        return web.Response(text=as_csv(rows), content_type="text/csv", charset="utf-8",
                            headers={"Content-Disposition": 'attachment; filename="counter-export.csv"'})
    return rows
