"""月次報告 API (issue #16): one month's counts, JSON and CSV, on SQLite and PostgreSQL; a staff member
limited to some facilities (国富町 表3 no.2 管理施設) gets the bookings of those facilities only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from admin_api import monthly_report_views
from admin_api.app import create_admin_app
from admin_api.auth import Principal
from admin_api.context import AdminContext
from civic.booking.services import BookingService
from civic.booking.types import Cancelled, Reserved
from civic.clock import FrozenClock
from civic.faq.models import FaqAnswer, UnansweredQuestion
from civic.reports.services import Staff as ReportStaff
from civic.reports.services import change_status, submit_report
from tests.booking.town import build_town, citizen

NOW = datetime(2026, 7, 20, 3, 0, tzinfo=UTC)
HEADERS = {"Authorization": "Bearer stats"}


class Tokens:
    def __init__(self, facilities: frozenset[int] | None = None) -> None:
        self.facilities = facilities  # the limited member's 管理施設

    async def authenticate(self, token: str, *, remote: str | None) -> Principal | None:
        if token == "limited":
            return Principal(6, "tennis", "テニス 担当", frozenset({"stats.read"}), facilities=self.facilities)
        return Principal(5, "tokei", "企画課 統計", frozenset({"stats.read"})) if token == "stats" else None


async def test_a_month_of_counts_as_json_and_csv(aiohttp_client, db) -> None:
    context = AdminContext(db, FrozenClock(NOW), faq_questions={"juminhyo": "住民票の写しはどこで取れますか"})
    client = await aiohttp_client(create_admin_app(Tokens(), [monthly_report_views.router], context=context))
    async with db.write() as s:
        for i, when in enumerate([NOW - timedelta(days=3), NOW - timedelta(days=1), NOW - timedelta(days=40)]):
            r = await submit_report(s, category="road_surface", description="穴", latitude=35.0, longitude=135.0,
                                    address="本町", reporter=f"U{i}", photo_id=None, now=when)
            if i == 1:
                await change_status(s, r.id or 0, "done", staff=ReportStaff(1, "職員"), now=NOW)
        for helpful in (True, False, None):
            s.add(FaqAnswer(entry_id="juminhyo", question="住民票は？", channel="production", helpful=helpful, at=NOW))
        s.add(FaqAnswer(entry_id="gomi", question="ごみ", channel="production", at=NOW))
        s.add(FaqAnswer(entry_id="gomi", question="ごみ", channel="test", at=NOW))  # the test account: not counted
        s.add(UnansweredQuestion(question="犬の登録は？", channel="line", at=NOW))
    r = await client.get("/stats/monthly", params={"month": "2026-07"}, headers=HEADERS)
    body = await r.json()
    assert r.status == 200, body
    assert (body["since"], body["until"]) == ("2026-07-01", "2026-07-31")
    assert body["reports_received"] == 2
    assert {c["label"]: c["count"] for c in body["reports_by_status"]} == {"受付": 1, "完了": 1}
    assert body["faq_answers"] == 4 and body["unanswered"] == 1
    top = body["faq_top"][0]
    assert (top["question"], top["count"], top["helpful"], top["not_helpful"]) == ("住民票の写しはどこで取れますか", 3, 1, 1)
    assert body["faq_top"][1]["question"] == "gomi"  # an entry the service does not know: its id
    assert body["bookings_made"] == 0 and body["surveys"] == [] and body["deliveries"] == 0
    r = await client.get("/stats/monthly.csv", params={"month": "2026-07"}, headers=HEADERS)
    text = (await r.read()).decode("utf-8")
    assert r.status == 200 and text.startswith("\ufeff区分,項目,2026-07")
    assert "通報,受け付けた通報,2" in text and "FAQ よく聞かれた質問,住民票の写しはどこで取れますか,3" in text
    r = await client.get("/stats/monthly", params={"month": "2026-13"}, headers=HEADERS)
    assert r.status == 422 and (await r.json())["error"]["field"] == "month"
    assert (await client.get("/stats/monthly", params={"month": "2026-07"})).status == 401


async def test_a_member_limited_to_some_facilities_counts_only_their_bookings(aiohttp_client, db) -> None:
    town = await build_town(db)
    tennis = town.facilities["tennis"]
    tokens = Tokens(frozenset({tennis}))
    client = await aiohttp_client(create_admin_app(tokens, [monthly_report_views.router], context=AdminContext(db, town.clock)))
    service = BookingService(db, town.clock)
    numbers = []
    for i, (unit, time) in enumerate([("gym.half-a", "9:00-12:00"), ("gym.half-b", "13:00-17:00"),
                                      ("gym.whole", "18:00-21:00"), ("tennis.c1", "10:00-11:00")]):
        made = await service.reserve(town.request(unit, time=time, people=2), citizen(f"U{i}"))
        assert isinstance(made, Reserved), made
        numbers.append(made.number)
    assert isinstance(await service.cancel(citizen("U2"), numbers[2]), Cancelled)  # the whole court
    month = {"month": town.clock.now().strftime("%Y-%m")}  # the month the bookings were made
    everything = await (await client.get("/stats/monthly", params=month, headers=HEADERS)).json()
    mine = await (await client.get("/stats/monthly", params=month, headers={"Authorization": "Bearer limited"})).json()
    assert (everything["bookings_made"], everything["bookings_cancelled"], everything["bookings_facilities"]) == (4, 1, None)
    assert (mine["bookings_made"], mine["bookings_cancelled"], mine["bookings_facilities"]) == (1, 0, ["テストテニスコート"])
    used = {"month": "2026-12"}  # the month of the days booked
    assert (await (await client.get("/stats/monthly", params=used, headers=HEADERS)).json())["bookings_used"] == 3
    assert (await (await client.get("/stats/monthly", params=used, headers={"Authorization": "Bearer limited"})).json())[
        "bookings_used"] == 1
    r = await client.get("/stats/monthly.csv", params=month, headers={"Authorization": "Bearer limited"})
    text = (await r.read()).decode("utf-8")
    assert "施設予約,集計の範囲,管理施設（テストテニスコート）の予約のみ" in text and "施設予約,受け付けた予約,1" in text
    r = await client.get("/stats/monthly.csv", params=month, headers=HEADERS)
    text = (await r.read()).decode("utf-8")
    assert "集計の範囲" not in text and "施設予約,受け付けた予約,4" in text
    tokens.facilities = frozenset({tennis, town.facilities["gym"]})
    mine = await (await client.get("/stats/monthly", params=month, headers={"Authorization": "Bearer limited"})).json()
    assert mine["bookings_made"] == 4 and mine["bookings_facilities"] == ["テスト体育館", "テストテニスコート"]
