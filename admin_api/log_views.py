"""The operation log and the talk log: search and CSV export (国富町 §9(2)(ウ)⑥)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from admin_api.downloads import stream_csv
from admin_api.errors import ApiError
from admin_api.fields import Offset
from admin_api.routing import CSV_CT, ApiRouter, Call
from civic.clock import tokyo
from civic.staff import audit, talklog
from civic.staff.models import OperationLog
from civic.staff.privacy import (
    PERSONAL_PERMISSION,
    mask_snapshot,
    mask_snapshot_text,
)
from civic.stats.days import day_range

AUDIT_VIEW = "audit.view"
TALKLOG_VIEW = "talklog.view"
_DIRECTIONS = {"in": "利用者→ボット", "out": "ボット→利用者"}


class _DateRange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: date | None = Field(default=None, description="この日から（YYYY-MM-DD、日本時間）")
    until: date | None = Field(default=None, description="この日まで（この日を含む）")

    @model_validator(mode="after")
    def _ordered(self):
        if self.since and self.until and self.since > self.until:
            raise ValueError("開始日（since）は終了日（until）以前の日付にしてください。")
        return self


class OperationLogQuery(_DateRange):
    staff_login: str | None = Field(default=None, max_length=64)
    action: str | None = Field(default=None, max_length=80, description="前方一致（例: richmenus.）")
    target_type: str | None = Field(default=None, max_length=40)
    target_id: str | None = Field(default=None, max_length=80)


class OperationLogPageQuery(OperationLogQuery):
    limit: int = Field(default=50, ge=1, le=500)
    offset: Offset = 0


class OperationLogOut(BaseModel):
    id: int
    at: datetime
    staff_id: int | None
    staff_login: str
    action: str
    target_type: str
    target_id: str | None
    before: Any = None
    after: Any = None
    remote: str | None


class OperationLogPage(BaseModel):
    total: int
    items: list[OperationLogOut]


class TalkLogQuery(_DateRange):
    user: str | None = Field(default=None, max_length=64, description="LINE ユーザーID または 仮名（利用者-…）")
    direction: Literal["in", "out"] | None = None
    kind: str | None = Field(default=None, max_length=32)
    intent: str | None = Field(default=None, max_length=64)
    flow: str | None = Field(default=None, max_length=64)
    text: str | None = Field(default=None, max_length=100, description="発言に含まれる語")


class TalkLogPageQuery(TalkLogQuery):
    limit: int = Field(default=50, ge=1, le=500)
    offset: Offset = 0


class TalkEntryOut(BaseModel):
    id: int
    at: datetime
    user: str | None = Field(description="個人情報の閲覧権限がない場合は仮名")
    direction: str
    kind: str
    text: str | None
    intent: str | None
    flow: str | None


class TalkLogPage(BaseModel):
    items: list[TalkEntryOut]
    limit: int
    offset: int


def _log_query(q: OperationLogQuery) -> audit.LogQuery:
    since, until = day_range(q.since, q.until)
    return audit.LogQuery(since=since, until=until, staff_login=q.staff_login, action=q.action,
                          target_type=q.target_type, target_id=q.target_id)


def _snapshot(text: str | None, call: Call, target_type: str) -> Any:
    """A before/after snapshot; without ``personal.view`` citizens' fields masked and free text redacted."""
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return call.redact(text)
    return data if call.personal else mask_snapshot(data, target_type, call.redact)


def _log_out(entry: OperationLog, call: Call) -> OperationLogOut:
    return OperationLogOut(id=entry.id, at=entry.at, staff_id=entry.staff_id, staff_login=entry.staff_login,
                           action=entry.action, target_type=entry.target_type, target_id=entry.target_id,
                           before=_snapshot(entry.before, call, entry.target_type),
                           after=_snapshot(entry.after, call, entry.target_type), remote=entry.remote)


router = ApiRouter("logs", description="操作ログ・トークログ")


def personal(call: Call) -> bool:
    return call.principal is not None and call.principal.can(PERSONAL_PERMISSION)


@router.route("GET", "/operation-logs", personal="operation_log", summary="操作ログの検索", permission=AUDIT_VIEW,
              query=OperationLogPageQuery, response=OperationLogPage)
async def search_operation_log(call: Call) -> OperationLogPage:
    q = call.query
    async with call.ctx.db.read() as s:
        total, rows = await audit.search(s, _log_query(q), limit=q.limit, offset=q.offset)
    return OperationLogPage(total=total, items=[_log_out(r, call) for r in rows])


@router.route("GET", "/operation-logs.csv", personal="operation_log", summary="操作ログの CSV 出力", permission=AUDIT_VIEW,
              query=OperationLogQuery, response=str, produces=CSV_CT)
async def export_operation_log(call: Call):
    see = personal(call)

    async def rows() -> AsyncIterator[list[Any]]:
        async for e in audit.iterate(call.ctx.db, _log_query(call.query)):
            before = e.before if see else mask_snapshot_text(e.before, e.target_type, call.redact)
            after = e.after if see else mask_snapshot_text(e.after, e.target_type, call.redact)
            yield [f"{tokyo(e.at):%Y-%m-%d %H:%M:%S}", e.staff_login, e.staff_id, e.action, e.target_type,
                   e.target_id, before, after, e.remote]

    async with call.ctx.db.write() as s:
        await call.audit(s, "audit.export", "operation_log", after={
            "filters": call.query.model_dump(mode="json", exclude_none=True), "personal": see})
    name = f"operation-log-{tokyo(call.ctx.clock.now()):%Y%m%d-%H%M}.csv"
    return await stream_csv(call.request, name, ["日時", "職員ログインID", "職員番号", "操作", "対象の種類",
                                                 "対象ID", "変更前", "変更後", "接続元"], rows())


def _talk_query(call: Call) -> talklog.TalkQuery:
    q = call.query
    since, until = day_range(q.since, q.until)
    query = talklog.TalkQuery(since=since, until=until, direction=q.direction, kind=q.kind, intent=q.intent,
                              flow=q.flow, text=q.text)
    if q.user:
        if q.user.startswith("利用者-"):
            pseudonym = call.ctx.pseudonym
            query.predicate = lambda e, wanted=q.user: pseudonym(e.channel_user_id) == wanted
        elif personal(call):
            query.channel_user_id = q.user
        else:
            raise ApiError(403, "forbidden", "LINE ユーザーIDでの検索には個人情報の閲覧権限（personal.view）が必要です。"
                           "一覧に表示される仮名（利用者-…）で検索してください。", "user")
    if q.text and not personal(call):  # search what this role sees, so masked words cannot be probed
        needle, by_user = q.text.casefold(), query.predicate
        query.text = None
        query.predicate = lambda e: ((by_user is None or by_user(e))
                                     and needle in (call.redact(e.text) or "").casefold())
    return query


@router.route("GET", "/talk-logs", personal="talk_log", summary="トークログの検索", permission=TALKLOG_VIEW,
              query=TalkLogPageQuery, response=TalkLogPage)
async def search_talk_log(call: Call) -> TalkLogPage:
    q = call.query
    rows = await talklog.search(call.ctx.db, _talk_query(call), limit=q.limit, offset=q.offset)
    see = personal(call)
    return TalkLogPage(items=[TalkEntryOut(**talklog.entry_view(r, personal=see, pseudonym=call.ctx.pseudonym,
                                                                redact=call.redact))
                              for r in rows], limit=q.limit, offset=q.offset)


@router.route("GET", "/talk-logs.csv", personal="talk_log", summary="トークログの CSV 出力", permission=TALKLOG_VIEW,
              query=TalkLogQuery, response=str, produces=CSV_CT)
async def export_talk_log(call: Call):
    query = _talk_query(call)
    see = personal(call)

    async def rows() -> AsyncIterator[list[Any]]:
        async for e in talklog.iterate(call.ctx.db, query):
            v = talklog.entry_view(e, personal=see, pseudonym=call.ctx.pseudonym, redact=call.redact)
            yield [f"{tokyo(e.at):%Y-%m-%d %H:%M:%S}", v["user"], _DIRECTIONS.get(e.direction, e.direction),
                   e.kind, v["text"], e.intent, e.flow]

    async with call.ctx.db.write() as s:
        await call.audit(s, "talklog.export", "talk_log", after={
            "filters": call.query.model_dump(mode="json", exclude_none=True), "personal": see})
    name = f"talk-log-{tokyo(call.ctx.clock.now()):%Y%m%d-%H%M}.csv"
    return await stream_csv(call.request, name, ["日時", "利用者", "方向", "種類", "内容", "意図", "フロー"], rows())

