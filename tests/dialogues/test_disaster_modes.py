"""What each 防災モード offers first (issue #22): in 警戒 / 災害 the greeting is the mode's, the menu's
quick replies start with the way to shelters, and よくある質問 offers the town's 防災 questions first;
in normal mode none of it."""

from __future__ import annotations

from civic.disaster import services as disaster
from tests.dialogues.conftest import Town, quick_labels, texts


async def _mode(town: Town, mode: str) -> None:
    async with town.db.write() as s:
        await disaster.change_mode(s, town.clock.now(), mode=mode, by="bousai", reason="テスト")


async def test_each_mode_offers_its_own_first(town: Town) -> None:
    chat = town.chat()
    await chat.say("こんにちは")
    menu = quick_labels(await chat.say("メニュー"))
    assert "近くの避難所を探す" not in menu
    faq = await chat.tap("action=faq", "よくある質問")
    assert "防災についてよくあるご質問" not in texts(faq) and not quick_labels(faq)[:1] == ["ハザードマップはどこでもらえま"]
    await chat.say("やめる")

    await _mode(town, "alert")
    newcomer = town.chat("新しい友だち")
    await town.sim.follow(newcomer.user)
    assert "【警戒モード】" in texts(await newcomer._after())
    menu = quick_labels(await chat.say("メニュー"))
    assert menu[:2] == ["近くの避難所を探す", "近くの避難所"] and "ごみの出し方" in menu
    faq = await chat.tap("action=faq", "よくある質問")
    assert "防災についてよくあるご質問" in texts(faq)
    offered = quick_labels(faq)
    assert len(offered) == 4 and offered[0].startswith("ハザードマップ")
    answer = texts(await chat.tap_quick_reply(offered[0]))
    assert "みどり町防災マップ" in answer

    await _mode(town, "disaster")
    menu = quick_labels(await chat.say("メニュー"))
    assert menu[:2] == ["近くの避難所を探す", "近くの避難所"]
    assert "【災害モード】" in texts(await chat.say("宇宙船の操縦免許はどこで取れますか"))

    await _mode(town, "normal")
    assert "近くの避難所を探す" not in quick_labels(await chat.say("メニュー"))
