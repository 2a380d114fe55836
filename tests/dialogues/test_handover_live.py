"""有人チャット (issue #17), the staff's side beyond the contract, on SQLite and PostgreSQL: the live
view (server-sent events with a short-lived signed ticket, fed from the database so that the turn
worker's and other instances' writes arrive too), transfers, reply templates, the citizen's
attributes as the role may see them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp import web
from sqlmodel import col, select

from admin_api import handover_stream, handover_views
from admin_api.app import PREFIX, create_admin_app
from admin_api.context import AdminContext
from admin_api.staff_auth import StaffAuthenticator
from civic.attributes import services as attributes
from civic.attributes.kinds import Choice
from civic.attributes.models import DATE, SINGLE
from civic.clock import FrozenClock
from civic.crypto import parse_key
from civic.database import Database
from civic.handover import services as handovers
from civic.handover.feed import Change, HandoverFeed
from civic.staff.models import OperationLog, StaffSession
from civic.staff.passwords import Passwords
from civic.staff.sessions import StaffSessions
from dialogues.services import Knowledge
from linesim.testing import LineSim
from tests.bot.helpers import KEY_HEX
from tests.dialogues.conftest import START, Chat
from tests.dialogues.test_handover_api import API, StaffTown

WAIT = 10.0
KEY = parse_key(KEY_HEX)  # the data key of the town's settings (tests.bot.helpers)


@pytest.fixture
async def town(line_sim: LineSim, knowledge: Knowledge, database_url: str, aiohttp_client: Any) -> AsyncIterator[StaffTown]:
    t = StaffTown(line_sim, knowledge, database_url, FrozenClock(START), aiohttp_client)
    await t.start()
    yield t


async def _open(town: StaffTown, chat: Chat) -> int:
    await chat.say("職員と話したい")
    return int((await town.api("GET", "?status=open"))[1][0]["id"])


async def _event(stream: aiohttp.ClientResponse) -> tuple[str, dict[str, Any]]:
    """The next event of a server-sent event stream (comments and ``retry:`` skipped)."""
    kind, data = "", ""
    while True:
        line = (await asyncio.wait_for(stream.content.readline(), WAIT)).decode().rstrip("\n")
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and kind:
            return kind, json.loads(data or "{}")


async def _until(stream: aiohttp.ClientResponse, kind: str) -> dict[str, Any]:
    for _ in range(50):
        got, data = await _event(stream)
        if got == kind:
            return data
    raise AssertionError(f"no {kind} event")


async def test_a_citizen_message_arrives_live_through_a_ticketed_stream(town: StaffTown) -> None:
    chat = town.chat()
    hid = await _open(town, chat)
    status, ticket = await town.api("POST", "/stream-ticket")
    assert status == 201 and ticket["url"] == f"{API}/events?ticket={ticket['ticket']}"
    assert town.tokens["hanako"] not in ticket["url"]  # the long-lived token is never in a URL
    async with town.client.get(ticket["url"]) as stream:
        assert stream.status == 200 and stream.content_type == "text/event-stream"
        ready = await _until(stream, "ready")
        await chat.say("住民票の写しがほしいです")
        message = await _until(stream, "message")
        assert message["handover"] == hid and message["last"] > ready["seen"]
        assert "住民票" not in json.dumps(message)  # ids only: the text is read through the API
        _, fresh = await town.api("GET", f"/{hid}/messages?after={ready['seen']}")
        assert [m["text"] for m in fresh] == ["住民票の写しがほしいです"]

        other = town.chat("別の市民")
        await other.say("人に聞きたい")
        await _until(stream, "inbox")  # a new conversation in the inbox
    async with town.db.read() as s:
        logged = (await s.exec(select(OperationLog.action).where(OperationLog.action == "handover.stream"))).all()
    assert logged == ["handover.stream"]


async def test_a_stream_needs_a_genuine_ticket_in_time_of_a_valid_session(town: StaffTown) -> None:
    assert (await town.client.post(f"{API}/stream-ticket")).status == 401  # no token
    assert (await town.api("POST", "/stream-ticket", "miru"))[0] == 403  # may not answer hand-overs
    _, ticket = await town.api("POST", "/stream-ticket")
    forged = ticket["ticket"].replace(ticket["ticket"].split(".")[0] + ".", "99.", 1)
    for bad in (forged, ticket["ticket"][:-2] + "xx", "1.2.3.abcdefgh", "not-a-ticket-at-all"):
        r = await town.client.get(f"{API}/events", params={"ticket": bad})
        assert r.status == 401, bad
    staff_id, session_id, _, _ = ticket["ticket"].split(".")
    old = handover_stream.issue(handover_stream.stream_key(KEY), int(staff_id), int(session_id), 1_000)
    assert (await town.client.get(f"{API}/events", params={"ticket": old})).status == 401  # expired
    async with town.db.write() as s:  # signed out
        await s.exec(sa.update(StaffSession).where(col(StaffSession.id) == int(session_id))
                     .values(revoked_at=town.clock.now()))
    assert (await town.client.get(ticket["url"])).status == 401  # the session ended


async def test_the_feed_sees_writes_of_another_instance(town: StaffTown) -> None:
    """Another process or instance writes through its own engine; the feed learns of it from the
    database (on PostgreSQL by NOTIFY at once: the feed's own tick here is a minute)."""
    chat = town.chat()
    hid = await _open(town, chat)
    postgres = not town.db.is_sqlite
    feed = HandoverFeed(town.db, tick=60.0 if postgres else 0.05)
    other = Database(town.db.url, town.db.cipher)
    try:
        async with feed.subscribe() as changes:
            for _ in range(100):  # the listening connection is up before the write (PostgreSQL)
                if feed.listening or not postgres:
                    break
                await asyncio.sleep(0.02)
            passes = feed.passes
            async with other.write() as s:
                row = await handovers.load(s, hid)
                written = await handovers.record_citizen(s, row, kind="text", text="別の窓口から", now=town.clock.now())
            got = [await asyncio.wait_for(changes.get(), WAIT) for _ in range(2)]
            assert got == [Change("message", hid, written.id or 0), Change("inbox")]
            assert feed.passes <= passes + 2  # woken, not polled
    finally:
        await feed.close()
        await other.dispose()


async def test_transfer_to_a_colleague_or_a_department(town: StaffTown) -> None:
    chat = town.chat()
    hid = await _open(town, chat)
    status, colleagues = await town.api("GET", "/colleagues")
    assert status == 200 and [c["name"] for c in colleagues] == ["hanako さん", "taro さん"]  # not the viewer
    taro = next(c["id"] for c in colleagues if c["name"] == "taro さん")
    miru = 3
    await town.api("POST", f"/{hid}/assign", "hanako")
    assert (await town.api("POST", f"/{hid}/transfer", "hanako", json={"staff_id": miru}))[0] == 422
    assert (await town.api("POST", f"/{hid}/transfer", "hanako", json={}))[0] == 422
    status, moved = await town.api("POST", f"/{hid}/transfer", "hanako", json={"staff_id": taro})
    assert status == 200 and moved["assignee"] == "taro さん"
    assert (await town.api("POST", f"/{hid}/transfer", "hanako", json={"department": "税務課"}))[0] == 409  # taro's now
    status, moved = await town.api("POST", f"/{hid}/transfer", "taro", json={"department": "税務課"})
    assert status == 200 and moved == {"id": hid, "assignee": None, "assignee_id": None, "department": "税務課"}
    _, detail = await town.api("GET", f"/{hid}")
    assert detail["department"] == "税務課" and detail["assignee"] is None
    notes = [m["text"] for m in detail["messages"] if m["author"] == "note"]
    assert len(notes) == 2 and "taro" in notes[0] and "税務課" in notes[1]  # who passed it where, for colleagues
    assert chat._new() == []  # the citizen is told nothing of internal moves


async def test_reply_templates(town: StaffTown) -> None:
    base = f"{API.removesuffix('/handovers')}/handover-templates"

    async def call(method: str, path: str = "", **kw: Any) -> tuple[int, Any]:
        r = await town.client.request(method, base + path, headers=town.auth("hanako"), **kw)
        return r.status, (await r.json() if r.content_type == "application/json" else None)

    status, made = await call("POST", json={"title": "受付", "text": "お問い合わせありがとうございます。担当からお答えします。"})
    assert status == 201
    status, _ = await call("PUT", f"/{made['id']}", json={"title": "受付", "text": "お問い合わせありがとうございます。"})
    assert status == 200
    assert [t["text"] for t in (await call("GET"))[1]] == ["お問い合わせありがとうございます。"]
    assert (await call("POST", json={"title": "", "text": "x"}))[0] == 422
    assert (await call("DELETE", f"/{made['id']}"))[0] == 204
    assert (await call("DELETE", f"/{made['id']}"))[0] == 404
    assert (await call("GET"))[1] == []


async def test_the_conversation_shows_the_citizen_s_attributes_as_the_role_may_see_them(town: StaffTown) -> None:
    chat = town.chat("属性 花子")
    hid = await _open(town, chat)
    async with town.db.write() as s:
        now = town.clock.now()
        await attributes.create_definition(s, now, key="area", label="地区", kind=SINGLE,
                                           choices=[Choice("kita", "北地区"), Choice("minami", "南地区")])
        await attributes.create_definition(s, now, key="birthday", label="生年月日", kind=DATE)
        citizen = await attributes.citizen_by_user(s, chat.user)
        assert citizen is not None and citizen.id is not None
        await attributes.set_values(s, now, citizen.id, {"area": "kita", "birthday": "1980-04-01"})
    _, detail = await town.api("GET", f"/{hid}")  # a counter role: no personal.view
    assert [(a["label"], a["text"]) for a in detail["attributes"]] == [("地区", "北地区"), ("生年月日", "＊＊＊")]
    assert detail["display_name"] != "属性 花子"


async def test_a_location_the_citizen_sends_reaches_staff(town: StaffTown) -> None:
    chat = town.chat()
    hid = await _open(town, chat)
    assert await chat.send_location(35.68123, 139.76712, "みどり町役場前") == []  # to staff, not the bot
    _, messages = await town.api("GET", f"/{hid}/messages")
    assert [(m["kind"], m["text"]) for m in messages] == [("location", "みどり町役場前 (35.68123, 139.76712)")]


async def test_a_ticket_from_one_instance_opens_a_stream_on_another_that_sees_the_first_s_writes(
        town: StaffTown, aiohttp_client: Any) -> None:
    """Two instances of the service on one database (the staff API of a second, its own engine):
    the ticket is signed with the key every instance derives from the data key, and the citizen's
    message recorded by the first instance's turn reaches the second's live view."""
    chat = town.chat()
    hid = await _open(town, chat)
    other = Database(town.db.url, town.db.cipher)
    sessions = StaffSessions(other, town.clock, Passwords.for_tests())
    context = AdminContext(other, town.clock, sessions=sessions, stream_key=handover_stream.stream_key(KEY))
    second = web.Application()
    second.add_subapp(PREFIX, create_admin_app(StaffAuthenticator(sessions), [handover_views.router], context=context))
    client = await aiohttp_client(second)
    try:
        _, ticket = await town.api("POST", "/stream-ticket")  # from the first instance
        async with client.get(ticket["url"]) as stream:
            assert stream.status == 200
            await _until(stream, "ready")
            await chat.say("二つ目の窓口にも届きますか")  # recorded by the first instance's turn
            assert (await _until(stream, "message"))["handover"] == hid
    finally:
        await client.close()
        await other.dispose()
