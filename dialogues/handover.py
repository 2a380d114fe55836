"""Hand-over to a person (有人チャット, issue #17; 国富町 §9(2)(カ)): the citizen's side.

* 「職員と話したい」「人に聞きたい」「オペレーターをお願いします」 (``wants_person``), the button
  ``handover=ask`` (rich menu, quick reply), or the offer made after two failed answers in a row or a
  役に立たなかった, open a hand-over (``civic.handover.services.request``). The citizen is told whether
  staff answer now (office hours from the town's ``dialogues/town.yml`` ``handover:``, national
  holidays by jpholiday, 12/29–1/3 closed) and roughly when; outside hours the request is queued.
* While it is open, everything the citizen sends (texts, images, locations, stickers) goes to staff
  and the bot stays silent; 「終了」「ボットに戻る」 end it. Emergencies are still answered first
  (``dialogues.safety`` runs before this).
* Closed by staff, the citizen may rate it (``handover=rate&id=…&v=good|bad``).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from civic.handover import services as handovers
from civic.handover.hours import OfficeHours
from civic.handover.models import CITIZEN
from civic.reports.photos import PhotoRejected, sanitize
from dialogues import messages as m
from dialogues.engine import Context

WEEKDAYS = "月火水木金土日"
_PERSON = re.compile(
    r"(職員|担当者|担当の方|係の人|係の方|人間|ひと|人|オペレーター|オペレータ|スタッフ)(さん)?(と|に|へ|を|と直接|に直接)?"
    r"(話|はな|聞|き[きけく]|相談|つな|繋|代わ|かわ|お願い|おねがい|呼)")
_DIRECT = ("有人チャット", "有人対応", "オペレーター", "職員につない", "職員に代わ", "人につない")
END_WORDS = {"終了", "終わり", "おわり", "終了します", "終わります", "ボットに戻る", "ボットに戻ります", "botに戻る",
             "自動応答に戻る", "有人チャットを終了", "チャットを終了"}
_STRIP = re.compile(r"[\s。、．，！!？?・「」]+")


def _fold(text: str) -> str:
    return _STRIP.sub("", unicodedata.normalize("NFKC", text)).lower()


def wants_person(text: str) -> bool:
    t = unicodedata.normalize("NFKC", text).strip()
    if len(t) > 40:
        return False
    return any(w in t for w in _DIRECT) or _PERSON.search(t) is not None


def is_end(text: str) -> bool:
    return _fold(text) in {_fold(w) for w in END_WORDS}


#: Channels whose citizens staff cannot answer (none now: the web chat fetches staff replies,
#: ``liff.webchat.handover``).
NO_HANDOVER_CHANNELS: frozenset[str] = frozenset()


def available(ctx: Context) -> bool:
    return bool(ctx.turn.user_id) and ctx.turn.channel not in NO_HANDOVER_CHANNELS


def offer(menu: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The offer after failed answers (two in a row, or 役に立たなかった), with the main menu after it."""
    message = m.text("うまくお答えできず申し訳ありません。よろしければ、町の職員がこのトークで直接お答えします。",
                     [m.postback("職員と話す", m.data(handover="ask"), "職員と話したい")])
    message["quickReply"]["items"].extend((menu or [])[:12])
    return message


def hours_of(ctx: Context) -> OfficeHours:
    return ctx.services.town.handover_hours


def _when(hours: OfficeHours, ctx: Context) -> str:
    at = hours.next_opening(ctx.now)
    return f"{at.month}月{at.day}日（{WEEKDAYS[at.weekday()]}）{at.hour}:{at.minute:02d}"


async def start(ctx: Context, *, reason: str) -> None:
    user = ctx.turn.user_id
    if not user:
        return
    hours = hours_of(ctx)
    now_open = hours.is_open(ctx.now)
    row, new = await handovers.request(ctx.session, user, channel=ctx.turn.channel, now=ctx.now, reason=reason,
                                       queued=not now_open)
    ctx.turn.intent = "handover"
    ctx.answered_as = "handover"
    if not new:
        ctx.say(m.text("すでに職員へおつなぎしています。ご用件をこのままメッセージでお送りください。\n"
                       "ボットのご案内に戻るときは「終了」と送ってください。"))
        return
    ending = ("ご用件をこのままメッセージでお送りください。写真や位置情報もお送りいただけます。\n"
              "ボットのご案内に戻るときは「終了」と送ってください。")
    schedule = f"職員の対応時間は、平日（土日祝日・年末年始を除く）{hours.label}です。"
    if now_open:
        ctx.say(m.text(f"職員におつなぎします。担当の職員から、このトークでお返事します"
                       f"（目安：{hours.reply_minutes}分ほど。混み合っているとお待たせすることがあります）。\n{ending}"))
    else:
        ctx.say(m.text(f"ただいま職員の対応時間外です。{schedule}\n"
                       f"いただいたご用件は、{_when(hours, ctx)}以降、順に職員からお返事します。\n{ending}"))


async def intercept(ctx: Context) -> str | None:
    """Before the router: ``"silent"`` (the message went to staff: no answer), ``"answered"`` (this
    module answered), None (not a hand-over matter: route as usual)."""
    pb = ctx.postback
    user = ctx.turn.user_id
    if "handover" in pb:
        return await _postback(ctx, pb)
    text = ctx.text
    if not user:
        return None
    if not available(ctx):
        if text and wants_person(text):
            ctx.say(m.text("申し訳ありません。このチャットでは職員におつなぎできません。"
                           f"LINE のトークか、お電話でお問い合わせください。\n{ctx.services.town.contact}"))
            return "answered"
        return None
    open_row = await handovers.open_for(ctx.session, user)
    if open_row is None:
        if text and wants_person(text):
            await start(ctx, reason="asked")
            return "answered"
        return None
    ctx.turn.intent = "handover"
    if text is not None and is_end(text):
        assert open_row.id is not None
        await handovers.close(ctx.session, open_row.id, by=CITIZEN, now=ctx.now, notifier=None)
        ctx.say(m.text("職員とのやりとりを終了しました。ご利用ありがとうございました。\n"
                       "ここからは自動応答（ボット）がお答えします。"))
        return "answered"
    if text is not None and wants_person(text):
        await start(ctx, reason="asked")  # 「すでにおつなぎしています」
        return "answered"
    kind, body = _what(ctx)
    jpeg = None
    if kind == "image":
        try:
            jpeg = sanitize(ctx.image, ctx.services.photo_policy).jpeg  # EXIF (the position) removed
        except PhotoRejected:
            body = "[画像（受け取れない形式でした）]"
    await handovers.record_citizen(ctx.session, open_row, kind=kind, text=body, now=ctx.now,
                                   message_id=ctx.message_id if kind == "image" else None, jpeg=jpeg)
    if pb:
        ctx.say(m.text("ただいま職員とのやりとり中です。メッセージは職員にお届けしました。\n"
                       "ボットのご案内に戻るときは「終了」と送ってください。"))
        return "answered"
    return "silent"


async def _postback(ctx: Context, pb: dict[str, str]) -> str:
    kind = pb.get("handover")
    if kind == "ask" and available(ctx):
        await start(ctx, reason="button" if pb.get("via") == "menu" else "offered")
        return "answered"
    if kind == "rate":
        try:
            handover_id = int(pb.get("id", ""))
        except ValueError:
            handover_id = -1
        if ctx.turn.user_id and await handovers.rate(ctx.session, handover_id, ctx.turn.user_id, pb.get("v", "")):
            ctx.say(m.text("ご評価ありがとうございます。今後の対応の参考にいたします。"))
        else:
            ctx.say(m.text("ご評価はすでにいただいているか、受け付けできませんでした。ありがとうございます。"))
        return "answered"
    ctx.say(m.text("申し訳ありません。この操作はいまは使えません。"))
    return "answered"


def _what(ctx: Context) -> tuple[str, str]:
    """What staff see of the citizen's message."""
    if ctx.text is not None:
        return "text", ctx.text
    place = ctx.location
    if place is not None:
        label = place.get("address") or place.get("title") or ""
        return "location", f"{label} ({place['latitude']:.5f}, {place['longitude']:.5f})".strip()
    if ctx.postback:
        return "postback", ctx.inbound.postback.data if ctx.inbound.postback else ""
    kind = ctx.message_type or "other"
    return kind, {"image": "[画像]", "sticker": "[スタンプ]", "video": "[動画]", "audio": "[音声]",
                  "file": "[ファイル]"}.get(kind, f"[{kind}]")
