"""月次報告 (国富町 9(3)(オ)⑥): one month's figures on one page — friends and blocks, deliveries with
opens and clicks, chatbot use and the fallback rate, the FAQ's most asked entries, road-damage reports,
bookings and survey (form) answers — as JSON for the console's printable page and as CSV.

For a staff member limited to some facilities (国富町 表3 no.2 管理施設) the booking figures cover only
their facilities, and the report names them (``bookings_facilities``); every other figure is the town's.

No personal data: counts only, and FAQ entries by the town's own question text (never a citizen's words).
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

from admin_api.downloads import csv_response
from admin_api.errors import ApiError
from admin_api.facility_scope import limited, scope
from admin_api.routing import CSV_CT, ApiRouter, Call
from civic.attributes.models import Form, FormResponse
from civic.booking.models import CANCELLED, HOLDING, Reservation
from civic.clock import tokyo
from civic.deliveries import stats as delivery_stats
from civic.facilities.models import Facility
from civic.faq.models import FaqAnswer, UnansweredQuestion
from civic.reports.models import STATUS_LABELS as REPORT_LABELS
from civic.reports.models import Report
from civic.stats import services as stats
from civic.stats.csvfile import csv_bytes
from civic.stats.days import day_range
from richmenus import taps as tap_stats

router = ApiRouter("monthly_report", description="月次報告")


class MonthQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="対象の月（YYYY-MM、日本時間）")


class Count(BaseModel):
    label: str
    count: int


class FaqTop(BaseModel):
    entry_id: str
    question: str = Field(description="FAQ の質問文（町が登録したもの）")
    count: int
    helpful: int
    not_helpful: int


class MonthlyReport(BaseModel):
    month: str
    since: date
    until: date
    generated_at: datetime
    friends_at_end: int = Field(description="月末の友だち数")
    follows: int = Field(description="月内の友だち追加")
    blocks: int = Field(description="月内のブロック")
    blocked_at_end: int
    active_users_peak: int = Field(description="1日に話しかけた人数の最大")
    messages_in: int
    messages_out: int
    understood: int
    fallbacks: int
    fallback_rate: float | None = Field(description="答えられなかった割合（0〜1）")
    richmenu_taps: int
    deliveries: int = Field(description="配信の回数（テストを除く）")
    delivered: int = Field(description="届いた通数")
    opened: int | None = Field(description="開封数（LINE の統計が得られた配信の合計。得られなければ null）")
    clicks: int
    unique_clicks: int
    faq_answers: int
    faq_top: list[FaqTop]
    unanswered: int = Field(description="答えられなかった質問の件数")
    reports_received: int
    reports_by_status: list[Count] = Field(description="月内に受け付けた通報の、いまの状態")
    bookings_made: int = Field(description="月内に受け付けた予約（取消を含む）")
    bookings_used: int = Field(description="月内の利用日の予約（承認待ち・確定）")
    bookings_cancelled: int = Field(description="月内に取り消された予約")
    bookings_facilities: list[str] | None = Field(
        default=None, description="予約の数を管理施設の予約に限ったとき、その施設名（null: 町全体の予約）")
    surveys: list[Count] = Field(description="フォーム（アンケート）ごとの回答数")


def _month(value: str) -> tuple[date, date]:
    year, month = (int(x) for x in value.split("-"))
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise ApiError(422, "invalid", "月は 2000-01〜2100-12 の形で指定してください。", "month")
    return date(year, month, 1), date(year, month, monthrange(year, month)[1])


async def _count(s: Any, query: Any) -> int:
    return int((await s.exec(query)).one())


async def build(call: Call) -> MonthlyReport:
    since, until = _month(call.query.month)
    start, end = day_range(since, until)
    today = tokyo(call.ctx.clock.now()).date()
    questions = call.ctx.faq_questions or {}
    mine = scope(call)  # the caller's facilities (None: every facility)
    async with call.ctx.db.read() as s:
        taps = await tap_stats.taps_per_day(s, since, min(until, max(today, since)))
        days = await stats.daily(s, since, min(until, max(today, since)), taps)
        runs = await delivery_stats.history(s, since=start, until=end, limit=1000)
        answered = (await s.exec(
            select(FaqAnswer.entry_id, sa.func.count(), sa.func.sum(sa.case((col(FaqAnswer.helpful).is_(True), 1), else_=0)),
                   sa.func.sum(sa.case((col(FaqAnswer.helpful).is_(False), 1), else_=0)))
            .where(col(FaqAnswer.at) >= start, col(FaqAnswer.at) < end, FaqAnswer.channel != "test")
            .group_by(FaqAnswer.entry_id).order_by(sa.func.count().desc(), FaqAnswer.entry_id))).all()
        unanswered = await _count(s, select(sa.func.count()).select_from(UnansweredQuestion)
                                  .where(col(UnansweredQuestion.at) >= start, col(UnansweredQuestion.at) < end))
        by_status = dict((await s.exec(select(Report.status, sa.func.count()).where(
            col(Report.created_at) >= start, col(Report.created_at) < end).group_by(Report.status))).all())
        made = await _count(s, limited(select(sa.func.count()).select_from(Reservation).where(
            col(Reservation.created_at) >= start, col(Reservation.created_at) < end), Reservation.facility_id, mine))
        used = await _count(s, limited(select(sa.func.count()).select_from(Reservation).where(
            col(Reservation.day) >= since, col(Reservation.day) <= until, col(Reservation.status).in_(HOLDING)),
            Reservation.facility_id, mine))
        cancelled = await _count(s, limited(select(sa.func.count()).select_from(Reservation).where(
            Reservation.status == CANCELLED, col(Reservation.cancelled_at) >= start, col(Reservation.cancelled_at) < end),
            Reservation.facility_id, mine))
        names = None if mine is None else list((await s.exec(limited(
            select(Facility.name).order_by(col(Facility.display_order), col(Facility.id)), Facility.id, mine))).all())
        surveys = (await s.exec(select(Form.title, sa.func.count()).join(FormResponse, col(FormResponse.form_id) == col(Form.id))
                                .where(col(FormResponse.submitted_at) >= start, col(FormResponse.submitted_at) < end)
                                .group_by(Form.title).order_by(sa.func.count().desc(), Form.title))).all()
    await delivery_stats.add_open_figures(runs, call.ctx.opens, today)
    known = [r.opened for r in runs if r.opened is not None]
    understood, fallbacks = sum(d.understood for d in days), sum(d.fallbacks for d in days)
    last = days[-1] if days else None
    return MonthlyReport(
        month=call.query.month, since=since, until=until, generated_at=call.ctx.clock.now(),
        friends_at_end=last.friends if last else 0, follows=sum(d.follows for d in days), blocks=sum(d.blocks for d in days),
        blocked_at_end=last.blocked if last else 0, active_users_peak=max((d.active_users for d in days), default=0),
        messages_in=sum(d.messages_in for d in days), messages_out=sum(d.messages_out for d in days),
        understood=understood, fallbacks=fallbacks,
        fallback_rate=round(fallbacks / (understood + fallbacks), 4) if understood + fallbacks else None,
        richmenu_taps=sum(d.richmenu_taps for d in days), deliveries=len(runs), delivered=sum(r.succeeded for r in runs),
        opened=sum(known) if known else None, clicks=sum(r.clicks for r in runs), unique_clicks=sum(r.unique_clicks for r in runs),
        faq_answers=sum(int(n) for _, n, _, _ in answered),
        faq_top=[FaqTop(entry_id=e, question=questions.get(e, e), count=int(n), helpful=int(y or 0), not_helpful=int(no or 0))
                 for e, n, y, no in answered[:10]],
        unanswered=unanswered, reports_received=sum(by_status.values()),
        reports_by_status=[Count(label=REPORT_LABELS[k], count=int(by_status[k])) for k in REPORT_LABELS if k in by_status],
        bookings_made=made, bookings_used=used, bookings_cancelled=cancelled, bookings_facilities=names,
        surveys=[Count(label=t, count=int(n)) for t, n in surveys])


@router.route("GET", "/stats/monthly", summary="月次報告（友だち・配信・チャットボット・FAQ・通報・予約・アンケート）",
              permission="stats.read", query=MonthQuery, response=MonthlyReport)
async def monthly_report(call: Call) -> MonthlyReport:
    return await build(call)


def booking_scope(names: list[str]) -> str:
    """What the booking figures of a limited member's report cover, in the words the console page uses."""
    return f"管理施設（{'・'.join(names)}）の予約のみ"


def csv_rows(r: MonthlyReport) -> list[list[Any]]:
    rate = "" if r.fallback_rate is None else f"{r.fallback_rate * 100:.1f}%"
    rows: list[list[Any]] = [
        ["友だち", "月末の友だち数", r.friends_at_end], ["友だち", "友だち追加", r.follows], ["友だち", "ブロック", r.blocks],
        ["友だち", "月末のブロック中", r.blocked_at_end],
        ["配信", "配信回数", r.deliveries], ["配信", "届いた通数", r.delivered],
        ["配信", "開封数", "" if r.opened is None else r.opened], ["配信", "クリック数", r.clicks], ["配信", "クリックした人", r.unique_clicks],
        ["チャットボット", "受けたメッセージ", r.messages_in], ["チャットボット", "送ったメッセージ", r.messages_out],
        ["チャットボット", "理解できた", r.understood], ["チャットボット", "答えられなかった", r.fallbacks],
        ["チャットボット", "答えられなかった割合", rate], ["チャットボット", "1日の利用者数（最大）", r.active_users_peak],
        ["チャットボット", "リッチメニューのタップ", r.richmenu_taps],
        ["FAQ", "FAQ で答えた回数", r.faq_answers], ["FAQ", "答えられなかった質問", r.unanswered],
        *[["FAQ よく聞かれた質問", f.question, f.count] for f in r.faq_top],
        ["通報", "受け付けた通報", r.reports_received], *[["通報（いまの状態）", c.label, c.count] for c in r.reports_by_status],
        *([] if r.bookings_facilities is None else [["施設予約", "集計の範囲", booking_scope(r.bookings_facilities)]]),
        ["施設予約", "受け付けた予約", r.bookings_made], ["施設予約", "利用日がこの月の予約", r.bookings_used],
        ["施設予約", "取り消された予約", r.bookings_cancelled],
        *[["アンケート（回答数）", c.label, c.count] for c in r.surveys],
    ]
    return rows


@router.route("GET", "/stats/monthly.csv", summary="月次報告（CSV）", permission="stats.read", query=MonthQuery,
              response=str, produces=CSV_CT)
async def monthly_report_csv(call: Call) -> Any:
    report = await build(call)
    return csv_response(f"monthly-report-{report.month}.csv", csv_bytes(["区分", "項目", f"{report.month}"], csv_rows(report)))


__all__ = ["router"]
