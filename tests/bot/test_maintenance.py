"""The maintenance notice (国富町 §5(イ), §8(4)(ア)): shown in advance at ``/api/maintenance``, and during
the window the bot answers a citizen's message kindly with it — through the webhook, on both backends."""

from __future__ import annotations

from datetime import timedelta

from bot.appkeys import DATABASE
from civic.maintenance.services import Notice, schedule

MESSAGE = "予約の受付を一時停止しています。"


async def test_the_notice_is_announced_then_answers_during_the_window(start_service, database_url) -> None:
    service = await start_service(database_url)
    clock, sim = service.clock, service.sim
    now = clock.now()
    async with service.app[DATABASE].write() as s:
        await schedule(s, Notice(now + timedelta(hours=1), now + timedelta(hours=3), MESSAGE), by="kanri", now=now)

    r = await _get(service, "/api/maintenance")
    assert r["notice"]["message"] == MESSAGE and r["notice"]["active"] is False
    assert r["notice"]["starts_at"].endswith("+09:00")
    user = sim.create_user("山田花子")
    await sim.send_text(user, "こんにちは")  # before the window: the bot as always
    [before] = await sim.wait_for_messages(user, 1)
    assert "LINE 窓口" in before["text"]

    clock.advance(timedelta(hours=2))  # inside the window
    assert (await _get(service, "/api/maintenance"))["notice"]["active"] is True
    await sim.send_text(user, "ごみの出し方")
    [during] = await sim.wait_for_messages(user, 1)
    assert "メンテナンス中" in during["text"] and MESSAGE in during["text"] and "もう一度" in during["text"]

    clock.advance(timedelta(hours=2))  # over: no banner, the bot answers again
    assert (await _get(service, "/api/maintenance")) == {"notice": None}
    await sim.send_text(user, "こんにちは")
    [after] = await sim.wait_for_messages(user, 1)
    assert "LINE 窓口" in after["text"]


async def _get(service, path: str) -> dict:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.get(str(service.server.make_url(path))) as r:
        assert r.status == 200 and r.headers["Cache-Control"] == "no-store"
        return await r.json()
