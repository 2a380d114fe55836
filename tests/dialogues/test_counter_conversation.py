"""The counter as a whole: welcome, help, menu actions not built yet, stale buttons, odd input."""

from __future__ import annotations

from datetime import timedelta

from tests.dialogues.conftest import Town, photo, quick_labels, texts


async def test_follow_gets_the_welcome_and_the_menu(town: Town) -> None:
    chat = town.chat()
    await town.sim.follow(chat.user)
    await town.settle()
    out = chat._new()
    assert "友だち追加ありがとうございます" in texts(out)
    assert quick_labels(out) == ["ごみの出し方", "施設をさがす", "道路の損傷を通報", "よくある質問", "施設の予約", "手続きナビ"]


async def test_help_menu_buttons_start_the_flows(town: Town) -> None:
    chat = town.chat()
    await chat.say("こんにちは")
    out = await chat.tap_quick_reply("道路の損傷を通報")  # a message button: 「道路の損傷を通報したい」
    assert "どのような損傷ですか" in texts(out)
    out = await chat.say("ヘルプ")
    assert "いまは「道路などの損傷の通報」の途中です" in texts(out)
    assert "「やめる」と送ってください" in texts(out) and "どのような損傷ですか" in texts(out)
    await chat.say("やめる")
    out = await chat.tap_quick_reply("ごみの出し方")
    assert "調べたいごみの名前" in texts(out)


async def test_booking_and_procedure_are_not_ready_yet(town: Town) -> None:
    chat = town.chat()
    for action, label in (("booking", "施設の予約"), ("procedure", "手続きナビ")):
        out = await chat.tap(f"action={action}", label)
        assert f"「{label}」は現在準備中です" in texts(out)
        assert "ごみの出し方" in quick_labels(out)  # and a way forward
    out = await chat.say("体育館を予約したい")
    assert "「施設の予約」は現在準備中です" in texts(out)


async def test_menu_action_in_the_middle_of_a_flow_keeps_the_flow(town: Town) -> None:
    chat = town.chat()
    await chat.tap("action=report")
    await chat.tap_quick_reply("その他")
    out = await chat.tap("action=booking", "施設の予約")
    assert "現在準備中です" in texts(out)
    assert "（「道路などの損傷の通報」の続きです）" in texts(out) and "写真を1枚送ってください" in texts(out)


async def test_a_button_from_an_old_prompt_gets_a_kind_note(town: Town) -> None:
    chat = town.chat()
    out = await chat.tap("flow=report&cat=road_surface", "道路の穴・段差")
    assert "以前のご案内のもので、いまは使えません" in texts(out) and "ごみの出し方" in quick_labels(out)
    await chat.tap("action=garbage")
    out = await chat.tap("flow=report&cat=road_surface", "道路の穴・段差")
    assert "以前のご案内のもの" in texts(out) and "調べたいごみの名前" in texts(out)


async def test_stickers_images_and_nonsense_never_meet_silence(town: Town) -> None:
    chat = town.chat()
    out = await chat.send_sticker()
    assert "スタンプありがとうございます" in texts(out) and quick_labels(out)
    out = await chat.send_photo(photo())
    assert "写真を受け取りました" in texts(out) and "損傷を通報する" in quick_labels(out)
    out = await chat.tap_quick_reply("損傷を通報する")
    assert "どのような損傷ですか" in texts(out)
    out = await chat.send_sticker()
    assert "いまは「道路などの損傷の通報」の途中です" in texts(out) and "どのような損傷ですか" in texts(out)
    out = await chat.tap("whatever=1")
    assert texts(out)
    out = await chat.say("　")
    assert texts(out)
    assert all(len(batch) <= 5 for batch in [out])


async def test_every_reply_is_accepted_by_line(town: Town) -> None:
    """linesim checks each message with the SDK models and LINE's limits; nothing was refused."""
    chat = town.chat()
    await chat.say("マイナンバー")
    await chat.say("住民票の写しはどこで取れますか")
    await chat.tap("action=report")
    await chat.say("ガードレール")
    calls = town.sim.calls("/v2/bot/message")
    assert calls and all(c.status == 200 for c in calls)


async def test_the_timeout_is_configurable(town: Town) -> None:
    town.timeout = timedelta(minutes=5)
    await town.restart()
    chat = town.chat()
    await chat.tap("action=report")
    town.advance(minutes=6)
    out = await chat.tap_quick_reply("その他")
    assert "しばらく操作がなかったため終了しました" in texts(out)
    assert "写真を1枚送ってください" not in texts(out)


async def test_a_walked_away_garbage_lookup_ends_silently(town: Town) -> None:
    chat = town.chat()
    await chat.tap("action=garbage")
    town.advance(minutes=45)
    out = await chat.say("こんにちは")
    assert "終了しました" not in texts(out) and "こんにちは" in texts(out)
