"""``GET /deliveries/calendar``: the month's scheduled and recurring sending days, computed by the
same rules the scheduler uses (holidays skipped), reminders listed apart; cancelled ones left out."""

from __future__ import annotations

from typing import Any

from civic.clock import FrozenClock
from civic.database import Database
from tests.attributes.support import NOW, install_demo
from tests.deliveries.test_views import _client, auth

API = "/admin/api/v1"
TEXT = [{"type": "text", "text": "お知らせです。"}]


async def _create(client: Any, **body: Any) -> dict[str, Any]:
    r = await client.post(f"{API}/deliveries", headers=auth("delivery"), json={"title": "t", "messages": TEXT, **body})
    assert r.status == 201, await r.text()
    return await r.json()


async def test_calendar_shows_recurring_days_and_scheduled_sends(aiohttp_client: Any, db: Database) -> None:
    await install_demo(db)
    client = await _client(aiohttp_client, db, FrozenClock(NOW))
    weekly = await _create(client, title="燃やすごみ", timing="recurring", rule={
        "kind": "weekly", "weekdays": [0, 3], "time": "19:00", "start": "2026-12-01", "end": "2026-12-20",
        "skip_holidays": False})
    monthly = await _create(client, title="子育て通信", timing="recurring", rule={
        "kind": "monthly_day", "days": [-1], "time": "09:00", "start": "2026-11-01", "skip_holidays": True})
    at = await _create(client, title="防災訓練", timing="at", send_at="2026-12-05T10:30:00+09:00")
    cancelled = await _create(client, title="中止", timing="at", send_at="2026-12-06T10:30:00+09:00")
    assert (await client.post(f"{API}/deliveries/{cancelled['id']}/cancel", headers=auth("delivery"))).status == 200
    reminder = await _create(client, title="健診", timing="reminder", rule={
        "attribute": "children_birth_dates", "offset": 90, "unit": "days", "time": "10:00", "start": "2026-12-01"})

    r = await client.get(f"{API}/deliveries/calendar", params={"month": "2026-12"}, headers=auth("viewer"))
    assert r.status == 200, await r.text()
    body = await r.json()
    got = [(e["date"], e["time"], e["delivery_id"]) for e in body["entries"]]
    mondays_thursdays = ["2026-12-03", "2026-12-07", "2026-12-10", "2026-12-14", "2026-12-17"]
    assert got == sorted([(d, "19:00", weekly["id"]) for d in mondays_thursdays]
                         + [("2026-12-05", "10:30", at["id"]), ("2026-12-31", "09:00", monthly["id"])])
    assert {e["timing_label"] for e in body["entries"]} == {"繰り返し", "予約"}
    assert [d["id"] for d in body["reminders"]] == [reminder["id"]]

    # the month-end rule started in November: its 30 November is in November's calendar
    r = await client.get(f"{API}/deliveries/calendar", params={"month": "2026-11"}, headers=auth("viewer"))
    assert [(e["date"], e["title"]) for e in (await r.json())["entries"]] == [("2026-11-30", "子育て通信")]

    r = await client.get(f"{API}/deliveries/calendar", params={"month": "2026-13"}, headers=auth("viewer"))
    assert r.status == 422 and (await r.json())["error"]["field"] == "month"
