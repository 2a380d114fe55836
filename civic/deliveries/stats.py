"""Delivery statistics for staff (国富町 §9(2)(ア)⑪): per sending — title, kind, date, time,
targeted, sent, succeeded, failed (with LINE's reasons), open rate, click rate — a history list,
totals, and a CSV export that opens cleanly in Excel.

*Sent* counts recipients in batches we handed to LINE; *succeeded* those LINE accepted; *failed*
those it refused (the reason is LINE's). Multicast does not report single recipients: a friend who
blocked the account in the meantime is silently skipped by LINE and counts as succeeded here.

*Opens* only LINE knows. Every batch carries the run's aggregation unit, and LINE's per-unit
statistics give unique impressions and clicks — but LINE withholds figures under 20 people (its
privacy floor), and the local emulator has no statistics at all. Both are shown as what they are
("非公開（20人未満）", "取得できません"), never as 0 %. *Clicks* are counted by our own redirect
links, so they work everywhere; unique clicks are counted per visitor and day.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.clock import TOKYO
from civic.deliveries.content import kinds_of
from civic.deliveries.links import clicks_by_run
from civic.deliveries.models import (
    B_FAILED,
    R_DONE,
    R_FAILED,
    SEGMENT,
    TEST_ACCOUNTS,
    TIMING_LABELS,
    Delivery,
    DeliveryBatch,
    DeliveryRun,
)
from civic.mypage.models import M_FAILED, M_SENT, MailMessage
from civic.rows import pk, table_of
from civic.segments.models import Segment

BATCH = table_of(DeliveryBatch)
LINE_PRIVACY_FLOOR = 20
STATUS_LABELS = {"due": "送信待ち", "sending": "送信中", "done": "送信済み", "failed": "失敗", "skipped": "見送り",
                 "cancelled": "取り消し"}


@dataclass(frozen=True)
class OpenFigures:
    """LINE's per-unit figures for one run; None where LINE gives nothing (and ``note`` says why)."""

    opened: int | None = None
    clicked: int | None = None
    note: str = ""


class OpenStatistics(Protocol):
    async def unit(self, channel: str, unit: str, since: date, until: date) -> OpenFigures: ...


class NoOpenStatistics:
    """Where LINE's statistics are not available (the local emulator, tests)."""

    async def unit(self, channel: str, unit: str, since: date, until: date) -> OpenFigures:
        return OpenFigures(note="取得できません（LINEの統計APIに接続していません）")


@dataclass
class RunFigures:
    run_id: int
    delivery_id: int
    title: str
    timing: str  # 即時 / 予約 / 繰り返し / リマインド
    message_kinds: str
    target: str
    is_test: bool
    status: str
    due_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    targeted: int
    sent: int
    succeeded: int
    failed: int
    failure_reasons: list[tuple[str, int]] = field(default_factory=list)
    clicks: int = 0
    unique_clicks: int = 0
    opened: int | None = None
    open_note: str = ""
    channel: str = ""
    aggregation_unit: str | None = None
    #: The same run by e-mail (``civic.mypage``: citizens who chose e-mail), counted apart from LINE;
    #: None when nobody was reached by e-mail.
    email: dict[str, int] | None = None

    @property
    def date(self) -> str:
        return self.due_at.astimezone(TOKYO).date().isoformat()

    @property
    def time(self) -> str:
        return self.due_at.astimezone(TOKYO).strftime("%H:%M")

    @property
    def click_rate(self) -> float | None:
        return round(self.unique_clicks / self.succeeded, 4) if self.succeeded else None

    @property
    def open_rate(self) -> float | None:
        return round(self.opened / self.succeeded, 4) if self.opened is not None and self.succeeded else None


def _target_label(delivery: Delivery, segment_names: dict[int, str], is_test: bool) -> str:
    if is_test or delivery.target == TEST_ACCOUNTS:
        return "テスト用アカウント"
    if delivery.target == SEGMENT:
        return f"セグメント「{segment_names.get(delivery.segment_id or 0, delivery.segment_id)}」"
    return "全員"


async def history(s: AsyncSession, *, since: datetime | None = None, until: datetime | None = None,
                  include_tests: bool = False, delivery_id: int | None = None, limit: int = 100,
                  offset: int = 0) -> list[RunFigures]:
    """Runs that were (or are being) sent, newest first."""
    query = (select(DeliveryRun, Delivery).join(Delivery, col(Delivery.id) == col(DeliveryRun.delivery_id))
             .where(col(DeliveryRun.targeted).is_not(None)))
    if since is not None:
        query = query.where(col(DeliveryRun.due_at) >= since)
    if until is not None:
        query = query.where(col(DeliveryRun.due_at) < until)
    if not include_tests:  # test sends, and deliveries to the test accounts, are not the town's figures
        query = query.where(DeliveryRun.is_test == False, Delivery.target != TEST_ACCOUNTS)  # noqa: E712
    if delivery_id is not None:
        query = query.where(DeliveryRun.delivery_id == delivery_id)
    rows = (await s.exec(query.order_by(col(DeliveryRun.due_at).desc(), col(DeliveryRun.id).desc())
                         .offset(offset).limit(limit))).all()
    return await _figures(s, rows)


async def _figures(s: AsyncSession, rows: Sequence[tuple[DeliveryRun, Delivery]]) -> list[RunFigures]:
    run_ids = [pk(r) for r, _ in rows]
    names = {sid: name for sid, name in (await s.exec(select(Segment.id, Segment.name))).all() if sid is not None}
    clicks = await clicks_by_run(s, run_ids)
    reasons: dict[int, list[tuple[str, int]]] = {}
    if run_ids:
        failed = (await s.exec(select(BATCH.c.run_id, BATCH.c.error, sa.func.sum(BATCH.c.size))
                               .where(BATCH.c.run_id.in_(run_ids), BATCH.c.status == B_FAILED)
                               .group_by(BATCH.c.run_id, BATCH.c.error))).all()
        for run_id, error, size in failed:
            reasons.setdefault(int(run_id), []).append((error or "不明", int(size or 0)))
    mails = await mail_stats(s, run_ids)
    out = []
    for run, delivery in rows:
        messages = json.loads(run.messages or delivery.messages)
        total_clicks, unique = clicks.get(pk(run), (0, 0))
        out.append(RunFigures(
            run_id=pk(run), delivery_id=pk(delivery), title=delivery.title,
            timing=TIMING_LABELS.get(delivery.timing, delivery.timing) + ("（テスト）" if run.is_test else ""),
            message_kinds=kinds_of(messages), target=_target_label(delivery, names, run.is_test),
            is_test=run.is_test, status=run.status, due_at=run.due_at, started_at=run.started_at,
            finished_at=run.finished_at, targeted=run.targeted or 0, sent=run.succeeded + run.failed,
            succeeded=run.succeeded, failed=run.failed, failure_reasons=reasons.get(pk(run), []),
            clicks=total_clicks, unique_clicks=unique, channel=run.channel, aggregation_unit=run.aggregation_unit,
            email=mails.get(pk(run))))
    return out


async def mail_stats(s: AsyncSession, run_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per run: e-mails targeted, sent (accepted by the mail server), failed and still waiting."""
    if not run_ids:
        return {}
    mail = table_of(MailMessage)
    rows = (await s.exec(select(mail.c.run_id, mail.c.status, sa.func.count()).where(mail.c.run_id.in_(run_ids))
                         .group_by(mail.c.run_id, mail.c.status))).all()
    out: dict[int, dict[str, int]] = {}
    for run_id, status, n in rows:
        figures = out.setdefault(int(run_id), {"targeted": 0, "succeeded": 0, "failed": 0, "pending": 0})
        figures["targeted"] += int(n)
        key = {M_SENT: "succeeded", M_FAILED: "failed"}.get(status, "pending")
        figures[key] += int(n)
    return out


async def add_open_figures(figures: list[RunFigures], source: OpenStatistics, today: date) -> None:
    """Ask LINE (through ``source``) for each finished run's unique impressions."""
    for f in figures:
        if f.status not in (R_DONE, R_FAILED) or not f.aggregation_unit:
            continue
        if f.succeeded < LINE_PRIVACY_FLOOR:
            f.open_note = f"非公開（LINEは{LINE_PRIVACY_FLOOR}人未満の数値を公開しません）"
            continue
        start = f.due_at.astimezone(TOKYO).date()
        figures_ = await source.unit(f.channel, f.aggregation_unit, start, min(today, start + timedelta(days=30)))
        f.opened, f.open_note = figures_.opened, figures_.note
        if figures_.opened is None and not figures_.note:
            f.open_note = f"非公開（LINEは{LINE_PRIVACY_FLOOR}人未満の数値を公開しません）"


@dataclass
class Totals:
    runs: int
    targeted: int
    sent: int
    succeeded: int
    failed: int
    clicks: int
    unique_clicks: int


async def totals(s: AsyncSession, *, since: datetime | None = None, until: datetime | None = None) -> Totals:
    """過去の合計配信数: production runs only (test sends never count)."""
    run = table_of(DeliveryRun)
    delivery = table_of(Delivery)
    town = [run.c.targeted.is_not(None), run.c.is_test == sa.false(), delivery.c.target != TEST_ACCOUNTS,
            run.c.delivery_id == delivery.c.id]
    if since is not None:
        town.append(run.c.due_at >= since)
    if until is not None:
        town.append(run.c.due_at < until)
    query = select(sa.func.count(), sa.func.coalesce(sa.func.sum(run.c.targeted), 0),
                   sa.func.coalesce(sa.func.sum(run.c.succeeded), 0), sa.func.coalesce(sa.func.sum(run.c.failed), 0)
                   ).select_from(run.join(delivery, run.c.delivery_id == delivery.c.id)).where(*town)
    count, targeted, succeeded, failed = (await s.exec(query)).one()
    ids = (await s.exec(select(run.c.id).select_from(run.join(delivery, run.c.delivery_id == delivery.c.id))
                        .where(*town))).all()
    clicks = await clicks_by_run(s, list(ids))
    return Totals(int(count), int(targeted), int(succeeded) + int(failed), int(succeeded), int(failed),
                  sum(c for c, _ in clicks.values()), sum(u for _, u in clicks.values()))


CSV_HEADERS = ("配信ID", "実行ID", "タイトル", "種別", "メッセージ", "配信先", "配信日", "配信時刻", "状態", "対象数",
               "配信数", "成功数", "失敗数", "失敗理由", "開封数", "開封率", "クリック数", "クリック人数", "クリック率")


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def csv_row(f: RunFigures) -> list[Any]:
    reasons = " / ".join(f"{reason}（{n}人）" for reason, n in f.failure_reasons)
    opened = f.opened if f.opened is not None else (f.open_note or "")
    return [f.delivery_id, f.run_id, f.title, f.timing, f.message_kinds, f.target, f.date, f.time,
            STATUS_LABELS.get(f.status, f.status), f.targeted, f.sent, f.succeeded, f.failed, reasons, opened,
            _percent(f.open_rate), f.clicks, f.unique_clicks, _percent(f.click_rate)]


async def csv_rows(s: AsyncSession, *, since: datetime | None = None, until: datetime | None = None,
                   include_tests: bool = False, page: int = 500) -> AsyncIterator[list[Any]]:
    offset = 0
    while True:
        chunk = await history(s, since=since, until=until, include_tests=include_tests, limit=page, offset=offset)
        for f in chunk:
            yield csv_row(f)
        if len(chunk) < page:
            return
        offset += page
