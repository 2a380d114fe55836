from tests.dialogues.conftest import INSIDE, photo, texts, quick_labels


async def test_smoke(town) -> None:
    chat = town.chat()
    for step in [chat.tap("action=report"), ]:
        out = await step
        print(texts(out), quick_labels(out))
    out = await chat.tap_quick_reply("街灯・防犯灯"); print(texts(out), quick_labels(out))
    out = await chat.send_photo(photo()); print(texts(out), quick_labels(out))
    out = await chat.send_location(*INSIDE); print(texts(out), quick_labels(out))
    out = await chat.say("図書館は何時まで開いていますか"); print(texts(out), quick_labels(out))
    out = await chat.say("電球が切れて真っ暗です"); print(texts(out), quick_labels(out))
    out = await chat.tap_quick_reply("送信する"); print(texts(out), quick_labels(out))
    out = await chat.say("ペットボトルの捨て方"); print(texts(out), quick_labels(out))
    out = await chat.tap_quick_reply("本町"); print(texts(out), quick_labels(out))
    out = await chat.say("こんにちは"); print(texts(out), quick_labels(out))
    out = await chat.say("住民票が欲しい"); print(texts(out), quick_labels(out))
    out = await chat.say("ほげほげ"); print(texts(out), quick_labels(out))
    assert 0
