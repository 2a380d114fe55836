"""Staff API for the FAQ itself (issue #16): entries with question, alternative phrasings, answer,
category and keywords, draft or published; search; CSV in and out (Excel-friendly); "try it".

A change to a published entry (or publishing, withdrawing, deleting one) is what the bot answers
within seconds, in every process: it bumps the FAQ's content version (``civic.content``), which every
process polls (``bot.content_reload``). Permissions: ``faq.read``, ``faq.edit``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field, field_validator

from admin_api.downloads import csv_response
from admin_api.errors import ApiError
from admin_api.routing import CSV_CT, ApiRouter, Call
from civic.content import faq as entries
from civic.content.csvtext import decode
from civic.content.models import FaqEntryRow

router = ApiRouter("faq")
ENTRY = r"/faq/entries/{id:[A-Za-z0-9_.\-]+}"
Status = Literal["draft", "published"]


def _clean_list(values: list[str]) -> list[str]:
    out = [v.strip() for v in values if v.strip()]
    if any(len(v) > 500 for v in out):
        raise ValueError("1つの言い換え・キーワードは500文字までです")
    return list(dict.fromkeys(out))


class FaqEntryIn(BaseModel):
    id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.\-]{1,64}$",
                           description="省略すると faq-NNN の形で振られます")
    question: str = Field(min_length=1, max_length=500, description="質問（代表の聞き方）")
    alternatives: list[str] = Field(default_factory=list, max_length=100, description="別の聞き方（言い換え）")
    answer: str = Field(default="", max_length=5000, description="回答（URL はそのままリンクになります）")
    category: str = Field(default="", max_length=100)
    keywords: list[str] = Field(default_factory=list, max_length=100)
    status: Status = "draft"

    @field_validator("alternatives", "keywords")
    @classmethod
    def _lists(cls, v: list[str]) -> list[str]:
        return _clean_list(v)


class FaqEntryPatch(BaseModel):
    question: str | None = Field(default=None, min_length=1, max_length=500)
    alternatives: list[str] | None = Field(default=None, max_length=100)
    answer: str | None = Field(default=None, max_length=5000)
    category: str | None = Field(default=None, max_length=100)
    keywords: list[str] | None = Field(default=None, max_length=100)
    status: Status | None = None

    @field_validator("alternatives", "keywords")
    @classmethod
    def _lists(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _clean_list(v)


class FaqEntryOut(BaseModel):
    id: str
    question: str
    alternatives: list[str]
    answer: str
    category: str
    keywords: list[str]
    status: Status
    updated_at: datetime
    updated_by: str


class EntriesQuery(BaseModel):
    q: str = Field(default="", max_length=200, description="質問・言い換え・回答・分類・キーワードの部分一致")
    status: Status | Literal[""] = Field(default="", description="draft（下書き）か published（公開中）")


class TryQuery(BaseModel):
    q: str = Field(min_length=1, max_length=500, description="試す質問")
    k: int = Field(default=5, ge=1, le=20)


class TryHit(BaseModel):
    entry_id: str
    question: str
    score: float = Field(description="順位付けに使った総合スコア")
    lexical: float = Field(description="語の一致のスコア（BM25）")
    dense: float | None = Field(description="意味の近さ（文ベクトルの余弦）。エンコーダーがなければ null")
    words: list[str] = Field(description="質問と共通する語")


class TryOut(BaseModel):
    outcome: Literal["confident", "ambiguous", "none"] = Field(
        description="confident: そのまま回答 / ambiguous: 候補を示す / none: 答えられない")
    coverage: float
    words: list[str] = Field(description="質問から取り出した語")
    hits: list[TryHit]


class CsvImportOut(BaseModel):
    created: int
    updated: int
    unchanged: int
    errors: list[dict[str, Any]]


def entry_out(row: FaqEntryRow) -> FaqEntryOut:
    return FaqEntryOut(id=row.id, question=row.question, alternatives=list(row.alternatives), answer=row.answer,
                       category=row.category, keywords=list(row.keywords), status=row.status,
                       updated_at=row.updated_at, updated_by=row.updated_by)


def who(call: Call) -> str:
    return call.principal.display_name if call.principal else ""


def changed(call: Call) -> None:
    if call.ctx.live_content is not None:
        call.ctx.live_content.changed()


async def _row(s: Any, call: Call) -> FaqEntryRow:
    row = await s.get(FaqEntryRow, call.request.match_info["id"])
    if row is None:
        raise ApiError(404, "not_found", "FAQ が見つかりません。", "id")
    return row


@router.route("GET", "/faq/entries", summary="FAQ の一覧・検索", permission="faq.read", query=EntriesQuery,
              response=list[FaqEntryOut])
async def list_faq_entries(call: Call) -> list[FaqEntryOut]:
    q: EntriesQuery = call.query
    async with call.ctx.db.read() as s:
        rows = await entries.list_entries(s, q=q.q, status=q.status or None)
    return [entry_out(r) for r in rows]


@router.route("POST", "/faq/entries", summary="FAQ の追加（published で公開）", permission="faq.edit",
              body=FaqEntryIn, response=FaqEntryOut, status=201, errors={409: "同じ ID の FAQ がある"})
async def create_faq_entry(call: Call) -> FaqEntryOut:
    b: FaqEntryIn = call.body
    async with call.ctx.db.write() as s:
        if b.id and await s.get(FaqEntryRow, b.id) is not None:
            raise ApiError(409, "exists", f"FAQ「{b.id}」はすでにあります。", "id")
        row = await entries.create(s, b.model_dump(exclude={"id"}), now=call.ctx.clock.now(), staff=who(call),
                                   entry_id=b.id)
        out = entry_out(row)
        await call.audit(s, "faq.create", f"faq:{row.id}", after=entries.snapshot(row))
    changed(call)
    return out


@router.route("GET", ENTRY, summary="FAQ", permission="faq.read", response=FaqEntryOut)
async def get_faq_entry(call: Call) -> FaqEntryOut:
    async with call.ctx.db.read() as s:
        return entry_out(await _row(s, call))


@router.route("PATCH", ENTRY, summary="FAQ の変更（status で公開・下書きに戻す）", permission="faq.edit",
              body=FaqEntryPatch, response=FaqEntryOut)
async def update_faq_entry(call: Call) -> FaqEntryOut:
    values = call.body.model_dump(exclude_unset=True, exclude_none=True)
    async with call.ctx.db.write() as s:
        row = await _row(s, call)
        before = entries.snapshot(row)
        await entries.update(s, row, values, now=call.ctx.clock.now(), staff=who(call))
        out = entry_out(row)
        await call.audit(s, "faq.update", f"faq:{row.id}", before=before, after=entries.snapshot(row))
    changed(call)
    return out


@router.route("DELETE", ENTRY, summary="FAQ の削除", permission="faq.edit")
async def delete_faq_entry(call: Call) -> None:
    async with call.ctx.db.write() as s:
        row = await _row(s, call)
        before = entries.snapshot(row)
        await entries.delete(s, row, now=call.ctx.clock.now())
        await call.audit(s, "faq.delete", f"faq:{before['id']}", before=before)
    changed(call)


@router.route("GET", "/faq/export", summary="FAQ の CSV 出力（Excel 用、UTF-8 BOM 付き）", permission="faq.read",
              query=EntriesQuery, response=str, produces=CSV_CT)
async def export_faq(call: Call) -> web.Response:
    q: EntriesQuery = call.query
    async with call.ctx.db.read() as s:
        rows = await entries.list_entries(s, q=q.q, status=q.status or None)
    return csv_response("faq.csv", entries.export_csv(rows).encode("utf-8"))


@router.route("POST", "/faq/import", summary="FAQ の CSV 取り込み（ID が同じ行は変更、ほかは追加）",
              permission="faq.edit", consumes=("text/csv",), response=CsvImportOut,
              description="列: id, question, alternatives（改行か | 区切り）, answer, category, keywords, status "
                          "（published / draft、省略は draft）。UTF-8 か Shift_JIS。")
async def import_faq(call: Call) -> CsvImportOut:
    async with call.ctx.db.write() as s:
        report = await entries.import_csv(s, decode(call.body), now=call.ctx.clock.now(), staff=who(call))
        out = CsvImportOut(created=report.created, updated=report.updated, unchanged=report.unchanged,
                           errors=report.errors)
        await call.audit(s, "faq.import", "faq", after=out)
    changed(call)
    return out


@router.route("GET", "/faq/try", summary="質問を試す（見つかる FAQ とスコア）", permission="faq.read",
              query=TryQuery, response=TryOut,
              description="公開中の FAQ（ボットが答えに使っている索引）で質問を検索し、各候補のスコアと理由を返します。")
async def try_faq(call: Call) -> TryOut:
    live = call.ctx.need(call.ctx.live_content, "FAQ の試行")
    return TryOut.model_validate(live.try_faq(call.query.q, call.query.k))


@router.route("GET", "/content/status", summary="ボットが答えに使っている FAQ・ごみ分別辞書の版", permission="faq.read",
              response=dict)
async def content_status(call: Call) -> dict[str, Any]:
    return call.ctx.need(call.ctx.live_content, "コンテンツの状態").status()
