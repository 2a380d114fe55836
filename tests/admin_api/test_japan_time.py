"""Times in the staff API are Japan time: ISO 8601 with +09:00 (the database keeps UTC); a date-time
given without an offset is Japan time too."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from civic.clock import FrozenClock
from civic.database import Database
from tests.attributes.support import NOW
from tests.deliveries.test_views import _client as delivery_client
from tests.deliveries.test_views import auth
from tests.reports.test_report_views import NOW as REPORTS_NOW
from tests.reports.test_report_views import VIEWER, _seed
from tests.reports.test_report_views import _client as report_client


async def test_the_delivery_list_shows_japan_time(aiohttp_client: Any, db: Database) -> None:
    client = await delivery_client(aiohttp_client, db, FrozenClock(NOW))  # NOW: 10:00 in Tokyo
    api = "/admin/api/v1"
    r = await client.post(f"{api}/deliveries", headers=auth("delivery"), json={
        "title": "年末のごみ収集", "messages": [{"type": "text", "text": "年末年始の収集日です"}],
        "timing": "at", "send_at": "2026-12-01T00:00:00Z"})
    assert r.status == 201
    assert (await r.json())["send_at"] == "2026-12-01T09:00:00+09:00"
    [item] = await (await client.get(f"{api}/deliveries", headers=auth("viewer"))).json()
    assert item["send_at"] == "2026-12-01T09:00:00+09:00"
    assert item["created_at"] == item["updated_at"] == "2026-11-21T10:00:00+09:00"


async def test_report_times_out_and_naive_times_in_are_japan_time(aiohttp_client: Any, db: Database) -> None:
    client = await report_client(aiohttp_client, db)
    await _seed(db)  # four reports, an hour apart from 10:00 in Tokyo
    page = await (await client.get("/reports", headers=VIEWER)).json()
    assert [i["created_at"] for i in page["items"]] == [
        "2025-06-09T13:00:00+09:00", "2025-06-09T12:00:00+09:00", "2025-06-09T11:00:00+09:00",
        "2025-06-09T10:00:00+09:00"]
    r = await client.get("/reports", params={"since": "2025-06-09T11:30:00"}, headers=VIEWER)  # no offset: Tokyo
    assert r.status == 200 and (await r.json())["total"] == 2
    same = (REPORTS_NOW + timedelta(minutes=90)).isoformat()  # 01:00Z + 90 min = 11:30 in Tokyo
    assert (await (await client.get("/reports", params={"since": same}, headers=VIEWER)).json())["total"] == 2
    r = await client.get("/reports/geojson", headers=VIEWER)
    features = (await r.json())["features"]
    assert features[0]["properties"]["created_at"] == "2025-06-09T10:00:00+09:00"
