"""有人チャット (issue #17) end to end: the citizen in linesim through the webhook, staff through the
admin API contract (``/admin/api/v1/handovers…``), on SQLite and PostgreSQL; two staff racing to take
one conversation (exactly one wins); permissions and the operation log."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlmodel import col, select

from admin_api import handover_views
from admin_api.app import PREFIX, create_admin_app
from admin_api.context import AdminContext
from admin_api.handover_stream import stream_key
from admin_api.staff_auth import StaffAuthenticator
from bot.appkeys import DATABASE, NOTIFIER
from bot.service import create_app, dialogue_handler
from bot.settings import LineAccount
from civic.clock import FrozenClock
from civic.staff import services as accounts
from civic.staff.audit import Auditor
from civic.staff.models import OperationLog
from civic.staff.passwords import Passwords
from civic.staff.sessions import StaffSessions
from dialogues.services import Knowledge
from linesim.testing import TEST_SECRET, TEST_TOKEN, LineSim
from tests.bot.helpers import make_settings
from tests.dialogues.conftest import START, Town, photo, texts

PASSWORD = "staff-pass-2026"
API = f"{PREFIX}/handovers"


@dataclass
class StaffTown(Town):
    """The town with the hand-over staff API mounted as the service mounts it, and staff signed in."""

    tokens: dict[str, str] = field(default_factory=dict)

    async def start(self) -> None:
        account = LineAccount("production", TEST_SECRET, TEST_TOKEN, self.sim.url, self.sim.url)
        settings = make_settings(self.database_url, line=account, public_base_url=self.public_base_url)
        app = create_app(settings, clock=self.clock, handler_factory=dialogue_handler(self.knowledge))
        db = app[DATABASE]
        sessions = StaffSessions(db, self.clock, Passwords.for_tests())
        context = AdminContext(db, self.clock, auditor=Auditor(db, self.clock), sessions=sessions,
                               handover_notices=app[NOTIFIER], stream_key=stream_key(settings.data_key))
        app.add_subapp(PREFIX, create_admin_app(StaffAuthenticator(sessions), [handover_views.router],
                                                context=context))
        self.client = await self.aiohttp_client(app)
        self.sim.set_webhook_url(str(self.client.make_url("/callback")))
        if self.tokens:
            return  # restarted: the staff and their sessions are in the database
        for login, role in (("hanako", "counter"), ("taro", "counter"), ("miru", "viewer")):
            await accounts.create_staff(db, self.clock, login, PASSWORD, f"{login} さん", role,
                                        passwords=sessions.passwords)
            self.tokens[login] = (await sessions.login(login, PASSWORD)).token

    def auth(self, login: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[login]}"}

    async def api(self, method: str, path: str, login: str = "hanako", **kwargs: Any) -> tuple[int, Any]:
        r = await self.client.request(method, f"{API}{path}", headers=self.auth(login), **kwargs)
        body = await r.json() if r.content_type == "application/json" else None
        await self.settle()
        return r.status, body


@pytest.fixture
async def staff_town(line_sim: LineSim, knowledge: Knowledge, database_url: str,
                     aiohttp_client: Any) -> AsyncIterator[StaffTown]:
    t = StaffTown(line_sim, knowledge, database_url, FrozenClock(START), aiohttp_client)
    await t.start()
    yield t


async def test_ask_staff_answer_citizen_talks_staff_close_bot_again(staff_town: StaffTown) -> None:
    town = staff_town
    chat = town.chat()
    await chat.say("燃えるごみの日はいつですか")  # the bot's answer: history staff see
    assert "職員におつなぎします" in texts(await chat.say("オペレーターをお願いします"))

    status, listed = await town.api("GET", "?status=open")
    assert status == 200 and len(listed) == 1
    item = listed[0]
    assert {"id", "citizen", "status", "assignee", "waiting_since"} <= set(item)
    assert item["status"] == "open" and item["assignee"] is None and item["citizen"] != chat.user  # a pseudonym
    hid = item["id"]
    assert (await town.api("GET", "?status=closed"))[1] == []

    status, detail = await town.api("POST", f"/{hid}/assign")
    assert status == 200 and detail["assignee"] == "hanako さん"
    assert [h["text"] for h in detail["history"] if h["direction"] == "in"][0] == "燃えるごみの日はいつですか"

    status, sent = await town.api("POST", f"/{hid}/messages", json={"text": "ご用件をお聞かせください。"})
    assert status == 201 and sent["author"] == "staff"
    out = chat._new()
    assert [m["text"] for m in out] == ["【職員より】\nご用件をお聞かせください。"]

    assert await chat.say("粗大ごみの出し方を教えてください") == []  # to staff, not the bot
    assert await chat.send_photo(photo(exif_gps=True)) == []
    status, new = await town.api("GET", f"/{hid}/messages?after={sent['id']}")
    assert status == 200 and [(m["author"], m["text"], m["has_image"]) for m in new] == [
        ("citizen", "粗大ごみの出し方を教えてください", False), ("citizen", "[画像]", True)]
    r = await town.client.get(f"{API}/{hid}/messages/{new[1]['id']}/image", headers=town.auth("hanako"))
    assert r.status == 200 and r.content_type == "image/jpeg"
    assert b"PhoneMaker" not in await r.read()  # EXIF (and the position in it) removed
    assert (await town.client.get(f"{API}/{hid}/messages/{new[0]['id']}/image", headers=town.auth("hanako"))).status == 404

    status, note = await town.api("POST", f"/{hid}/messages", json={"text": "粗大ごみの件", "note": True})
    assert status == 201 and note["author"] == "note" and chat._new() == []  # a note is never sent

    status, closed = await town.api("POST", f"/{hid}/close")
    assert status == 200 and closed["status"] == "closed"
    out = chat._new()
    assert "終了しました" in texts(out) and [i["action"]["label"] for i in out[-1]["quickReply"]["items"]] == ["満足", "不満"]
    assert "ご評価ありがとうございます" in texts(await chat.tap_quick_reply("不満"))
    assert (await town.api("GET", f"/{hid}"))[1]["rating"] == "bad"
    assert (await town.api("POST", f"/{hid}/close"))[0] == 409

    out = await chat.say("燃えるごみの日はいつですか")
    assert out and "【職員より】" not in texts(out)  # the bot answers again

    async with town.db.read() as s:
        actions = (await s.exec(select(OperationLog.action).where(OperationLog.target_type == "handover")
                                .order_by(col(OperationLog.id)))).all()
    assert actions == ["handover.assign", "handover.reply", "handover.note", "handover.close"]


async def test_two_staff_racing_to_take_one_conversation_one_wins(staff_town: StaffTown) -> None:
    town = staff_town
    chat = town.chat()
    await chat.say("職員と話したい")
    [item] = (await town.api("GET", "?status=open"))[1]
    results = await asyncio.gather(town.api("POST", f"/{item['id']}/assign", "hanako"),
                                   town.api("POST", f"/{item['id']}/assign", "taro"))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 409]
    winner = next(body for status, body in results if status == 200)["assignee"]
    loser = next(body for status, body in results if status == 409)
    assert winner in {"hanako さん", "taro さん"} and winner in loser["error"]["message"]
    other = "taro" if winner == "hanako さん" else "hanako"
    status, _ = await town.api("POST", f"/{item['id']}/messages", other, json={"text": "横から失礼します"})
    assert status == 409 and chat._new() == []  # the loser cannot answer unknowingly


async def test_a_role_without_the_permission_cannot_answer(staff_town: StaffTown) -> None:
    town = staff_town
    chat = town.chat()
    await chat.say("職員と話したい")
    assert (await town.api("GET", "?status=open", "miru"))[0] == 403
    [item] = (await town.api("GET", "?status=open"))[1]
    status, _ = await town.api("POST", f"/{item['id']}/messages", "miru", json={"text": "こんにちは"})
    assert status == 403 and chat._new() == []


async def test_a_crash_mid_hand_over_loses_no_message_and_sends_none_twice(staff_town: StaffTown) -> None:
    town = staff_town
    chat = town.chat()
    await chat.say("職員と話したい")
    [item] = (await town.api("GET", "?status=open"))[1]
    town.sim.line_down("error", status=503)
    status, _ = await town.api("POST", f"/{item['id']}/messages", json={"text": "お待たせしました。"})
    assert status == 201 and chat._new() == []  # committed; LINE cannot take it yet
    await town.restart()  # the service goes down after the commit and comes back
    town.sim.line_up()
    town.advance(minutes=10)  # past the push's retry backoff
    for _ in range(300):
        if len(town.sim.messages(chat.user)) > chat.seen:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.5)  # anything sent twice would have arrived by now
    assert [m["text"] for m in chat._new()] == ["【職員より】\nお待たせしました。"]

    assert await chat.say("ありがとうございます。もう一つ質問です") == []  # still with staff after the restart
    _, messages = await town.api("GET", f"/{item['id']}/messages")
    assert [(m["author"], m["text"]) for m in messages] == [
        ("staff", "お待たせしました。"), ("citizen", "ありがとうございます。もう一つ質問です")]


async def test_figures_per_day_waiting_time_satisfaction_and_who(staff_town: StaffTown) -> None:
    town = staff_town
    for n, minutes in enumerate((2, 4, 30)):
        chat = town.chat(f"市民{n}")
        await chat.say("職員と話したい")
        hid = (await town.api("GET", "?status=open"))[1][0]["id"]
        town.advance(minutes=minutes)
        await town.api("POST", f"/{hid}/messages", "hanako" if n < 2 else "taro", json={"text": "お待たせしました。"})
        await town.api("POST", f"/{hid}/close", "hanako" if n < 2 else "taro")
        await chat.tap(f"handover=rate&id={hid}&v={'good' if n else 'bad'}", "満足")
    day = town.clock.now().date().isoformat()
    status, [figures] = await town.api("GET", f"/figures?since={day}&until={day}")
    assert status == 200 and figures["handovers"] == 3 and figures["answered"] == 3
    assert figures["first_reply_p50"] == 240 and figures["first_reply_p90"] == 1800
    assert figures["satisfied"] == 2 and figures["dissatisfied"] == 1
    assert figures["handled_by"] == {"hanako さん": 2, "taro さん": 1}
    assert (await town.api("GET", f"/figures?since={day}&until=2020-01-01"))[0] == 422
    status, total = await town.api("GET", f"/figures/total?since={day}&until={day}")  # the dashboard's
    assert status == 200 and {k: total[k] for k in ("handovers", "first_reply_p50", "first_reply_p90")} == {
        "handovers": 3, "first_reply_p50": 240, "first_reply_p90": 1800}
    assert (await town.api("GET", f"/figures/total?since={day}&until=2020-01-01"))[0] == 422
