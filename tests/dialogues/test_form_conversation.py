"""Registration forms answered in the chat, driven as whole conversations through the webhook and linesim."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlmodel import select

from civic.attributes import forms, services
from civic.attributes.catalogue import install_town
from civic.attributes.models import FormResponse
from conversation.state import ConversationState
from tests.dialogues.conftest import REPO, START, Chat, Town, quick_labels, texts, uri_buttons


async def _install(town: Town) -> None:
    async with town.db.write() as s:
        await install_town(s, START, REPO / "content" / "midori")


async def _values(town: Town, user: str) -> dict[str, list[Any]]:
    async with town.db.read() as s:
        citizen = await services.citizen_by_user(s, user)
        assert citizen is not None
        return await services.citizen_values(s, citizen.id)  # type: ignore[arg-type]


async def _responses(town: Town) -> list[FormResponse]:
    async with town.db.read() as s:
        return list((await s.exec(select(FormResponse).order_by(FormResponse.id))).all())


async def _state(town: Town, user: str) -> dict:
    async with town.db.read() as s:
        row = await s.get(ConversationState, user)
        return json.loads(row.data) if row else {}


async def _follow(town: Town, chat: Chat) -> list[dict[str, Any]]:
    await town.sim.unfollow(chat.user)
    await town.settle()
    chat._new()
    await town.sim.follow(chat.user)
    return await chat._after()


async def test_follow_offer_then_the_whole_questionnaire(any_town: Town) -> None:
    town = any_town
    await _install(town)
    chat = town.chat("山田花子")
    out = await _follow(town, chat)
    assert "友だち追加ありがとうございます" in texts(out)
    assert "「はじめてのアンケート」（全5問）にお答えください" in texts(out)
    assert quick_labels(out) == ["回答する", "あとで"]

    out = await chat.tap_quick_reply("回答する")
    assert "全5問" in texts(out) and "http://" not in texts(out)  # the page is a button, not a bare address
    assert uri_buttons(out) == {"画面でまとめて入力する": "http://madoguchi.test/liff/forms/?form=first_questionnaire"}
    assert "(1/5) 年代" in texts(out)
    assert quick_labels(out)[:8] == ["10代以下", "20代", "30代", "40代", "50代", "60代", "70代", "80代以上"]
    assert "スキップ" not in quick_labels(out)  # required

    out = await chat.tap_quick_reply("30代")
    assert "(2/5) お住まいの地区を教えてください" in texts(out)
    # 22 choices: a numbered list, ten at a time, answered by number or name
    assert "1. 本町" in texts(out) and "10. 桜台" in texts(out) and "11. " not in texts(out)
    assert "全22件のうち1〜10件目です。" in texts(out)
    assert quick_labels(out) == ["もっと見る", "戻る", "やめる"]
    out = await chat.tap_quick_reply("もっと見る")
    assert "11. 緑ヶ丘" in texts(out) and "20. 北原" in texts(out) and "10. " not in texts(out)
    out = await chat.tap_quick_reply("もっと見る")
    assert "21. 町外（県内）" in texts(out) and "22. 町外（県外）" in texts(out)
    assert quick_labels(out) == ["戻る", "やめる"]  # the last page
    out = await chat.say("3")  # numbers count from the first page
    assert "(3/5) 関心のある分野" in texts(out)
    assert "10. ごみ・リサイクル" in texts(out) and "全38件のうち1〜10件目です。" in texts(out)
    assert "38. 子ども食堂・居場所" not in texts(out)
    out = await chat.say("1、7")
    assert "(4/5) 受け取りたい防災情報" in texts(out)
    assert "決定" in quick_labels(out) and "避難情報" in quick_labels(out)
    out = await chat.tap_quick_reply("スキップ")
    assert "(5/5) お子さんがいらっしゃる方は生年月日" in texts(out)
    assert "令和6年5月1日" in texts(out)
    assert "flow" in await _state(town, chat.user)
    assert await _values(town, chat.user) == {}  # nothing saved before the last answer

    out = await chat.say("令和5年4月1日、2020/12/24")
    summary = texts(out)
    assert "「はじめてのアンケート」のご回答を保存しました" in summary
    assert "・年代：30代" in summary and "・居住地区：上町" in summary and "・関心分野：子育て、防災" in summary
    assert "子どもの生年月日：2020-12-24、2023-04-01" in summary or "子どもの生年月日：2023-04-01、2020-12-24" in summary
    assert "あなたに合ったお知らせをお届けします" in summary
    assert "ごみの出し方" in quick_labels(out)  # back at the main menu

    values = await _values(town, chat.user)
    assert values["age_group"] == ["30s"] and values["area"] == ["kamimachi"]
    assert values["interests"] == ["int01", "int07"]
    assert sorted(values["children_birth_dates"]) == [date(2020, 12, 24), date(2023, 4, 1)]
    assert "disaster_info" not in values
    [response] = await _responses(town)
    assert response.via == "chat"
    assert "flow" not in await _state(town, chat.user)

    out = await _follow(town, chat)  # answered: not offered again
    assert "はじめてのアンケート" not in texts(out)


async def test_later_is_remembered_and_the_intent_brings_it_back(any_town: Town) -> None:
    town = any_town
    await _install(town)
    chat = town.chat()
    await _follow(town, chat)
    out = await chat.tap_quick_reply("あとで")
    assert "承知しました" in texts(out) and "受け取る情報を変えたい" in texts(out)
    assert await _state(town, chat.user) and "flow" not in await _state(town, chat.user)

    out = await _follow(town, chat)
    assert "友だち追加ありがとうございます" in texts(out)
    assert "はじめてのアンケート" not in texts(out)  # not repeated on every follow

    out = await chat.say("受け取る情報を変えたい")
    assert "「はじめてのアンケート」にお答えください" in texts(out) and "(1/5) 年代" in texts(out)
    await chat.tap_quick_reply("70代")
    await chat.say("本町")
    await chat.tap_quick_reply("スキップ")
    await chat.tap_quick_reply("スキップ")
    out = await chat.tap_quick_reply("スキップ")
    assert "ご回答を保存しました" in texts(out)
    assert await _values(town, chat.user) == {"age_group": ["70s"], "area": ["honmachi"]}

    out = await chat.say("防災情報だけ欲しい")  # now the settings form
    assert "「受信設定」にお答えください" in texts(out) and "(1/7) 居住地区" in texts(out)
    assert "今の登録：本町" in texts(out)


async def test_an_impossible_date_is_refused_kindly(town: Town) -> None:
    await _install(town)
    chat = town.chat()
    out = await chat.tap("action=form&key=kosodate")
    assert "「子育て情報の登録」" in texts(out) and "(1/5) 子どもの生年月日" in texts(out)
    out = await chat.say("令和6年2月30日")
    assert "申し訳ありません" in texts(out) and "日付" in texts(out)
    assert "(1/5) 子どもの生年月日" in texts(out)  # asked again
    out = await chat.say("2024年2月29日")
    assert "(2/5)" in texts(out)
    assert await _values(town, chat.user) == {}


async def test_multiple_choice_by_repeated_taps_and_decide(any_town: Town) -> None:
    town = any_town
    await _install(town)
    chat = town.chat()
    out = await chat.tap("action=form&key=first_questionnaire")
    await chat.tap_quick_reply("20代")
    await chat.say("若葉")
    await chat.say("スキップ")
    out = await chat.tap_quick_reply("地震情報")
    assert "「地震情報」を選びました" in texts(out) and "選択中：地震情報" in texts(out)
    assert "(4/5)" in texts(out) and "地震情報" not in quick_labels(out)
    out = await chat.tap_quick_reply("クマ・獣害の出没")
    assert "選択中：地震情報、クマ・獣害の出没" in texts(out)
    out = await chat.tap_quick_reply("決定")
    assert "(5/5)" in texts(out)
    out = await chat.say("スキップ")
    assert "・防災情報の希望：地震情報、クマ・獣害の出没" in texts(out)
    values = await _values(town, chat.user)
    assert values["disaster_info"] == ["earthquake", "bear"]


async def test_cancel_in_the_middle_saves_nothing(town: Town) -> None:
    await _install(town)
    chat = town.chat()
    await chat.tap("action=form&key=first_questionnaire")
    await chat.tap_quick_reply("40代")
    out = await chat.say("やめる")
    assert "「フォームへの回答」を中止しました" in texts(out)
    assert "flow" not in await _state(town, chat.user)
    assert await _values(town, chat.user) == {} and await _responses(town) == []


async def test_stored_answers_are_shown_and_kept_when_answering_again(any_town: Town) -> None:
    town = any_town
    await _install(town)
    chat = town.chat()
    await chat.say("こんにちは")  # the citizen record comes with the first message
    async with town.db.write() as s:
        citizen = await services.citizen_by_user(s, chat.user)
        assert citizen is not None
        form = await forms.get_form(s, "first_questionnaire")
        await forms.submit(s, START, form, citizen.id, {"age_group": "60s", "area": "asahi",  # type: ignore[arg-type]
                                                        "interests": ["int03", "int18"]}, via="liff")
    out = await chat.tap("action=form&key=first_questionnaire")
    assert "今の登録：60代" in texts(out) and "今のまま" in quick_labels(out)
    out = await chat.tap_quick_reply("今のまま")  # required, kept as registered
    assert "今の登録：旭" in texts(out)
    out = await chat.say("緑ヶ丘")
    assert "今の登録：健康・医療、農業" in texts(out)
    out = await chat.tap_quick_reply("今のまま")
    out = await chat.tap_quick_reply("スキップ")
    out = await chat.tap_quick_reply("スキップ")
    assert "・年代：60代" in texts(out) and "・居住地区：緑ヶ丘" in texts(out)
    values = await _values(town, chat.user)
    assert values["age_group"] == ["60s"] and values["area"] == ["midorigaoka"]
    assert values["interests"] == ["int03", "int18"]  # kept


async def test_not_a_choice_is_asked_again_and_an_old_button_is_refused(town: Town) -> None:
    await _install(town)
    chat = town.chat()
    await chat.tap("action=form&key=first_questionnaire")
    out = await chat.say("ぜんぜん関係ない言葉")
    assert "(1/5) 年代" in texts(out)
    assert "年代" in texts(out) and "選択肢はありません" in texts(out)
    await chat.tap_quick_reply("50代")
    out = await chat.tap("flow=form&q=1&v=20s", "20代")  # a button of the first question
    assert "前の質問のもの" in texts(out) and "(2/5)" in texts(out)
    out = await chat.tap_quick_reply("戻る")
    assert "(1/5) 年代" in texts(out)


async def test_the_page_is_a_liff_link_when_the_forms_page_is_a_liff_app(town: Town) -> None:
    """With ``LIFF_ID_FORMS`` the button opens the LIFF app (inside LINE, the citizen logged in)."""
    town.liff_ids = {"forms": "1657000001-FoRmS123"}
    await town.restart()
    await _install(town)
    out = await town.chat().tap("action=form&key=first_questionnaire")
    assert uri_buttons(out) == {"画面でまとめて入力する": "https://liff.line.me/1657000001-FoRmS123?form=first_questionnaire"}
    assert "(1/5) 年代" in texts(out)


async def test_without_a_public_address_there_is_no_page_button(town: Town) -> None:
    town.public_base_url = ""
    await town.restart()
    await _install(town)
    out = await town.chat().tap("action=form&key=first_questionnaire")
    assert uri_buttons(out) == {} and "全5問" in texts(out) and "(1/5) 年代" in texts(out)


async def test_unknown_form_is_apologised_for(town: Town) -> None:
    await _install(town)
    chat = town.chat()
    out = await chat.tap("action=form&key=no_such_form")
    assert "このフォームは現在ご利用いただけません" in texts(out)


async def test_a_question_in_the_middle_is_answered_then_the_form_resumes(town: Town) -> None:
    await _install(town)
    chat = town.chat()
    await chat.tap("action=form&key=first_questionnaire")
    out = await chat.say("役場の駐車場は無料ですか？")
    answer = texts(out)
    assert "駐車場" in answer and "無料" in answer
    assert "（「フォームへの回答」の続きです）" in answer and "(1/5) 年代" in answer
    out = await chat.tap_quick_reply("10代以下")
    assert "(2/5)" in texts(out)


async def test_a_form_left_alone_times_out(town: Town) -> None:
    await _install(town)
    chat = town.chat()
    await chat.tap("action=form&key=first_questionnaire")
    await chat.tap_quick_reply("20代")
    town.advance(minutes=31)
    out = await chat.say("本町")
    assert "「フォームへの回答」は、しばらく操作がなかったため終了しました" in texts(out)
    assert "flow" not in await _state(town, chat.user)
    assert await _values(town, chat.user) == {}


async def test_a_form_limited_to_a_segment_is_only_for_its_members(any_town: Town) -> None:
    from civic.segments import services as segments

    town = any_town
    await _install(town)
    outsider, member = town.chat("町民"), town.chat("職員")
    await outsider.say("こんにちは")
    await member.say("こんにちは")
    async with town.db.write() as s:
        staff = await services.citizen_by_user(s, member.user)
        await services.set_values(s, START, staff.id, {"occupation": "job02"})  # type: ignore[union-attr,arg-type]
        seg = await segments.create_segment(s, START, name="公務員", filter_data={
            "type": "choice", "attribute": "occupation", "values": ["job02"]})
        await forms.update_form(s, START, "staff_registration", {"segment_id": seg.id})
    out = await outsider.tap("action=form&key=staff_registration")
    assert "このフォームは現在ご利用いただけません" in texts(out)
    assert "flow" not in await _state(town, outsider.user)
    out = await member.tap("action=form&key=staff_registration")
    assert "「職員専用：参集区分の登録」" in texts(out) and "(1/2)" in texts(out)
