"""Staff API for the 手続きナビ trees (issue #16): a life event's questions, conditions and results,
edited as the YAML of ``content/<town>/procedures/events/*.yaml`` (plus a structured view), checked by
the loader with its problems by field and line, previewed path by path, published to every process.

Permissions: ``procedures.read`` to read, ``procedures.edit`` to save a draft and publish. Publishing
bumps the ``procedures`` content version (``bot.procedure_reload``); this process re-reads at once.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from admin_api.errors import ApiError
from admin_api.faq_entry_views import changed, who
from admin_api.routing import ApiRouter, Call
from civic.clock import tokyo
from civic.procedures import editing
from civic.procedures.models import ProcedureEventSource
from civic.procedures.tree import Content

router = ApiRouter("procedure-trees")
READ, EDIT = "procedures.read", "procedures.edit"
EVENT = r"/procedures/events/{code:[a-z][a-z0-9_]*}"
YAML_CT = "application/yaml"


class Problem(BaseModel):
    file: str
    field: str = Field(description="問題のある項目（例 questions[0].options[1].label）。空は全体")
    line: int | None = Field(description="行番号（1から）")
    message: str
    text: str = Field(description="ファイル・項目・行・理由をまとめた一文")


class EventRow(BaseModel):
    code: str
    title: str
    label: str
    file: str
    draft_differs: bool = Field(description="公開中と違う下書きがある")
    published: bool = Field(description="公開されている（手続きナビに出ている）")
    updated_at: datetime
    updated_by: str
    published_at: datetime | None
    published_by: str


class EventSource(EventRow):
    draft: str = Field(description="下書きの YAML")
    published_source: str = Field(description="公開中の YAML")
    problems: list[Problem] = Field(description="下書きを手続きナビの読み込みで確認した結果（空なら公開できる）")
    structure: dict[str, Any] | None = Field(description="下書きの質問・選択肢・結果（条件は文で）")


class SourceIn(BaseModel):
    source: str = Field(max_length=200_000, description="ライフイベントの YAML")


class PreviewQuery(BaseModel):
    which: str = Field(default="draft", pattern="^(draft|published)$", description="draft（下書き）か published（公開中）")
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=200, ge=1, le=editing.MAX_PATHS)


class PathAnswer(BaseModel):
    question: str
    answer: str


class PathProcedure(BaseModel):
    code: int
    name: str
    counter: str


class PathRow(BaseModel):
    number: int = Field(description="経路の番号（1から）")
    answers: list[PathAnswer]
    procedures: list[PathProcedure]


class PreviewOut(BaseModel):
    code: str
    which: str
    total: int = Field(description="質問のたどり方の総数（日付の質問は今日で答えたもの）")
    truncated: bool = Field(description=f"{editing.MAX_PATHS}件で打ち切った")
    problems: list[Problem]
    paths: list[PathRow]


def _content(call: Call) -> Content:
    return call.ctx.need(call.ctx.procedures, "手続きナビ")


def _row_out(row: ProcedureEventSource, content: Content) -> dict[str, Any]:
    event = content.events.get(row.code)
    return {"code": row.code, "title": event.title if event else row.code, "label": event.label if event else "",
            "file": row.file, "draft_differs": row.draft != row.published, "published": bool(row.published),
            "updated_at": row.updated_at, "updated_by": row.updated_by, "published_at": row.published_at,
            "published_by": row.published_by}


def _source_out(row: ProcedureEventSource, content: Content) -> EventSource:
    event, problems = editing.check(content, row.draft, row.file, row.code)
    base = _row_out(row, content)
    if event is not None:
        base.update(title=event.title, label=event.label)
    return EventSource(**base, draft=row.draft, published_source=row.published,
                       problems=[Problem(**editing.problem_dict(p)) for p in problems],
                       structure=editing.structure(content, event) if event is not None else None)


async def _row(s: Any, call: Call) -> ProcedureEventSource:
    row = await s.get(ProcedureEventSource, call.request.match_info["code"])
    if row is None or row.deleted_at is not None:
        raise ApiError(404, "not_found", "ライフイベントが見つかりません。", "code")
    return row


def _snapshot(row: ProcedureEventSource) -> dict[str, Any]:
    return {"code": row.code, "draft": row.draft, "published": row.published}


@router.route("GET", "/procedures/events", summary="手続きナビ: ライフイベントの一覧（下書き・公開の状態）",
              permission=READ, response=list[EventRow])
async def list_procedure_events(call: Call) -> list[EventRow]:
    content = _content(call)
    async with call.ctx.db.read() as s:
        rows = await editing.rows(s)
    order = {e.code: i for i, e in enumerate(content.ordered_events())}
    rows.sort(key=lambda r: (order.get(r.code, len(order)), r.code))
    return [EventRow(**_row_out(r, content)) for r in rows]


@router.route("GET", EVENT, summary="手続きナビ: ライフイベントの YAML（下書き・公開中）、確認結果、構造",
              permission=READ, response=EventSource)
async def get_procedure_event(call: Call) -> EventSource:
    async with call.ctx.db.read() as s:
        row = await _row(s, call)
    return _source_out(row, _content(call))


@router.route("PUT", EVENT + "/draft", summary="手続きナビ: 下書きの保存（誤りがあっても保存し、確認結果を返す）",
              permission=EDIT, body=SourceIn, response=EventSource,
              description="ない code なら新しいライフイベントの下書きになります。誤りは problems に項目・行ごとに返ります。")
async def save_procedure_draft(call: Call) -> EventSource:
    code = call.request.match_info["code"]
    text = call.body.source.replace("\r\n", "\n")
    if len(code) > 32:
        raise ApiError(422, "invalid", "code は32文字以内にしてください。", "code")
    async with call.ctx.db.write() as s:
        old = await s.get(ProcedureEventSource, code)
        before = _snapshot(old) if old is not None else None
        row = await editing.save_draft(s, code, text, now=call.ctx.clock.now(), by=who(call))
        await call.audit(s, "procedures.draft", f"procedure-event:{code}", before=before, after=_snapshot(row))
    return _source_out(row, _content(call))


@router.route("POST", EVENT + "/publish", summary="手続きナビ: 下書きを公開（数秒で手続きナビ・LINE に反映）",
              permission=EDIT, response=EventSource, errors={422: "下書きに誤りがある"})
async def publish_procedure_event(call: Call) -> EventSource:
    content = _content(call)
    async with call.ctx.db.write() as s:
        row = await _row(s, call)
        _, problems = editing.check(content, row.draft, row.file, row.code)
        if problems:
            raise ApiError(422, "invalid", f"下書きに誤りが{len(problems)}件あります。直してから公開してください: "
                                           f"{problems[0]}", "draft")
        before = _snapshot(row)
        await editing.publish(s, row, now=call.ctx.clock.now(), by=who(call))
        await call.audit(s, "procedures.publish", f"procedure-event:{row.code}", before=before, after=_snapshot(row))
    changed(call)
    return _source_out(row, content)


@router.route("DELETE", EVENT, summary="手続きナビ: ライフイベントの削除（公開中なら数秒で手続きナビ・LINE から消えます）",
              permission=EDIT, errors={409: "入力の途中の住民がいる"},
              description="住民が入力の途中（下書きの期限内）のあいだは削除できません（409、期限をお知らせします）。"
                          "content/<町>/procedures/events/ のファイルから再び作られることはありません。")
async def delete_procedure_event(call: Call) -> None:
    now = call.ctx.clock.now()
    async with call.ctx.db.write() as s:
        row = await _row(s, call)
        waiting, until = await editing.residents_on_it(s, row.code, now)
        if waiting:
            raise ApiError(409, "in_use", f"このライフイベントを入力の途中の住民が{waiting}人います。"
                                          f"{_when(until)}を過ぎると入力の途中のものは消えるため、それから削除してください。",
                           "code")
        before = _snapshot(row)
        await editing.delete(s, row, now=now, by=who(call))
        await call.audit(s, "procedures.delete", f"procedure-event:{row.code}", before=before)
    changed(call)


def _when(at: datetime | None) -> str:
    return tokyo(at).strftime("%Y年%-m月%-d日 %H:%M") if at is not None else "しばらく"


@router.route("GET", EVENT + "/preview", summary="手続きナビ: 質問のたどり方ごとの結果（全経路）",
              permission=READ, query=PreviewQuery, response=PreviewOut)
async def preview_procedure_event(call: Call) -> PreviewOut:
    q: PreviewQuery = call.query
    content = _content(call)
    async with call.ctx.db.read() as s:
        row = await _row(s, call)
    text = row.draft if q.which == "draft" else row.published
    event, problems = editing.check(content, text, row.file, row.code)
    # off the loop: みどり町の転入 has 5,400 paths (~0.4 s)
    found, cut = await asyncio.to_thread(editing.paths, content, event, call.ctx.clock) if event is not None else ([], False)
    shown = found[q.offset:q.offset + q.limit]
    return PreviewOut(code=row.code, which=q.which, total=len(found), truncated=cut,
                      problems=[Problem(**editing.problem_dict(p)) for p in problems],
                      paths=[PathRow(number=q.offset + i + 1, answers=[PathAnswer(**a) for a in p.answers],
                                     procedures=[PathProcedure(**r) for r in p.procedures])
                             for i, p in enumerate(shown)])


@router.route("GET", EVENT + "/export", summary="手続きナビ: 公開中の YAML ファイル（content/<町>/procedures/events/ にそのまま置けます）",
              permission=READ, response=str, produces=YAML_CT)
async def export_procedure_event(call: Call) -> web.Response:
    async with call.ctx.db.read() as s:
        row = await _row(s, call)
    name = row.file.rsplit("/", 1)[-1]
    return web.Response(body=row.published.encode("utf-8"), content_type=YAML_CT, charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
