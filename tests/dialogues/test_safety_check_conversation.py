"""安否確認 (issue #22) through the webhook and linesim: the question's quick replies answer in one
tap (inside another flow too); 支援が必要 / 避難中 then ask where and what to add (skippable); a
later tap replaces the answer; a closed check answers politely; staff's tallies count by district."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from civic.attributes.catalogue import install_town
from civic.attributes.services import citizen_by_user, set_values
from civic.disaster import safety
from civic.disaster.content import read_shelters_file, seed_shelters
from civic.disaster.models import EVACUATING, NEED_HELP, OPEN, SAFE, SafetyAnswer, Shelter
from dialogues.safety_check import question_messages
from tests.dialogues.conftest import INSIDE, REPO, START, Chat, Town, quick_labels, state_of, texts


async def _check(town: Town) -> int:
    async with town.db.write() as s:
        row = await safety.create_check(s, town.clock.now(), title="大雨による避難指示", by="bousai",
                                        question="みどり町に避難指示が出ています。皆さんの状況を教えてください。")
    assert row.id is not None
    return row.id


async def _send(town: Town, chat: Chat, check_id: int) -> list[dict[str, Any]]:
    """The question reaches the citizen (as the 安否確認's urgent delivery would bring it)."""
    async with town.db.read() as s:
        check = await safety.get_check(s, check_id)
    town.sim.channel.deliver([chat.user], question_messages(check), "multicast", "req-safety")
    return chat._new()


async def _answer(town: Town, chat: Chat, check_id: int) -> SafetyAnswer | None:
    async with town.db.read() as s:
        citizen = await citizen_by_user(s, chat.user)
        assert citizen is not None and citizen.id is not None
        return await safety.answer_of(s, check_id, citizen.id)


async def test_one_tap_answers_then_where_and_a_note(any_town: Town) -> None:
    town = any_town
    async with town.db.write() as s:
        await install_town(s, START, REPO / "content" / "midori")
        await seed_shelters(s, read_shelters_file(REPO / "content" / "midori" / "shelters.yml"), START)
        for sh in (await s.exec(select(Shelter))).all()[:2]:
            sh.state = OPEN
            s.add(sh)
    check_id = await _check(town)
    safe, helpless, away = town.chat("無事な人"), town.chat("助けがいる人"), town.chat("避難した人")
    for chat in (safe, helpless, away):
        await chat.say("こんにちは")
    async with town.db.write() as s:
        helpless_citizen = await citizen_by_user(s, helpless.user)
        assert helpless_citizen is not None and helpless_citizen.id is not None
        await set_values(s, START, helpless_citizen.id, {"area": "honmachi"})

    question = await _send(town, safe, check_id)
    assert quick_labels(question) == ["無事", "支援が必要", "避難中"]
    reply = await safe.tap_quick_reply("無事")
    assert "「無事」と記録しました" in texts(reply)
    assert (await _answer(town, safe, check_id)).status == SAFE  # type: ignore[union-attr]

    # 支援が必要 in the middle of another flow: recorded at once, then where (a location) and a note
    await helpless.tap("action=report")
    await _send(town, helpless, check_id)
    reply = await helpless.tap_quick_reply("支援が必要")
    assert "「支援が必要」と記録しました" in texts(reply) and "119" in texts(reply)
    assert quick_labels(reply)[:2] == ["位置情報を送る", "自宅にいます"]
    assert (await _answer(town, helpless, check_id)).status == NEED_HELP  # type: ignore[union-attr]
    reply = await helpless.send_location(*INSIDE, address="みどり町本町1-2")
    assert "場所を記録しました" in texts(reply)
    reply = await helpless.say("足をけがして歩けません。高齢の母と2人です。")
    assert "災害対策本部に届いています" in texts(reply) and "先ほどの「" in texts(reply)  # the report resumes
    answer = await _answer(town, helpless, check_id)
    assert answer is not None and answer.place == "みどり町本町1-2" and answer.location is not None
    assert answer.note == "足をけがして歩けません。高齢の母と2人です。"
    assert (await state_of(town, helpless.user))["flow"]["name"] == "report"

    # 避難中: open shelters offered by name; the note skipped
    await _send(town, away, check_id)
    reply = await away.tap_quick_reply("避難中")
    shelters = quick_labels(reply)
    assert len(shelters) == 4 and shelters[-2:] == ["位置情報を送る", "答えない"]
    await away.tap_quick_reply(shelters[0])
    await away.tap_quick_reply("特になし")
    answer = await _answer(town, away, check_id)
    assert answer is not None and (answer.status, answer.place, answer.note) == (EVACUATING, shelters[0], None)

    # 避難中, then 無事 before saying where: no more questions, the answer is 無事
    changed = town.chat("考えを変えた人")
    await changed.say("こんにちは")
    await _send(town, changed, check_id)
    await changed.tap_quick_reply("避難中")
    reply = await changed.tap(f"safety=answer&c={check_id}&s=safe", "無事")
    assert "「無事」と記録しました" in texts(reply)
    assert (await state_of(town, changed.user)).get("flow") is None
    assert (await _answer(town, changed, check_id)).status == SAFE  # type: ignore[union-attr]

    # a later tap replaces the answer (the latest counts)
    await _send(town, away, check_id)
    await away.tap_quick_reply("無事")
    assert (await _answer(town, away, check_id)).status == SAFE  # type: ignore[union-attr]

    async with town.db.read() as s:
        counted = await safety.tallies(s, check_id)
        total, rows = await safety.answers(s, check_id, status=NEED_HELP)
    assert counted.total == 4 and counted.by_status == {SAFE: 3, NEED_HELP: 1, EVACUATING: 0}
    assert counted.districts == {"本町": {SAFE: 0, NEED_HELP: 1, EVACUATING: 0},
                                 "（地区未登録）": {SAFE: 3, NEED_HELP: 0, EVACUATING: 0}}
    assert total == 1 and rows[0].district == "本町" and rows[0].channel_user_id == helpless.user

    # closed: the button answers politely, nothing recorded
    async with town.db.write() as s:
        await safety.close_check(s, town.clock.now(), check_id)
    await _send(town, safe, check_id)
    reply = await safe.tap_quick_reply("支援が必要")
    assert "受付を終了" in texts(reply)
    assert (await _answer(town, safe, check_id)).status == SAFE  # type: ignore[union-attr]
