"""Groups and rooms through the webhook and linesim: the account serves one-to-one chats, so it says
so once and leaves (or, with GROUP_POLICY=silent, stays silent); group and private state never mix."""

from __future__ import annotations

from sqlmodel import select

from civic.citizens.models import Citizen
from tests.dialogues.conftest import Town, state_of, talk_of, texts


async def test_added_to_a_group_it_says_so_once_and_leaves(any_town: Town) -> None:
    town = any_town
    chat, sister = town.chat("山田花子"), town.chat("山田春子")
    await chat.tap("action=garbage", "ごみの出し方")  # a private conversation in progress
    private_state = await state_of(town, chat.user)
    group = town.sim.create_group([chat.user, sister.user], name="山田家")

    await town.sim.invite(group)
    await town.settle()
    [notice] = town.sim.messages(group)
    assert "1対1のトーク" in notice["text"] and "友だち追加" in notice["text"] and "退出" in notice["text"]
    assert not town.sim.in_chat(group)
    [leave] = town.sim.calls(f"/v2/bot/group/{group}/leave")
    assert leave.status == 200
    assert chat._new() == [] and sister._new() == []  # nothing in anyone's private chat
    assert await state_of(town, chat.user) == private_state

    await town.sim.send_group_text(group, chat.user, "ごみの出し方")  # the account is gone: no event
    await town.settle()
    assert len(town.sim.messages(group)) == 1
    out = await chat.say("ペットボトル")  # the private conversation goes on where it was
    assert "「ペットボトル」は【資源ごみ】です" in texts(out)


async def test_a_room_is_left_the_same_way(town: Town) -> None:
    a, b = town.chat("佐藤"), town.chat("鈴木")
    room = town.sim.create_group([a.user, b.user], kind="room")
    await town.sim.invite(room)
    await town.settle()
    assert len(town.sim.messages(room)) == 1 and not town.sim.in_chat(room)
    assert [c.status for c in town.sim.calls(f"/v2/bot/room/{room}/leave")] == [200]


async def test_silent_policy_never_answers_and_never_mixes_state(town: Town) -> None:
    town.settings["group_policy"] = "silent"
    await town.restart()
    chat = town.chat("山田花子")
    stranger = town.sim.create_user("友だちではない人")  # in the group, never talked to the account
    await chat.tap("action=garbage", "ごみの出し方")
    private_state = await state_of(town, chat.user)
    talk_before = len(await talk_of(town, chat.user))
    group = town.sim.create_group([chat.user, stranger])

    await town.sim.invite(group)
    await town.sim.send_group_text(group, chat.user, "ごみの出し方")
    await town.sim.send_group_text(group, stranger, "電話番号は090-1234-5678です")
    await town.settle()
    assert town.sim.messages(group) == [] and town.sim.in_chat(group)
    assert town.sim.calls("/v2/bot/group/") == []
    assert chat._new() == []
    assert await state_of(town, chat.user) == private_state
    assert len(await talk_of(town, chat.user)) == talk_before and await talk_of(town, stranger) == []
    async with town.db.read() as s:
        assert (await s.exec(select(Citizen).where(Citizen.channel_user_id == stranger))).first() is None

    out = await chat.say("ペットボトル")
    assert "「ペットボトル」は【資源ごみ】です" in texts(out)


async def test_a_leave_that_failed_is_done_on_the_next_group_event(town: Town) -> None:
    chat = town.chat()
    group = town.sim.create_group([chat.user])
    town.sim.fail_next(f"/v2/bot/group/{group}/leave", 403)
    await town.sim.invite(group)
    await town.settle()
    assert town.sim.in_chat(group) and len(town.sim.messages(group)) == 1

    await town.sim.send_group_text(group, chat.user, "まだいるの？")
    await town.settle()
    assert not town.sim.in_chat(group)
    assert len(town.sim.messages(group)) == 1  # said once; the second time it only leaves
