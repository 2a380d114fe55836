"""月次報告 API (issue #16): one month's counts, JSON and CSV, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from admin_api import monthly_report_views
from admin_api.app import create_admin_app
from admin_api.auth import Principal
from admin_api.context import AdminContext
from civic.clock import FrozenClock
from civic.faq.models import FaqAnswer, UnansweredQuestion
from civic.reports.services import Staff as ReportStaff
from civic.reports.services import change_status, submit_report

NOW = datetime(2026, 7, 20, 3, 0, tzinfo=UTC)
HEADERS = {"Authorization": "Bearer stats"}


class Tokens:
    async def authenticate(self, token: str, *, remote: str | None) -> Principal | None:
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
