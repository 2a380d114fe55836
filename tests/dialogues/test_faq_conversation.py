"""FAQ through LINE: confident answers with feedback, candidates, unanswered questions for staff."""

from __future__ import annotations

import json

from sqlmodel import select

from civic.faq.models import CHOSEN, CONFIDENT, FaqAnswer, UnansweredQuestion
from tests.dialogues.conftest import Town, quick_labels, texts


async def _answers(town: Town) -> list[FaqAnswer]:
    async with town.db.read() as s:
        return list((await s.exec(select(FaqAnswer).order_by(FaqAnswer.id))).all())


async def _unanswered(town: Town) -> list[UnansweredQuestion]:
    async with town.db.read() as s:
        return list((await s.exec(select(UnansweredQuestion).order_by(UnansweredQuestion.id))).all())


def _buttons(message: dict) -> list[dict]:
    return [c["action"] for c in message["contents"]["footer"]["contents"][0]["contents"]]


async def test_confident_answer_and_feedback_is_stored_once(any_town: Town) -> None:
    town = any_town
    chat = town.chat()
    out = await chat.say("住民票の写しはどこで取れますか")
    [answer] = out
    assert answer["type"] == "flex" and "住民課" in texts(out) and "300円" in texts(out)
    assert "ごみの出し方" in quick_labels(out)  # a way forward after the answer
    helpful, unhelpful = _buttons(answer)
    assert (helpful["label"], unhelpful["label"]) == ("役に立った", "役に立たなかった")
    [row] = await _answers(town)
    assert (row.how, row.question, row.helpful, row.asker) == (CONFIDENT, "住民票の写しはどこで取れますか", None, chat.user)

    out = await chat.tap(unhelpful["data"], unhelpful["displayText"])
    assert "ご案内を見直す参考にいたします" in texts(out)
    out = await chat.tap(helpful["data"], helpful["displayText"])  # a second tap changes nothing
    assert "すでにいただいています" in texts(out)
    [row] = await _answers(town)
    assert row.helpful is False and row.feedback_at is not None


async def test_feedback_from_someone_else_is_not_taken(town: Town) -> None:
    alice, bob = town.chat("アリス"), town.chat("ボブ")
    out = await alice.say("役場の開庁時間を教えてください")
    helpful = _buttons(out[0])[0]
    out = await bob.tap(helpful["data"], "役に立った")
    assert "この操作はいまは使えません" in texts(out)
    [row] = await _answers(town)
    assert row.helpful is None


async def test_ambiguous_question_offers_candidates(town: Town) -> None:
    chat = town.chat()
    out = await chat.say("マイナンバー")
    labels = quick_labels(out)
    assert "お調べしたところ、次のご質問が近いようです" in texts(out)
    assert "1. マイナンバーカード" in texts(out)  # the full questions are listed in the text
    assert len(labels) == 5 and labels[-1] == "どれでもない"
    assert all(len(label) <= 20 for label in labels)
    out = await chat.tap_quick_reply(labels[1])
    assert out[0]["type"] == "flex" and "マイナンバーカード" in texts(out)
    [row] = await _answers(town)
    assert row.how == CHOSEN and row.question == "マイナンバー"


async def test_none_of_the_candidates_records_the_question(town: Town) -> None:
    chat = town.chat()
    await chat.say("子ども")
    out = await chat.tap_quick_reply("どれでもない")
    assert "回答が見つかりませんでした" in texts(out)
    [row] = await _unanswered(town)
    assert row.question == "子ども" and row.candidates.startswith("faq-")


async def test_nothing_fits_records_the_question_for_staff(town: Town) -> None:
    chat = town.chat()
    out = await chat.say("宇宙人の住民登録はできますか")
    text = texts(out)
    assert "回答が見つかりませんでした" in text and "0000-00-1111" in text
    [row] = await _unanswered(town)
    assert row.question == "宇宙人の住民登録はできますか" and row.status == "open" and row.channel == "production"


async def test_faq_from_the_rich_menu(town: Town) -> None:
    chat = town.chat()
    out = await chat.tap("action=faq", "よくある質問")
    assert "ご質問を文章でお送りください" in texts(out)
    out = await chat.say("図書館の休館日はいつですか")
    assert "休館日" in texts(out) and out[0]["type"] == "flex"
    flex = json.dumps(out[0], ensure_ascii=False)
    assert "faq=fb" in flex
    out = await chat.say("ありがとう")
    assert "どういたしまして" in texts(out)
