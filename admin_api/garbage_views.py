"""Staff API for the garbage dictionary (issue #16): import and export in the 5374 format
(``target.csv``, ``description.csv``, ``area_days.csv``) as towns publish it, items to list and edit,
and "try it"; categories and collection areas and days as forms (``garbage_area_views``). The bot answers from the new dictionary within seconds, in every process (the garbage
content version, ``bot.content_reload``). Permissions: ``garbage.read``, ``garbage.edit``.
"""

from __future__ import annotations

from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field

from admin_api import garbage_area_views
from admin_api.downloads import csv_response
from admin_api.errors import ApiError
from admin_api.faq_entry_views import changed
from admin_api.fields import Offset
from admin_api.garbage_area_views import CategoryOut
from admin_api.routing import CSV_CT, ApiRouter, Call
from civic.content import garbage
from civic.content.csvtext import decode
from civic.content.models import GARBAGE, GarbageItemRow
from civic.content.versions import bump

router = ApiRouter("garbage")
router.include(garbage_area_views.router)  # categories, collection areas and days as forms
MULTIPART = "multipart/form-data"
ITEM = r"/garbage/items/{id:\d+}"


class Problem(BaseModel):
    file: str
    line: int = Field(description="ファイルの行番号（0: ファイル全体）")
    message: str


class ImportOut(BaseModel):
    mode: Literal["replace", "merge"]
    items_added: int
    items_updated: int
    items_total: int
    categories_added: int
    categories_total: int
    areas: int | None = Field(description="area_days.csv の地区数（送られなかったときは null）")
    warnings: list[Problem]
    errors: list[Problem]


class ExportQuery(BaseModel):
    file: Literal["target.csv", "description.csv", "area_days.csv"] = "target.csv"


class ItemsQuery(BaseModel):
    q: str = Field(default="", max_length=200, description="品目・ふりがな・注意点・別名の部分一致")
    category: str = Field(default="", max_length=100)
    limit: int = Field(default=100, ge=1, le=1000)
    offset: Offset = 0


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    category: str = Field(min_length=1, max_length=100)
    notes: str = Field(default="", max_length=2000)
    furigana: str = Field(default="", max_length=200)
    synonyms: list[str] = Field(default_factory=list, max_length=50)


class ItemPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    category: str | None = Field(default=None, min_length=1, max_length=100)
    notes: str | None = Field(default=None, max_length=2000)
    furigana: str | None = Field(default=None, max_length=200)
    synonyms: list[str] | None = Field(default=None, max_length=50)


class ItemOut(BaseModel):
    id: int
    name: str
    category: str
    notes: str
    furigana: str
    synonyms: list[str]


class ItemsOut(BaseModel):
    total: int
    items: list[ItemOut]


class TryQuery(BaseModel):
    q: str = Field(min_length=1, max_length=200, description="品目名（表記ゆれのままで可）")


IMPORT_SCHEMA = {
    "type": "object", "required": ["target"],
    "properties": {
        "target": {"type": "string", "format": "binary", "description": "5374 の target.csv（UTF-8 か Shift_JIS）"},
        "description": {"type": "string", "format": "binary", "description": "5374 の description.csv（任意）"},
        "area_days": {"type": "string", "format": "binary", "description": "5374 の area_days.csv（任意）"},
        "mode": {"type": "string", "enum": ["replace", "merge"], "default": "replace",
                 "description": "replace: 辞書を置き換え / merge: 同じ品目名は更新し、ほかは追加"},
    },
}


def form_parts(call: Call) -> dict[str, bytes]:
    """The fields of a ``multipart/form-data`` body, by name."""
    header = call.request.headers.get("Content-Type", "")
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {header}\r\n\r\n".encode("latin-1") + call.body)
    if not message.is_multipart():
        raise ApiError(400, "invalid", "multipart/form-data の本文が読めません。")
    parts: dict[str, bytes] = {}
    for part in message.iter_parts():
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            payload = part.get_payload(decode=True)
            parts[name] = payload if isinstance(payload, bytes) else b""
    return parts


def item_out(row: GarbageItemRow) -> ItemOut:
    assert row.id is not None
    return ItemOut(id=row.id, name=row.name, category=row.category, notes=row.notes, furigana=row.furigana,
                   synonyms=list(row.synonyms))


def _problems(rows: list[dict[str, Any]]) -> list[Problem]:
    return [Problem.model_validate(r) for r in rows[:500]]


@router.route("POST", "/garbage/import", summary="5374 形式の CSV の取り込み", permission="garbage.edit",
              consumes=(MULTIPART,), form=IMPORT_SCHEMA, response=ImportOut, errors={422: "取り込める品目がない"},
              description="ファイル欄 target（必須）・description・area_days と、欄 mode（replace か merge）。"
                          "見出しは英語（label/type, name, notice, furigana）でも日本語でもかまいません。"
                          "description.csv にない分別は説明なしの分別として追加し、warnings で知らせます。")
async def import_garbage(call: Call) -> ImportOut:
    parts = form_parts(call)
    if not parts.get("target"):
        raise ApiError(422, "invalid", "target.csv を選んでください。", "target")
    mode = parts.get("mode", b"replace").decode("utf-8", "replace").strip() or "replace"
    if mode not in ("replace", "merge"):
        raise ApiError(422, "invalid", "mode は replace か merge で指定してください。", "mode")
    texts = {k: decode(parts[k]) if parts.get(k) else None for k in ("description", "area_days")}
    async with call.ctx.db.write() as s:
        report = await garbage.import_5374(s, target=decode(parts["target"]), description=texts["description"],
                                           area_days=texts["area_days"], mode=mode,  # type: ignore[arg-type]
                                           now=call.ctx.clock.now())
        out = ImportOut(mode=report.mode, items_added=report.items_added,
                        items_updated=report.items_updated, items_total=report.items_total,
                        categories_added=report.categories_added, categories_total=report.categories_total,
                        areas=report.areas, warnings=_problems(report.warnings), errors=_problems(report.errors))
        if not report.items_total:
            raise ApiError(422, "invalid", out.errors[-1].message if out.errors else "取り込める品目がありません。",
                           "target")
        await call.audit(s, "garbage.import", "garbage", after=out.model_dump(exclude={"warnings", "errors"}))
    changed(call)
    return out


@router.route("GET", "/garbage/export", summary="5374 形式の CSV の出力（UTF-8 BOM 付き）", permission="garbage.read",
              query=ExportQuery, response=str, produces=CSV_CT)
async def export_garbage(call: Call) -> web.Response:
    name = call.query.file
    async with call.ctx.db.read() as s:
        text = await garbage.export(s, name)
    return csv_response(name, text.encode("utf-8"))


@router.route("GET", "/garbage/items", summary="品目の一覧・検索", permission="garbage.read", query=ItemsQuery,
              response=ItemsOut)
async def list_garbage_items(call: Call) -> ItemsOut:
    q: ItemsQuery = call.query
    async with call.ctx.db.read() as s:
        total, rows = await garbage.list_items(s, q=q.q, category=q.category, limit=q.limit, offset=q.offset)
    return ItemsOut(total=total, items=[item_out(r) for r in rows])


@router.route("GET", "/garbage/categories", summary="分別の一覧", permission="garbage.read",
              response=list[CategoryOut])
async def list_garbage_categories(call: Call) -> list[CategoryOut]:
    async with call.ctx.db.read() as s:
        cats = await garbage.categories(s)
        _, items = await garbage.list_items(s, limit=1_000_000)
    counts: dict[str, int] = {}
    for i in items:
        counts[i.category] = counts.get(i.category, 0) + 1
    return [CategoryOut(label=c.label, sublabel=c.sublabel, description=c.description, items=counts.get(c.label, 0))
            for c in cats]


async def _item(s: Any, call: Call) -> GarbageItemRow:
    row = await s.get(GarbageItemRow, call.path_int("id"))
    if row is None:
        raise ApiError(404, "not_found", "品目が見つかりません。", "id")
    return row


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    if "synonyms" in values:
        values["synonyms"] = list(dict.fromkeys(v.strip() for v in values["synonyms"] if v.strip()))
    return values


@router.route("POST", "/garbage/items", summary="品目の追加", permission="garbage.edit", body=ItemIn,
              response=ItemOut, status=201)
async def create_garbage_item(call: Call) -> ItemOut:
    async with call.ctx.db.write() as s:
        row = GarbageItemRow(**_clean(call.body.model_dump()))
        s.add(row)
        await s.flush()
        await garbage.ensure_category(s, row.category)
        await bump(s, GARBAGE, call.ctx.clock.now())
        out = item_out(row)
        await call.audit(s, "garbage.create", f"garbage:{row.id}", after=out)
    changed(call)
    return out


@router.route("PATCH", ITEM, summary="品目の変更", permission="garbage.edit", body=ItemPatch, response=ItemOut)
async def update_garbage_item(call: Call) -> ItemOut:
    values = _clean(call.body.model_dump(exclude_unset=True, exclude_none=True))
    async with call.ctx.db.write() as s:
        row = await _item(s, call)
        before = item_out(row)
        for k, v in values.items():
            setattr(row, k, v)
        s.add(row)
        await garbage.ensure_category(s, row.category)
        await bump(s, GARBAGE, call.ctx.clock.now())
        out = item_out(row)
        await call.audit(s, "garbage.update", f"garbage:{row.id}", before=before, after=out)
    changed(call)
    return out


@router.route("DELETE", ITEM, summary="品目の削除", permission="garbage.edit")
async def delete_garbage_item(call: Call) -> None:
    async with call.ctx.db.write() as s:
        row = await _item(s, call)
        before = item_out(row)
        await s.delete(row)
        await bump(s, GARBAGE, call.ctx.clock.now())
        await call.audit(s, "garbage.delete", f"garbage:{before.id}", before=before)
    changed(call)


@router.route("GET", "/garbage/try", summary="品目を試す（ボットが見つける品目と分別）", permission="garbage.read",
              query=TryQuery, response=dict)
async def try_garbage(call: Call) -> dict[str, Any]:
    live = call.ctx.need(call.ctx.live_content, "ごみ分別辞書の試行")
    return live.try_garbage(call.query.q)
