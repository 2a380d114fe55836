"""The dialogue features mounted on the service app: map, web chat, Open311, admin routers, seeding."""

from __future__ import annotations

from datetime import timedelta

from admin_api.app import PREFIX
from bot.appkeys import CLOCK, DATABASE, DIALOGUE_HANDLER, SETTINGS
from bot.dialogue_wiring import purge_report_drafts, seed_dialogues
from bot.service import build_service
from civic.clock import FrozenClock
from civic.reports.photos import sanitize
from civic.reports.services import store_draft_photo
from civic.staff.services import create_staff
from dialogues.handler import DialogueHandler
from tests.bot.helpers import make_settings
from tests.dialogues.conftest import START, photo


async def test_everything_mounted_on_the_service(aiohttp_client, knowledge, sqlite_db) -> None:
    clock = FrozenClock(START)
    app = build_service(make_settings(sqlite_db.url, open311_api_keys=("k",)), clock=clock, knowledge=knowledge,
                        install_content=False)
    client = await aiohttp_client(app)
    assert isinstance(app[DIALOGUE_HANDLER], DialogueHandler)
    db, settings = app[DATABASE], app[SETTINGS]
    assert await seed_dialogues(db, clock, settings, knowledge) == ["moving"]
    assert await seed_dialogues(db, clock, settings, knowledge) == []
    r = await client.get("/liff/map/")
    assert r.status == 200 and "static/vendor/leaflet/leaflet.js" in (await r.text())
    r = await client.post("/liff/webchat/api/messages", json={"text": "引っ越し"})
    assert "引っ越しの手続きをご案内します" in str(await r.json())
    services = await (await client.get("/open311/v2/services.json")).json()
    assert [s["service_code"] for s in services][:2] == ["road_surface", "street_light"]
    await create_staff(db, app[CLOCK], "henshu", "correct horse battery", "編集 花子", "editor")
    r = await client.post(f"{PREFIX}/auth/login", json={"login": "henshu", "password": "correct horse battery"})
    token = (await r.json())["token"]
    r = await client.get(f"{PREFIX}/reports/categories", headers={"Authorization": f"Bearer {token}"})
    assert r.status == 200 and len(await r.json()) == 6
    async with db.write() as s:
        await store_draft_photo(s, "U1", sanitize(photo()), START - timedelta(days=2))
    assert await purge_report_drafts(db, clock) == 1


async def test_text_is_parsed_before_the_transaction(knowledge, sqlite_db) -> None:
    from bot.turn import Turn
    from dialogues.services import Services

    handler = DialogueHandler(Services(knowledge, clock=FrozenClock(START)))
    event = {"type": "message", "message": {"type": "text", "text": "ペットボトルの捨て方"}}
    prepared = await handler.prepare(event)
    assert prepared["nlu"]["intent"]["name"] == "garbage_lookup"
    assert await handler.prepare({"type": "postback", "postback": {"data": "action=faq"}}) is None
    # the turn uses what was prepared (here a parse that says "thanks"), not a second parse
    fake = {"text": "ぴよぴよ", "intent": {"name": "thanks", "confidence": 0.99}, "intent_ranking": [], "entities": []}
    async with sqlite_db.write() as s:
        turn = Turn("web", "web:" + "0" * 32, {"type": "message", "message": {"type": "text", "text": "ぴよぴよ"}},
                    START, s, {})
        turn.prepared = {"nlu": fake}
        await handler.handle(turn)
    assert "どういたしまして" in turn.replies[0]["text"] and turn.intent == "thanks"
