"""Statistics for managers: daily figures, chatbot use, unanswered questions, rich-menu taps, charts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from admin_api.downloads import csv_response, image_response
from admin_api.errors import ApiError
from admin_api.routing import CSV_CT, PNG_CT, ApiRouter, Call
from civic.clock import Clock, tokyo
from civic.stats import services as stats
from civic.stats.charts import Series, chart
from civic.stats.csvfile import csv_bytes
from civic.stats.days import day_range
from civic.stats.labels import usage_label
from richmenus import taps as tap_stats
from richmenus.errors import RichMenuError
from richmenus.insight import line_followers, line_richmenu_clicks

STATS_READ = "stats.read"
MAX_DAYS = 366


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: date | None = Field(default=None, description="集計の開始日（省略時は30日前）")
    until: date | None = Field(default=None, description="集計の終了日（この日を含む。省略時は今日）")

    @model_validator(mode="after")
    def _range(self) -> Period:
        if self.since and self.until:
            if self.since > self.until:
                raise ValueError("開始日（since）は終了日（until）以前の日付にしてください。")
            if (self.until - self.since).days >= MAX_DAYS:
                raise ValueError(f"集計できる期間は{MAX_DAYS}日までです。期間を短くしてください。")
        return self

    def resolve(self, clock: Clock) -> tuple[date, date]:
        today = tokyo(clock.now()).date()
        until = self.until or (min(today, self.since + timedelta(days=MAX_DAYS - 1)) if self.since else today)
        since = self.since or until - timedelta(days=29)
        if since > until:
            raise ApiError(422, "invalid", f"開始日（since）が今日（{today}）より後です。", "since")
        return since, until


class UsageQuery(Period):
    by: Literal["intent", "flow"] = Field(default="intent", description="意図（intent）別かフロー（flow）別か")


class UnansweredQuery(Period):
    limit: int = Field(default=50, ge=1, le=500)


class DailyOut(BaseModel):
    day: date
    friends: int
    follows: int
    blocks: int
    blocked: int
    active_users: int
    messages_in: int
    messages_out: int
    understood: int
    fallbacks: int
    fallback_rate: float | None
    richmenu_taps: int


class LineDayQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: date | None = Field(default=None, description="日付（省略時は昨日。LINE の統計は前日分まで）")


class LineFollowersOut(BaseModel):
    available: bool = Field(description="LINE から数字を取得できたか。false のときは message に理由")
    message: str | None = None
    day: date
    status: str | None = Field(default=None, description="ready: 集計済み / unready: 未集計 / out_of_service: 対象外の日")
    followers: int | None = Field(default=None, description="友だち追加された累計（ブロックしても減りません）")
    targeted_reaches: int | None = None
    blocks: int | None = None


class LineClicksOut(BaseModel):
    menu_id: int
    menu_name: str
    area_index: int | None
    label: str | None
    clicks: int
    unique_users: int


class LineClicksPage(BaseModel):
    available: bool = Field(description="LINE から数字を取得できたか。false のときは message に理由")
    message: str | None = None
    items: list[LineClicksOut]


class UsageOut(BaseModel):
    day: date
    name: str
    label: str = Field(description="意図・フローの日本語名（町が足したものは名前のまま）")
    count: int


class UnansweredOut(BaseModel):
    text: str
    count: int
    users: int
    last_at: datetime


class TapOut(BaseModel):
    menu_id: int | None
    area_index: int | None
    label: str | None
    data: str
    taps: int
    users: int


DAILY_HEADERS = ["日付", "友だち数", "新規友だち", "ブロック", "ブロック中", "利用者数（発言あり）", "受信メッセージ",
                 "送信メッセージ", "理解できた質問", "わからなかった質問", "わからなかった割合(%)", "リッチメニュータップ"]
CHARTS = {
    "friends": "友だち数の推移",
    "follows-blocks": "新規友だち・ブロック",
    "messages": "メッセージ数",
    "active-users": "利用者数（発言あり）",
    "fallback-rate": "わからなかった質問の割合",
    "richmenu-taps": "リッチメニューのタップ数",
}


#: The LINE figures when the service has no LINE insight client.
NO_LINE = "このサービスでは LINE の集計を利用できません。"


def _stamp(clock: Clock) -> str:
    return f"{tokyo(clock.now()):%Y%m%d}"


router = ApiRouter("stats", description="統計（友だち・ブロック・利用状況・リッチメニュー）")


async def _daily(call: Call) -> list[stats.DailyFigures]:
    period: Period = call.query
    since, until = period.resolve(call.ctx.clock)
    async with call.ctx.db.read() as s:
        taps = await tap_stats.taps_per_day(s, since, until)
        return await stats.daily(s, since, until, taps)


@router.route("GET", "/stats/daily", summary="日別の統計", permission=STATS_READ, query=Period,
              response=list[DailyOut])
async def daily_stats(call: Call) -> list[DailyOut]:
    return [DailyOut(**f.as_dict()) for f in await _daily(call)]


@router.route("GET", "/stats/daily.csv", summary="日別の統計（CSV）", permission=STATS_READ, query=Period,
              response=str, produces=CSV_CT)
async def daily_stats_csv(call: Call):
    rows = [[f.day.isoformat(), f.friends, f.follows, f.blocks, f.blocked, f.active_users, f.messages_in,
             f.messages_out, f.understood, f.fallbacks,
             "" if f.fallback_rate is None else f"{f.fallback_rate * 100:.1f}", f.richmenu_taps]
            for f in await _daily(call)]
    return csv_response(f"daily-stats-{_stamp(call.ctx.clock)}.csv", csv_bytes(DAILY_HEADERS, rows))


async def _usage(call: Call, q: UsageQuery) -> list[UsageOut]:
    since, until = q.resolve(call.ctx.clock)
    async with call.ctx.db.read() as s:
        rows = await stats.usage_by(s, q.by, since, until)
    return [UsageOut(day=d, name=n, label=usage_label(n), count=c) for d, n, c in rows]


@router.route("GET", "/stats/usage", summary="チャットボットの利用（意図・フロー別、日別）", permission=STATS_READ,
              query=UsageQuery, response=list[UsageOut])
async def chatbot_usage(call: Call) -> list[UsageOut]:
    return await _usage(call, call.query)


@router.route("GET", "/stats/usage.csv", summary="チャットボットの利用（CSV）", permission=STATS_READ,
              query=UsageQuery, response=str, produces=CSV_CT)
async def chatbot_usage_csv(call: Call):
    label = "意図" if call.query.by == "intent" else "フロー"
    rows = [[u.day.isoformat(), u.name, u.label, u.count] for u in await _usage(call, call.query)]
    return csv_response(f"chatbot-usage-{_stamp(call.ctx.clock)}.csv", csv_bytes(["日付", label, "内容", "件数"], rows))


async def _unanswered(call: Call) -> list[UnansweredOut]:
    since, until = call.query.resolve(call.ctx.clock)
    async with call.ctx.db.read() as s:
        found = await stats.unanswered(s, since, until, limit=call.query.limit)
    return [UnansweredOut(text=call.redact(u.text) or "", count=u.count, users=u.users, last_at=u.last_at)
            for u in found]


@router.route("GET", "/stats/unanswered", personal="unanswered_questions", summary="答えられなかった質問", permission=STATS_READ,
              query=UnansweredQuery, response=list[UnansweredOut],
              description="個人情報の閲覧権限（personal.view）がない場合、氏名・電話番号などは伏せ字になります。")
async def unanswered_questions(call: Call) -> list[UnansweredOut]:
    return await _unanswered(call)


@router.route("GET", "/stats/unanswered.csv", personal="unanswered_questions", summary="答えられなかった質問（CSV）", permission=STATS_READ,
              query=UnansweredQuery, response=str, produces=CSV_CT)
async def unanswered_questions_csv(call: Call):
    rows = [[u.text, u.count, u.users, f"{tokyo(u.last_at):%Y-%m-%d %H:%M}"] for u in await _unanswered(call)]
    return csv_response(f"unanswered-{_stamp(call.ctx.clock)}.csv", csv_bytes(["質問", "回数", "人数", "最後に聞かれた日時"], rows))


async def _taps(call: Call, period: Period) -> list[TapOut]:
    since, until = period.resolve(call.ctx.clock)
    start, end = day_range(since, until)
    async with call.ctx.db.read() as s:
        return [TapOut(**vars(t)) for t in await tap_stats.tap_counts(s, start, end)]


@router.route("GET", "/stats/richmenu-taps", summary="リッチメニューの領域別タップ数", permission=STATS_READ,
              query=Period, response=list[TapOut])
async def richmenu_taps(call: Call) -> list[TapOut]:
    return await _taps(call, call.query)


@router.route("GET", "/stats/richmenu-taps.csv", summary="リッチメニューの領域別タップ数（CSV）",
              permission=STATS_READ, query=Period, response=str, produces=CSV_CT)
async def richmenu_taps_csv(call: Call):
    rows = [[t.menu_id, "" if t.area_index is None else t.area_index + 1, t.label, t.data, t.taps, t.users]
            for t in await _taps(call, call.query)]
    return csv_response(f"richmenu-taps-{_stamp(call.ctx.clock)}.csv",
                        csv_bytes(["メニューID", "領域番号", "領域名", "データ", "タップ数", "人数"], rows))


@router.route("GET", "/stats/charts/{metric:friends|follows-blocks|messages|active-users|fallback-rate|richmenu-taps}.png",
              summary="統計グラフ（PNG）", permission=STATS_READ, query=Period, response=bytes, produces=PNG_CT,
              description="月次報告に貼り付けられるグラフ画像。metric: " + "、".join(f"{k}（{v}）" for k, v in CHARTS.items()))
async def stats_chart(call: Call):
    metric = call.request.match_info["metric"]
    figures = await _daily(call)
    days = [f.day for f in figures]
    series, bars, percent = {
        "friends": ([Series("友だち数", [f.friends for f in figures])], False, False),
        "follows-blocks": ([Series("新規友だち", [f.follows for f in figures]),
                            Series("ブロック", [f.blocks for f in figures])], True, False),
        "messages": ([Series("受信", [f.messages_in for f in figures]),
                      Series("送信", [f.messages_out for f in figures])], False, False),
        "active-users": ([Series("利用者数", [f.active_users for f in figures])], True, False),
        "fallback-rate": ([Series("わからなかった割合", [f.fallback_rate for f in figures])], False, True),
        "richmenu-taps": ([Series("タップ数", [f.richmenu_taps for f in figures])], True, False),
    }[metric]
    subtitle = f"{days[0]:%Y年%m月%d日}〜{days[-1]:%Y年%m月%d日}"
    png = chart(CHARTS[metric], days, series, bars=bars, percent=percent, subtitle=subtitle)
    return image_response(png, filename=f"{metric}-{_stamp(call.ctx.clock)}.png")


@router.route("GET", "/stats/line/followers", summary="LINE が数えた友だち・ブロック数（公開用アカウント）",
              permission=STATS_READ, query=LineDayQuery, response=LineFollowersOut)
async def line_follower_stats(call: Call) -> LineFollowersOut:
    day = call.query.day or tokyo(call.ctx.clock.now()).date() - timedelta(days=1)
    if call.ctx.line_apis is None:
        return LineFollowersOut(available=False, message=NO_LINE, day=day)
    try:
        return LineFollowersOut(available=True, **vars(await line_followers(call.ctx.line_apis, "production", day)))
    except RichMenuError as exc:  # LINE down, figures not ready, or no insight on this platform
        return LineFollowersOut(available=False, message=exc.message, day=day)


@router.route("GET", "/stats/line/richmenu-clicks", summary="LINE が数えたリッチメニューの領域別クリック数",
              permission=STATS_READ, query=Period, response=LineClicksPage)
async def line_richmenu_click_stats(call: Call) -> LineClicksPage:
    since, until = call.query.resolve(call.ctx.clock)
    if call.ctx.line_apis is None:
        return LineClicksPage(available=False, message=NO_LINE, items=[])
    try:
        clicks = await line_richmenu_clicks(call.ctx.line_apis, call.ctx.db, "production", since, until)
    except RichMenuError as exc:
        return LineClicksPage(available=False, message=exc.message, items=[])
    return LineClicksPage(available=True, items=[LineClicksOut(**vars(c)) for c in clicks])
