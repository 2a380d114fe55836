"""Road-damage reports, driven as whole conversations through the webhook and linesim."""

from __future__ import annotations

import base64
import io
import json

from PIL import Image
from sqlmodel import select

from civic.reports.models import RECEIVED, Report, ReportPhoto, ReportStatusChange
from conversation.state import ConversationState
from tests.dialogues.conftest import FAR_AWAY, INSIDE, Town, photo, quick_labels, texts


async def _reports(town: Town) -> list[Report]:
    async with town.db.read() as s:
        return list((await s.exec(select(Report).order_by(Report.id))).all())


async def _photos(town: Town) -> list[ReportPhoto]:
    async with town.db.read() as s:
        return list((await s.exec(select(ReportPhoto).order_by(ReportPhoto.id))).all())


async def _state(town: Town, user: str) -> dict:
    async with town.db.read() as s:
        row = await s.get(ConversationState, user)
        return json.loads(row.data) if row else {}


async def test_full_report_with_photo_and_location(any_town: Town) -> None:
    town = any_town
    chat = town.chat("山田花子")
    out = await chat.tap("action=report", "道路の損傷を通報")
    assert "どのような損傷ですか" in texts(out)
    assert quick_labels(out) == ["道路の穴・段差", "街灯・防犯灯", "ガードレール・標識", "公園の遊具・設備", "不法投棄", "その他"]

    out = await chat.tap_quick_reply("道路の穴・段差")
    assert "写真を1枚送ってください" in texts(out)
    assert quick_labels(out) == ["カメラで撮る", "写真を選ぶ", "写真なしで進む"]

    out = await chat.send_photo(photo(800, 600, exif_gps=True))
    assert "写真を受け取りました" in texts(out) and "場所を教えてください" in texts(out)
    assert out[-1]["quickReply"]["items"][0]["action"]["type"] == "location"

    out = await chat.send_location(*INSIDE, address="みどり町本町1丁目")
    assert "場所を受け取りました" in texts(out) and "短く教えてください" in texts(out)

    out = await chat.say("歩道に直径30cmほどの穴があいていて危ないです")
    summary = texts(out)
    assert "以下の内容で通報します" in summary
    assert "種類：道路の穴・段差" in summary and "写真：あり" in summary and "本町1丁目" in summary
    assert "説明：歩道に直径30cmほどの穴" in summary

    out = await chat.tap_quick_reply("送信する")
    assert "受付番号は 2025-00001 です" in texts(out)
    assert "ごみの出し方" in quick_labels(out)  # back at the main menu

    [report] = await _reports(town)
    assert (report.category, report.status, report.receipt_no) == ("road_surface", RECEIVED, "2025-00001")
    assert report.reporter == chat.user and report.channel == "production" and report.has_photo
    assert (round(report.latitude, 4), round(report.longitude, 4)) == INSIDE
    assert report.location_source == "line" and report.description.startswith("歩道に")
    [stored] = await _photos(town)
    assert stored.report_id == report.id
    image = Image.open(io.BytesIO(base64.b64decode(stored.data)))
    assert image.format == "JPEG"
    assert not image.getexif()  # no GPS, no device, no orientation tag
    assert image.size == (600, 800)  # the EXIF orientation was applied before it was dropped
    async with town.db.read() as s:
        history = (await s.exec(select(ReportStatusChange))).all()
    assert [h.to_status for h in history] == [RECEIVED]
    assert "flow" not in await _state(town, chat.user)


async def test_skip_photo_and_typed_address(town: Town) -> None:
    chat = town.chat()
    out = await chat.say("街灯が切れていて夜道が暗いです")
    assert "「街灯・防犯灯」の通報ですね" in texts(out)  # the category comes from the words
    out = await chat.say("写真はありません")
    assert "写真なしで進めます" in texts(out)
    out = await chat.say("どこか知らない所")
    assert "場所が見つかりませんでした" in texts(out) and "場所を教えてください" in texts(out)
    out = await chat.say("みどり町本町２－５－３")
    assert "「本町2丁目」付近として受け付けます" in texts(out)
    out = await chat.tap_quick_reply("説明なしで進む")
    assert "写真：なし" in texts(out) and "説明：（なし）" in texts(out)
    out = await chat.say("送信する")
    assert "受付番号は" in texts(out)
    [report] = await _reports(town)
    assert report.category == "street_light" and not report.has_photo
    assert report.location_source == "geocoded" and report.address == "みどり町本町２－５－３"
    assert await _photos(town) == []


async def test_bad_photos_are_refused_kindly_and_a_good_one_accepted(town: Town) -> None:
    chat = town.chat()
    await chat.tap("action=report")
    await chat.tap_quick_reply("ガードレール・標識")
    out = await chat.send_photo(b"this is not an image at all", "image/jpeg")
    assert "写真として読み取れませんでした" in texts(out) and "写真なしで進む" in quick_labels(out)
    out = await chat.send_photo(photo(60, 40))
    assert "写真が小さすぎて" in texts(out)
    broken = photo(800, 600)[:2000]
    out = await chat.send_photo(broken)
    assert "写真として読み取れませんでした" in texts(out)
    assert await _photos(town) == []
    out = await chat.send_photo(photo(4000, 3000, fmt="PNG"), "image/png")
    assert "写真を受け取りました" in texts(out)
    [stored] = await _photos(town)
    assert max(stored.width, stored.height) == 1600  # scaled down
    assert stored.report_id is None and stored.owner == chat.user  # a draft until sent


async def test_location_far_outside_the_town_is_asked_again(town: Town) -> None:
    chat = town.chat()
    await chat.tap("action=report")
    await chat.tap_quick_reply("不法投棄")
    await chat.tap_quick_reply("写真なしで進む")
    out = await chat.send_location(*FAR_AWAY, address="大阪府大阪市北区")
    assert "みどり町の外のようです" in texts(out) and "場所を教えてください" in texts(out)
    out = await chat.send_location(*INSIDE)
    assert "短く教えてください" in texts(out)


async def test_cancel_in_the_middle_discards_the_draft(town: Town) -> None:
    chat = town.chat()
    await chat.tap("action=report")
    await chat.tap_quick_reply("道路の穴・段差")
    await chat.send_photo(photo())
    assert len(await _photos(town)) == 1
    out = await chat.say("やめる")
    assert "「道路などの損傷の通報」を中止しました" in texts(out)
    assert "ごみの出し方" in quick_labels(out)
    assert await _photos(town) == [] and await _reports(town) == []
    assert "flow" not in await _state(town, chat.user)
    out = await chat.say("キャンセル")
    assert "いま進めているお手続きはありません" in texts(out)


async def test_timeout_drops_the_flow_with_a_polite_note(town: Town) -> None:
    chat = town.chat()
    await chat.tap("action=report")
    await chat.tap_quick_reply("道路の穴・段差")
    town.advance(minutes=29)
    out = await chat.tap_quick_reply("写真なしで進む")  # still within 30 minutes of the last step
    assert "場所を教えてください" in texts(out)
    town.advance(minutes=31)
    out = await chat.say("図書館は何時まで開いていますか")
    assert "「道路などの損傷の通報」は、しばらく操作がなかったため終了しました" in texts(out)
    assert "図書館" in texts(out) and "開館時間" in texts(out)  # and the question is still answered
    assert "flow" not in await _state(town, chat.user)
    out = await chat.send_location(*INSIDE)  # a location now means "what is near here", not a report
    assert "場所を受け取りました" not in texts(out)
    assert await _reports(town) == []


async def test_a_restart_in_the_middle_of_a_report_loses_nothing(town: Town) -> None:
    chat = town.chat()
    await chat.tap("action=report")
    await chat.tap_quick_reply("公園の遊具・設備")
    await chat.send_photo(photo())
    await town.restart()
    out = await chat.send_location(*INSIDE)
    assert "短く教えてください" in texts(out)
    await chat.say("ブランコの鎖が切れています")
    out = await chat.say("はい")
    assert "受付番号は" in texts(out)
    [report] = await _reports(town)
    assert report.category == "park_equipment" and report.has_photo


async def test_a_question_in_the_middle_is_answered_then_the_flow_resumes(town: Town) -> None:
    chat = town.chat()
    await chat.tap("action=report")
    out = await chat.say("役場の駐車場は無料ですか？")
    answer = texts(out)
    assert "駐車場" in answer and "無料" in answer
    assert "（「道路などの損傷の通報」の続きです）" in answer and "どのような損傷ですか" in answer
    assert quick_labels(out)[:2] == ["道路の穴・段差", "街灯・防犯灯"]  # the prompt's buttons come back
    flex = next(msg for msg in out if msg["type"] == "flex")
    assert "役に立った" in json.dumps(flex, ensure_ascii=False)
    out = await chat.say("ぜんぜん関係ないもじれつ")
    assert "通報の種類を、下のボタンから選んでください" in texts(out)  # the catch-all re-prompts
    assert "どのような損傷ですか" in texts(out)
    out = await chat.tap_quick_reply("その他")
    assert "写真を1枚送ってください" in texts(out)


async def test_a_question_the_faq_knows_is_answered_with_a_way_to_report(town: Town) -> None:
    chat = town.chat()
    out = await chat.say("水道が止まった")  # the NLU hears a report; no category fits; the FAQ knows it
    assert "建設課上下水道係" in texts(out) and "どのような損傷ですか" not in texts(out)
    assert "損傷を通報する" in quick_labels(out)
    out = await chat.tap_quick_reply("損傷を通報する")
    assert "どのような損傷ですか" in texts(out)


async def test_the_flow_is_recalled_once_not_after_every_other_question(town: Town) -> None:
    chat = town.chat()
    await chat.tap("action=report")
    out = await chat.say("役場の駐車場は無料ですか？")
    assert "（「道路などの損傷の通報」の続きです）" in texts(out)
    out = await chat.say("図書館の開館時間を教えてください")
    assert "図書館" in texts(out) and "続きです" not in texts(out)  # asked again: no second reminder
    out = await chat.say("道路の穴です")  # the flow still takes its answer, typed (its buttons are gone)
    assert "写真を1枚送ってください" in texts(out)
    out = await chat.say("役場の駐車場は無料ですか？")
    assert "（「道路などの損傷の通報」の続きです）" in texts(out) and "写真を1枚" in texts(out)


async def test_another_flow_in_the_middle_then_back_to_the_report(town: Town) -> None:
    chat = town.chat()
    await chat.tap("action=report")
    await chat.tap_quick_reply("道路の穴・段差")
    out = await chat.say("フライパンはどうやって捨てればいいですか")
    text = texts(out)
    assert "「フライパン」は【燃やさないごみ】です" in text
    assert "お住まいの地区を教えて" in text  # garbage asks for the area; the report waits
    out = await chat.tap_quick_reply("本町")
    text = texts(out)
    assert "本町の次の燃やさないごみの収集日は 6月11日（水） です" in text
    assert "先ほどの「道路などの損傷の通報」の続きです" in text and "写真を1枚送ってください" in text
    out = await chat.tap_quick_reply("写真なしで進む")
    assert "場所を教えてください" in texts(out)


async def test_the_citizen_can_correct_a_step_at_the_confirmation(town: Town) -> None:
    chat = town.chat()
    await chat.tap("action=report")
    await chat.tap_quick_reply("道路の穴・段差")
    await chat.tap_quick_reply("写真なしで進む")
    await chat.say("本町1丁目")
    out = await chat.say("あ" * 201)
    assert "200文字までで入力してください（今は201文字です）" in texts(out)
    out = await chat.say("マンホールのふたがずれている")
    assert "種類：道路の穴・段差" in texts(out)
    out = await chat.tap_quick_reply("種類を修正")
    assert "どのような損傷ですか" in texts(out)
    out = await chat.tap_quick_reply("その他")
    assert "種類：その他" in texts(out) and "説明：マンホールのふたがずれている" in texts(out)
    out = await chat.tap_quick_reply("写真を修正")
    out = await chat.send_photo(photo())
    assert "写真：あり" in texts(out)  # straight back to the confirmation
    out = await chat.tap_quick_reply("送信する")
    [report] = await _reports(town)
    assert report.category == "other" and report.has_photo


async def test_rich_menu_tap_for_the_running_flow_offers_to_continue(town: Town) -> None:
    chat = town.chat()
    await chat.tap("action=report")
    await chat.tap_quick_reply("街灯・防犯灯")
    out = await chat.tap("action=report")
    assert "「道路などの損傷の通報」の途中です" in texts(out) and "写真を1枚送ってください" in texts(out)
    assert quick_labels(out) == ["はじめからやり直す"]
    out = await chat.tap_quick_reply("はじめからやり直す")
    assert "どのような損傷ですか" in texts(out)


async def test_staff_status_change_reaches_the_reporter_in_line(any_town: Town, aiohttp_client) -> None:
    from admin_api import report_views
    from admin_api.app import create_admin_app
    from admin_api.context import AdminContext, ReportsConfig
    from bot.appkeys import NOTIFIER
    from tests.reports.test_report_views import EDITOR, Tokens

    town = any_town
    chat = town.chat()
    await chat.tap("action=report")
    await chat.tap_quick_reply("道路の穴・段差")
    await chat.tap_quick_reply("写真なしで進む")
    await chat.send_location(*INSIDE)
    await chat.tap_quick_reply("説明なしで進む")
    await chat.tap_quick_reply("送信する")
    [report] = await _reports(town)
    staff = await aiohttp_client(create_admin_app(Tokens(), [report_views.router], context=AdminContext(
        town.db, town.clock, reports=ReportsConfig(notifier=town.app[NOTIFIER], town="みどり町"))))
    r = await staff.post(f"/reports/{report.id}/status", json={"status": "in_progress", "note": "現地を確認します"},
                         headers=EDITOR)
    assert r.status == 200
    await town.settle()
    [pushed] = chat._new()
    assert "【みどり町】受付番号 2025-00001 の通報の状況が「対応中」になりました" in pushed["text"]
    assert "担当者より：現地を確認します" in pushed["text"]
    push_calls = town.sim.calls("/v2/bot/message/push")
    assert len(push_calls) == 1 and push_calls[0].headers["x-line-retry-key"]
