"""Statistics per sending: counts, failure reasons, clicks, LINE's open figures and its privacy floor."""

from __future__ import annotations

from datetime import date, timedelta

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.gateway import LineGateway, RetryPolicy
from bot.insight import LineOpenStatistics
from bot.settings import LineAccount
from civic.clock import FrozenClock
from civic.database import Database
from civic.deliveries import links, stats
from civic.deliveries.services import DeliveryDesk
from civic.deliveries.stats import NoOpenStatistics, OpenFigures
from tests.attributes.support import NOW
from tests.deliveries.conftest import Line
from tests.deliveries.test_sending import create, dispatcher


class FixedOpens:
    def __init__(self, opened: int | None) -> None:
        self.opened = opened
        self.asked: tuple | None = None

    async def unit(self, channel: str, unit: str, since: date, until: date) -> OpenFigures:
        self.asked = (channel, unit, since, until)
        return OpenFigures(self.opened, None)


async def test_history_counts_reasons_clicks_and_opens(db: Database, line: Line) -> None:
    clock = FrozenClock(NOW)
    await line.citizens(db, 130)
    await line.citizens(db, 2, test=True)
    big = await create(db, clock, title="大きな配信",
                       messages=[{"type": "text", "text": "詳細 https://example.jp/a"},
                                 {"type": "image", "originalContentUrl": "https://example.jp/i.png",
                                  "previewImageUrl": "https://example.jp/p.png"}])
    async with db.write() as s:
        await DeliveryDesk().send_test(s, clock.now(), big)
    line.sim.fail_next("/v2/bot/message/multicast", 400)
    await dispatcher(db, clock, line, concurrency=1).tick()
    clock.advance(timedelta(hours=1))
    await create(db, clock, title="小さな配信", target="test")
    await dispatcher(db, clock, line).tick()
    async with db.read() as s:
        rows = await stats.history(s)
        with_tests = await stats.history(s, include_tests=True)
    assert [r.title for r in rows] == ["大きな配信"]  # test sends are not the town's figures
    assert sorted(r.timing for r in with_tests) == ["即時", "即時", "即時（テスト）"]
    f = rows[0]
    assert (f.targeted, f.sent, f.succeeded, f.failed) == (130, 130, 30, 100)
    assert f.message_kinds == "テキスト+画像" and f.target == "全員" and (f.date, f.time) == ("2026-11-21", "10:00")
    assert len(f.failure_reasons) == 1 and f.failure_reasons[0][1] == 100 and f.failure_reasons[0][0].startswith("400")
    # A click on the tracked link counts for this run.
    sent_text = line.sim.messages(line.sim.channel.followers()[-1].user_id)[0]["text"]
    token = sent_text.split("/r/")[1].split()[0]
    await links.follow(db, NOW, token, remote="192.0.2.1", agent="x")
    async with db.read() as s:
        (f,) = await stats.history(s)
    assert (f.clicks, f.unique_clicks, f.click_rate) == (1, 1, round(1 / 30, 4))
    # Opens: LINE's figure when it gives one; otherwise said plainly, never 0 %.
    opens = FixedOpens(12)
    await stats.add_open_figures([f], opens, date(2026, 11, 25))
    assert f.opened == 12 and f.open_rate == 0.4 and opens.asked[0] == "production"
    assert opens.asked[2:] == (date(2026, 11, 21), date(2026, 11, 25))
    await stats.add_open_figures([f], FixedOpens(None), date(2026, 11, 25))
    assert f.opened is None and f.open_rate is None and "20人未満" in f.open_note
    await stats.add_open_figures([f], NoOpenStatistics(), date(2026, 11, 25))
    assert "取得できません" in f.open_note
    async with db.read() as s:
        small = [r for r in await stats.history(s, include_tests=True) if r.title == "小さな配信"][0]
        await stats.add_open_figures([small], FixedOpens(1), date(2026, 11, 25))
        assert small.opened is None and "20人未満" in small.open_note  # 2 recipients: below LINE's floor
        totals = await stats.totals(s)
    assert (totals.runs, totals.targeted, totals.succeeded, totals.failed, totals.clicks) == (1, 130, 30, 100, 1)
    row = stats.csv_row(f)
    assert row[2] == "大きな配信" and row[-1] == "3.3%" and "400" in row[13]


async def test_line_unit_statistics_through_the_gateway() -> None:
    seen = {}

    async def unit(request: web.Request) -> web.Response:
        seen.update(request.query)
        if request.query["customAggregationUnit"] == "missing":
            return web.json_response({"message": "Not found"}, status=404)
        return web.json_response({"overview": {"uniqueImpression": 840, "uniqueClick": None,
                                               "uniqueMediaPlayed": None, "uniqueMediaPlayed100Percent": None},
                                  "messages": [], "clicks": []})

    app = web.Application()
    app.router.add_get("/v2/bot/insight/message/event/aggregation", unit)
    server = TestServer(app)
    await server.start_server()
    url = str(server.make_url("")).rstrip("/")
    gateway = LineGateway({"production": LineAccount("production", "s", "t", url, url)},
                          retry=RetryPolicy(attempts=1))
    try:
        source = LineOpenStatistics(lambda: gateway)
        got = await source.unit("production", "d1r1", date(2026, 11, 21), date(2026, 11, 30))
        assert got == OpenFigures(840, None) and seen["from"] == "20261121" and seen["to"] == "20261130"
        missing = await source.unit("production", "missing", date(2026, 11, 21), date(2026, 11, 30))
        assert missing.opened is None and "集計" in missing.note
    finally:
        await gateway.close()
        await server.close()
