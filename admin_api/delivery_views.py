"""Deliveries for staff (``/deliveries``): write, schedule, test-send, approve, cancel, import CSV
schedules, and read the statistics (国富町 §9(2)(ア)③⑧⑨⑩⑪). Also the public click redirect
(``create_redirect_app``, mounted at ``/r``).
"""

from __future__ import annotations

import calendar
import json
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

from admin_api.downloads import csv_response, stream_csv
from admin_api.errors import ApiError
from admin_api.fields import Offset
from admin_api.routing import CSV_CT, ApiRouter, Call
from civic.clock import Clock, tokyo
from civic.database import Database
from civic.deliveries import csv_import, links, recipients, stats
from civic.deliveries.models import (
    AT,
    B_FAILED,
    B_PENDING,
    D_ACTIVE,
    D_APPROVAL,
    D_FINISHED,
    D_SCHEDULED,
    R_DUE,
    R_SENDING,
    RECURRING,
    REMINDER,
    TIMING_LABELS,
    Delivery,
    DeliveryBatch,
    DeliveryRun,
)
from civic.deliveries.schedule import Recurrence
from civic.deliveries.services import DeliveryInput, rule_of
from civic.segments.services import today_in_tokyo
from civic.stats.days import day_range

READ, SEND, APPROVE = "deliveries.read", "deliveries.send", "deliveries.approve"
STATUS_LABELS = {"draft": "下書き", "approval": "承認待ち", "scheduled": "予約済み", "active": "配信中（繰り返し）",
                 "finished": "終了", "cancelled": "取り消し"}
MESSAGES_DOC = ("LINE のメッセージオブジェクト（最大5件）: text（LINE絵文字は emojis）、image、imagemap、flex。"
                "リンクはクリック計測用の短いURLに置き換えて送ります。")
RULE_DOC = ("繰り返し: {\"kind\": \"weekly\", \"weekdays\": [0, 3], \"time\": \"07:30\", \"start\": \"2026-12-01\", "
            "\"end\": null, \"skip_holidays\": false}（kind: daily / weekly / monthly_day（days: [1, 15, -1]）/ "
            "monthly_nth（nth: [[2, 1]]））。リマインド: {\"attribute\": \"children_birth_dates\", \"offset\": 90, "
            "\"unit\": \"days\", \"time\": \"10:00\", \"start\": \"2026-12-01\"}")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeliveryIn(_In):
    title: str = Field(min_length=1, max_length=100)
    messages: list[dict[str, Any]] = Field(min_length=1, max_length=5, description=MESSAGES_DOC)
    target: Literal["all", "segment", "test"] = Field(default="all", description="全員 / セグメント / テスト用アカウント")
    segment_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    timing: Literal["now", "at", "recurring", "reminder", "draft"] = "now"
    send_at: datetime | None = Field(default=None, description="予約配信の日時（例 2026-12-01T09:00:00+09:00）")
    rule: dict[str, Any] | None = Field(default=None, description=RULE_DOC)
    urgent: bool = Field(default=False, description="緊急配信：ほかのすべての配信より先に送ります（全員あてはブロードキャスト）")

    def data(self) -> DeliveryInput:
        return DeliveryInput(title=self.title, messages=self.messages, target=self.target, segment_id=self.segment_id,
                             timing=self.timing, send_at=self.send_at, rule=self.rule, urgent=self.urgent)


class DeliveryOut(BaseModel):
    id: int
    title: str
    messages: list[dict[str, Any]]
    target: str
    segment_id: int | None
    timing: str
    timing_label: str
    send_at: datetime | None
    rule: dict[str, Any] | None
    rule_text: str | None
    next_due_at: datetime | None
    status: str
    status_label: str
    source: str
    source_ref: str | None
    created_by: str
    approved_by: str | None
    created_at: datetime
    updated_at: datetime
    urgent: bool = False


class RunOut(BaseModel):
    run_id: int
    delivery_id: int
    title: str
    timing: str = Field(description="種別（即時・予約・繰り返し・リマインド、テスト）")
    message_kinds: str
    target: str
    is_test: bool
    status: str
    status_label: str
    date: str = Field(description="配信日（日本時間）")
    time: str = Field(description="配信時刻（日本時間）")
    started_at: datetime | None
    finished_at: datetime | None
    targeted: int = Field(description="対象数")
    sent: int = Field(description="配信数（LINE に渡した人数）")
    succeeded: int = Field(description="成功数")
    failed: int = Field(description="失敗数")
    failure_reasons: list[dict[str, Any]] = Field(description="失敗理由と人数（LINE の応答）")
    opened: int | None = Field(description="開封数（LINE の統計。20人未満・未接続は null）")
    open_rate: float | None
    open_note: str
    clicks: int
    unique_clicks: int
    click_rate: float | None = Field(description="クリック率（クリックした人 ÷ 成功数）")
    email: dict[str, int] | None = Field(None, description="メールで届けた分（targeted・succeeded・failed・pending）。"
                                                           "上の数字は LINE の分で、メールは別に数えます")


class DeliveryDetail(DeliveryOut):
    estimate: int = Field(description="いま送ったら届く人数（リマインドは今日の該当者）")
    runs: list[RunOut]


class RunDetail(RunOut):
    links: list[dict[str, Any]]


class HistoryQuery(_In):
    since: date | None = Field(default=None, description="配信日（から）")
    until: date | None = Field(default=None, description="配信日（まで）")
    include_tests: bool = False
    delivery_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    limit: int = Field(default=50, ge=1, le=500)
    offset: Offset = 0
    open_rates: bool = Field(default=True, description="LINE の開封数を取得する")


class ExportQuery(_In):
    since: date | None = None
    until: date | None = None
    include_tests: bool = False


class TotalsOut(BaseModel):
    runs: int = Field(description="配信回数")
    targeted: int
    sent: int = Field(description="合計配信数")
    succeeded: int
    failed: int
    clicks: int
    unique_clicks: int


class ListQuery(_In):
    status: Literal["draft", "approval", "scheduled", "active", "finished", "cancelled"] | None = None
    limit: int = Field(default=100, ge=1, le=1000)
    offset: Offset = 0


class CalendarQuery(_In):
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="月（例 2026-12）")


class CalendarEntry(BaseModel):
    date: str = Field(description="配信日（日本時間）")
    time: str = Field(description="配信時刻（日本時間 HH:MM）")
    delivery_id: int
    title: str
    timing: str
    timing_label: str
    status: str
    status_label: str


class CalendarOut(BaseModel):
    month: str
    entries: list[CalendarEntry] = Field(description="予約・繰り返しの配信日（取り消したものを除く）")
    reminders: list[DeliveryOut] = Field(description="リマインド（該当する人がいる日に毎日送るもの）")


class ImportQuery(_In):
    partial: bool = Field(default=False, description="正しい行だけ登録する（既定: 1行でも誤りがあれば何も登録しない）")


class ImportErrorOut(BaseModel):
    row: int
    column: str
    message: str


class ImportOut(BaseModel):
    rows: int
    created: int
    delivery_ids: list[int]
    errors: list[ImportErrorOut]


def delivery_out(row: Delivery) -> DeliveryOut:
    rule = rule_of(row)
    return DeliveryOut(id=row.id, title=row.title, messages=json.loads(row.messages), target=row.target,
                       segment_id=row.segment_id, timing=row.timing, timing_label=TIMING_LABELS[row.timing],
                       send_at=row.send_at, rule=json.loads(row.rule) if row.rule else None,
                       rule_text=rule.describe() if rule is not None else None, next_due_at=row.next_due_at,
                       status=row.status, status_label=STATUS_LABELS.get(row.status, row.status), source=row.source,
                       source_ref=row.source_ref, created_by=row.created_by, approved_by=row.approved_by,
                       created_at=row.created_at, updated_at=row.updated_at, urgent=row.urgent)


def run_out(f: stats.RunFigures) -> RunOut:
    return RunOut(run_id=f.run_id, delivery_id=f.delivery_id, title=f.title, timing=f.timing,
                  message_kinds=f.message_kinds, target=f.target, is_test=f.is_test, status=f.status,
                  status_label=stats.STATUS_LABELS.get(f.status, f.status), date=f.date, time=f.time,
                  started_at=f.started_at, finished_at=f.finished_at, targeted=f.targeted, sent=f.sent,
                  succeeded=f.succeeded, failed=f.failed,
                  failure_reasons=[{"reason": r, "count": n} for r, n in f.failure_reasons], opened=f.opened,
                  open_rate=f.open_rate, open_note=f.open_note, clicks=f.clicks, unique_clicks=f.unique_clicks,
                  click_rate=f.click_rate, email=f.email)


router = ApiRouter("deliveries", description="メッセージ配信（即時・予約・繰り返し・リマインド・CSV一括・統計）")


def by(call: Call) -> str:
    return call.principal.login if call.principal else ""


def _poke(call: Call) -> None:
    """Wake the delivery scheduler after a change that may make something due now (``AdminContext.wake_deliveries``)."""
    if call.ctx.wake_deliveries is not None:
        call.ctx.wake_deliveries()


async def _detail(call: Call, s: Any, row: Delivery) -> DeliveryDetail:
    figures = await stats.history(s, delivery_id=row.id, include_tests=True, limit=50)
    estimate = await recipients.estimate(s, row, today_in_tokyo(call.ctx.clock.now()))
    return DeliveryDetail(**delivery_out(row).model_dump(), estimate=estimate, runs=[run_out(f) for f in figures])


@router.route("GET", "/deliveries", summary="配信一覧", permission=READ, query=ListQuery, response=list[DeliveryOut])
async def list_deliveries(call: Call) -> list[DeliveryOut]:
    q: ListQuery = call.query
    query = select(Delivery).order_by(col(Delivery.id).desc()).offset(q.offset).limit(q.limit)
    if q.status:
        query = query.where(Delivery.status == q.status)
    async with call.ctx.db.read() as s:
        return [delivery_out(r) for r in (await s.exec(query)).all()]


@router.route("GET", "/deliveries/calendar", summary="配信カレンダー（月ごとの予約・繰り返しの配信日）",
              permission=READ, query=CalendarQuery, response=CalendarOut)
async def delivery_calendar(call: Call) -> CalendarOut:
    year, month = (int(x) for x in call.query.month.split("-"))
    first = date(year, month, 1)
    days = [first + timedelta(days=i) for i in range(calendar.monthrange(year, month)[1])]
    shown = (D_SCHEDULED, D_ACTIVE, D_APPROVAL, D_FINISHED)
    async with call.ctx.db.read() as s:
        rows = (await s.exec(select(Delivery).where(col(Delivery.status).in_(shown),
                                                    col(Delivery.timing).in_((AT, RECURRING, REMINDER)))
                             .order_by(col(Delivery.id)))).all()
    entries: list[CalendarEntry] = []
    reminders: list[DeliveryOut] = []
    for row in rows:
        out = delivery_out(row)
        rule = rule_of(row)
        if row.timing == REMINDER:
            reminders.append(out)
            continue
        if row.timing == AT and row.send_at is not None:
            at = tokyo(row.send_at)
            hits = [(at.date(), at.strftime("%H:%M"))] if (at.year, at.month) == (year, month) else []
        elif isinstance(rule, Recurrence):
            hits = [(d, rule.time) for d in days if rule.matches(d)]
        else:
            hits = []
        entries += [CalendarEntry(date=d.isoformat(), time=t, delivery_id=row.id or 0, title=row.title,
                                  timing=row.timing, timing_label=out.timing_label, status=row.status,
                                  status_label=out.status_label) for d, t in hits]
    entries.sort(key=lambda e: (e.date, e.time, e.delivery_id))
    return CalendarOut(month=call.query.month, entries=entries, reminders=reminders)


@router.route("POST", "/deliveries", summary="配信の作成（即時・予約・繰り返し・リマインド・下書き）", permission=SEND,
              body=DeliveryIn, response=DeliveryDetail, status=201)
async def create_delivery(call: Call) -> DeliveryDetail:
    async with call.ctx.db.write() as s:
        row = await call.ctx.desk.create(s, call.ctx.clock.now(), call.body.data(), by=by(call))
        out = await _detail(call, s, row)
        await call.audit(s, "deliveries.create", f"delivery:{row.id}", after=delivery_out(row).model_dump(mode="json"))
    _poke(call)
    return out


@router.route("GET", "/deliveries/{delivery_id:\\d+}", summary="配信（送信結果つき）", permission=READ,
              response=DeliveryDetail)
async def get_delivery(call: Call) -> DeliveryDetail:
    async with call.ctx.db.read() as s:
        return await _detail(call, s, await call.ctx.desk.get(s, call.path_int("delivery_id")))


@router.route("PUT", "/deliveries/{delivery_id:\\d+}", summary="配信の変更（送信前・繰り返しの今後の分）",
              permission=SEND, body=DeliveryIn, response=DeliveryDetail, errors={409: "送信済み・送信中"})
async def update_delivery(call: Call) -> DeliveryDetail:
    delivery_id = call.path_int("delivery_id")
    async with call.ctx.db.write() as s:
        before = delivery_out(await call.ctx.desk.get(s, delivery_id)).model_dump(mode="json")
        row = await call.ctx.desk.update(s, call.ctx.clock.now(), delivery_id, call.body.data())
        out = await _detail(call, s, row)
        await call.audit(s, "deliveries.update", f"delivery:{delivery_id}", before=before,
                         after=delivery_out(row).model_dump(mode="json"))
    _poke(call)
    return out


async def _action(call: Call, action: str) -> DeliveryDetail:
    delivery_id = call.path_int("delivery_id")
    async with call.ctx.db.write() as s:
        if action == "cancel":
            row = await call.ctx.desk.cancel(s, call.ctx.clock.now(), delivery_id)
        elif action == "approve":
            row = await call.ctx.desk.approve(s, call.ctx.clock.now(), delivery_id, by(call))
        else:
            await call.ctx.desk.send_test(s, call.ctx.clock.now(), delivery_id)
            row = await call.ctx.desk.get(s, delivery_id)
        out = await _detail(call, s, row)
        await call.audit(s, f"deliveries.{action}", f"delivery:{delivery_id}",
                         after={"status": row.status, "title": row.title})
    _poke(call)
    return out


@router.route("POST", "/deliveries/{delivery_id:\\d+}/cancel", summary="配信の取り消し・停止", permission=SEND,
              response=DeliveryDetail, errors={409: "すでに終了"})
async def cancel_delivery(call: Call) -> DeliveryDetail:
    return await _action(call, "cancel")


@router.route("POST", "/deliveries/{delivery_id:\\d+}/approve", summary="配信の承認（メール転送など）",
              permission=APPROVE, response=DeliveryDetail, errors={409: "承認待ちではない"})
async def approve_delivery(call: Call) -> DeliveryDetail:
    return await _action(call, "approve")


@router.route("POST", "/deliveries/{delivery_id:\\d+}/test", summary="テスト用アカウントへのテスト送信",
              permission=SEND, response=DeliveryDetail,
              description="テスト用アカウント（is_test_account）だけに、テスト用チャネルから今すぐ送ります。本番の利用者には届きません。")
async def test_delivery(call: Call) -> DeliveryDetail:
    return await _action(call, "test")


@router.route("POST", "/deliveries/import", summary="繰り返し配信の CSV 一括登録", permission=SEND,
              query=ImportQuery, consumes=("text/csv", "application/octet-stream"), response=ImportOut,
              description=csv_import.__doc__ or "")
async def import_deliveries(call: Call) -> ImportOut:
    async with call.ctx.db.write() as s:
        result = await csv_import.import_csv(s, call.ctx.clock.now(), call.ctx.desk, call.body, by=by(call),
                                             filename="upload.csv", partial=call.query.partial)
        await call.audit(s, "deliveries.import", "deliveries:csv", after={
            "rows": result.rows, "created": len(result.created), "errors": len(result.errors)})
    _poke(call)
    return ImportOut(rows=result.rows, created=len(result.created), delivery_ids=result.created,
                     errors=[ImportErrorOut(row=e.row, column=e.column, message=e.message) for e in result.errors])


@router.route("GET", "/deliveries/import/template.csv", summary="CSV 一括登録のひな形", permission=READ,
              response=str, produces=CSV_CT)
async def import_template(call: Call) -> web.Response:
    return csv_response("deliveries-template.csv", ("\ufeff" + csv_import.TEMPLATE).encode("utf-8"))


# ---- statistics -----------------------------------------------------------------------
@router.route("GET", "/deliveries/history", summary="配信履歴と統計（配信ごと）", permission=READ,
              query=HistoryQuery, response=list[RunOut])
async def delivery_history(call: Call) -> list[RunOut]:
    q: HistoryQuery = call.query
    since, until = day_range(q.since, q.until) if (q.since or q.until) else (None, None)
    async with call.ctx.db.read() as s:
        figures = await stats.history(s, since=since, until=until, include_tests=q.include_tests,
                                      delivery_id=q.delivery_id, limit=q.limit, offset=q.offset)
    if q.open_rates:
        await stats.add_open_figures(figures, call.ctx.opens, today_in_tokyo(call.ctx.clock.now()))
    return [run_out(f) for f in figures]


@router.route("GET", "/deliveries/totals", summary="過去の合計配信数", permission=READ, query=ExportQuery,
              response=TotalsOut)
async def delivery_totals(call: Call) -> TotalsOut:
    q: ExportQuery = call.query
    since, until = day_range(q.since, q.until) if (q.since or q.until) else (None, None)
    async with call.ctx.db.read() as s:
        t = await stats.totals(s, since=since, until=until)
    return TotalsOut(**t.__dict__)


@router.route("GET", "/deliveries/history.csv", summary="配信履歴の CSV 出力（Excel 用）", permission=READ,
              query=ExportQuery, response=str, produces=CSV_CT)
async def export_history(call: Call) -> web.StreamResponse:
    q: ExportQuery = call.query
    since, until = day_range(q.since, q.until) if (q.since or q.until) else (None, None)

    async def rows() -> AsyncIterator[list[Any]]:
        async with call.ctx.db.read() as s:
            async for row in stats.csv_rows(s, since=since, until=until, include_tests=q.include_tests):
                yield row

    name = f"deliveries-{tokyo(call.ctx.clock.now()):%Y%m%d-%H%M}.csv"
    return await stream_csv(call.request, name, stats.CSV_HEADERS, rows())


@router.route("GET", "/deliveries/runs/{run_id:\\d+}", summary="1回の配信の結果（リンク別クリック数つき）",
              permission=READ, response=RunDetail)
async def get_run(call: Call) -> RunDetail:
    run_id = call.path_int("run_id")
    async with call.ctx.db.read() as s:
        run = await s.get(DeliveryRun, run_id)
        if run is None or run.targeted is None:
            raise ApiError(404, "not_found", f"配信結果（ID {run_id}）は見つかりません。", "run_id")
        (figure,) = [f for f in await stats.history(s, delivery_id=run.delivery_id, include_tests=True, limit=10**6)
                     if f.run_id == run_id]
        per_link = await links.links_of_run(s, run_id)
    await stats.add_open_figures([figure], call.ctx.opens, today_in_tokyo(call.ctx.clock.now()))
    return RunDetail(**run_out(figure).model_dump(), links=[
        {"url": u, "token": t, "clicks": c, "unique_clicks": n} for u, t, c, n in per_link])


@router.route("POST", "/deliveries/runs/{run_id:\\d+}/retry", summary="失敗した分の再送", permission=SEND,
              response=RunOut, errors={409: "再送できる失敗がない"},
              description="LINE が受け付けなかったバッチだけを同じ再送キーで送り直します（届いた人には届きません）。")
async def retry_run(call: Call) -> RunOut:
    run_id = call.path_int("run_id")
    async with call.ctx.db.write() as s:
        run = await s.get(DeliveryRun, run_id)
        if run is None or run.status in (R_DUE, R_SENDING) or run.targeted is None:
            raise ApiError(409, "not_retryable", "この配信は送信待ち・送信中のため再送できません。", "run_id")
        failed = (await s.exec(select(DeliveryBatch).where(DeliveryBatch.run_id == run_id,
                                                           DeliveryBatch.status == B_FAILED))).all()
        retryable = [b for b in failed if not (b.error or "").startswith("前回の送信から24時間")]
        if not retryable:
            raise ApiError(409, "nothing_to_retry", "再送できる失敗がありません。", "run_id")
        for b in retryable:
            b.status, b.error = B_PENDING, None
            s.add(b)
        run.status, run.attempts, run.claimed_by, run.lease_until = R_DUE, 0, None, None
        s.add(run)
        await call.audit(s, "deliveries.retry", f"delivery_run:{run_id}", after={"batches": len(retryable)})
        figure = [f for f in await stats.history(s, delivery_id=run.delivery_id, include_tests=True, limit=10**6)
                  if f.run_id == run_id][0]
    _poke(call)
    return run_out(figure)


def create_redirect_app(db: Database, clock: Clock) -> web.Application:
    """``GET /{token}``: count the click and redirect to the delivery's link (mount at ``/r``)."""
    app = web.Application()

    async def follow(request: web.Request) -> web.StreamResponse:
        url = await links.follow(db, clock.now(), request.match_info["token"], remote=request.remote,
                                 agent=request.headers.get("User-Agent"))
        if url is None:
            return web.Response(status=404, text="このリンクは無効です。", content_type="text/plain", charset="utf-8")
        return web.Response(status=302, headers={"Location": url, "Cache-Control": "no-store",
                                                 "Referrer-Policy": "no-referrer"})

    app.router.add_get("/{token}", follow)
    return app

