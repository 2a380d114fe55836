"""Events from groups and rooms, of every kind LINE sends there, are acknowledged and closed, and
never reach the turn handler or a citizen's state, records or talk log — on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bot.appkeys import DATABASE, DISPATCHER
from bot.inbox.models import DONE
from tests.bot.helpers import body_of, sign, text_event
from tests.bot.test_webhook import _client, _inbox

GROUP = "C" + "a" * 32
ROOM = "R" + "b" * 32


def _from(chat: tuple[str, str], event: dict[str, Any], user: str | None = "U1") -> dict[str, Any]:
    source: dict[str, Any] = {"type": chat[0], f"{chat[0]}Id": chat[1]}
    if user:
        source["userId"] = user
    return {**event, "source": source}


def _event(kind: str, **fields: Any) -> dict[str, Any]:
    event = text_event("U1", "x")
    event.pop("message")
    return {**event, "type": kind, **fields}


async def test_group_and_room_events_never_reach_the_dialogues(aiohttp_client, database_url) -> None:
    client, handler = await _client(aiohttp_client, database_url, group_policy="silent")
    group, room = ("group", GROUP), ("room", ROOM)
    events = [
        _from(group, _event("join"), user=None),
        _from(group, text_event("U1", "ごみの出し方")),
        _from(group, _event("memberJoined", joined={"members": [{"type": "user", "userId": "U2"}]}), user=None),
        _from(group, _event("unsend", unsend={"messageId": "325708"})),
        _from(group, _event("postback", postback={"data": "action=garbage"})),
        _from(group, _event("memberLeft", left={"members": [{"type": "user", "userId": "U2"}]}), user=None),
        _from(group, _event("leave"), user=None),
        _from(room, text_event("U1", "電話番号は090-1234-5678です")),
    ]
    body = body_of(*events)
    assert (await client.post("/callback", data=body, headers={"X-Line-Signature": sign(body)})).status == 200
    await client.app[DISPATCHER].wait_idle()
    assert [r.status for r in await _inbox(client)] == [DONE] * len(events)
    assert handler.seen == []
    async with client.app[DATABASE].read() as s:
        conn = await s.connection()
        for table in ("citizen", "conversation_state", "talk_entry", "outbound_message"):
            assert (await conn.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one() == 0, table

    body = body_of(text_event("U1", "こんにちは"))  # the same person one-to-one: a conversation as always
    await client.post("/callback", data=body, headers={"X-Line-Signature": sign(body)})
    await client.app[DISPATCHER].wait_idle()
    assert handler.seen == ["こんにちは"]
