"""防災モード in the chat (issue #22): the greeting and the fallback answer of the mode, and 「近くの避難所」.

The town's mode (``civic.disaster``) is read once per turn. In 警戒 / 災害 the greeting of a new
friend and the answer to what the bot cannot answer become the mode's, with the way to shelters
first; a sent location (outside a flow) answers the nearest shelters instead of facilities.
「近くの避難所」「避難所はどこ」 ask for the location in any mode (``shelter=ask``, remembered for
ten minutes). Shelters are listed open ones first, nearest first, with distance, state, count and
a map link; 未開設 next; 満員 and 閉鎖 last and marked as such, never first.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from civic.clock import utc
from civic.disaster import services as shelters
from civic.disaster.models import ALERT, CLOSED, DISASTER, FULL, KIND_LABELS, NORMAL, STATE_LABELS
from dialogues import messages as m
from dialogues.engine import Context
from dialogues.facility_directory import distance_text
from dialogues.geocoding import distance_m

SHOWN = 5
ASK_KEY = "shelter_ask"
#: 「近くの避難所」, and a citizen who wants to go somewhere now (「大雨で避難したいです」「どこに逃げればいい」);
#: not questions about evacuating (「一人で避難できない家族がいます」 is for the FAQ).
_ASK = re.compile(r"(避難所|避難場所|ひなんじょ|避難先|避難したい|避難しよう|避難すれば|どこ[にへ]避難|逃げたい"
                  r"|どこ[にへ]逃げ)")
MAP_URL = "https://maps.gsi.go.jp/#17/{lat:.6f}/{lon:.6f}/"

BANNER = {ALERT: "【警戒モード】", DISASTER: "【災害モード】"}
WELCOME = {
    ALERT: ("友だち追加ありがとうございます。\n{banner}現在、町では災害への警戒を呼びかけています。"
            "最新の気象情報に注意し、早めの避難の準備をお願いします。\n"
            "「近くの避難所」と送るか、下のボタンから位置情報を送ると、近くの避難所をご案内します。"),
    DISASTER: ("友だち追加ありがとうございます。\n{banner}現在、町は災害対応中です。身の安全を最優先にしてください。\n"
               "「近くの避難所」と送るか、下のボタンから位置情報を送ると、開設中の避難所を近い順にご案内します。\n"
               "命に関わる場合は、119（救急・火事）／110（警察）へ。"),
}
FALLBACK = {
    ALERT: "{banner}申し訳ありません。このご質問にはお答えできませんでした。\n"
           "避難所をおさがしの場合は「近くの避難所」と送るか、位置情報を送ってください。\n{contact}",
    DISASTER: "{banner}申し訳ありません。このご質問にはお答えできませんでした。\n"
              "避難所をおさがしの場合は「近くの避難所」と送るか、位置情報を送ってください。"
              "命に関わる場合は、119（救急・火事）／110（警察）へ。\n{contact}",
}


def _quick(mode: str) -> list[dict[str, Any]]:
    return [m.location_action("近くの避難所を探す"), m.say_action("近くの避難所")]


#: The FAQ category offered first in 警戒 / 災害 (the town's own ``faq.yml`` categories).
FAQ_CATEGORY = "防災"
FAQ_OFFERED = 4


def faq_offers(ctx: Context) -> list[dict[str, Any]]:
    """In 警戒 / 災害: the town's 防災 FAQ entries, as buttons asking them (none in normal mode)."""
    if ctx.mode == NORMAL:
        return []
    entries = [e for e in ctx.services.knowledge.faq_entries.values() if e.category == FAQ_CATEGORY]
    return [m.say_action(e.question) for e in entries[:FAQ_OFFERED]]


def lead_menu(ctx: Context) -> None:
    """In 警戒 / 災害, the quick replies outside a flow start with the way to shelters (then what was there)."""
    replies = ctx.turn.replies
    if ctx.mode == NORMAL or ctx.store.flow is not None or not replies or "quickReply" not in replies[-1]:
        return
    items = replies[-1]["quickReply"].get("items", [])
    ways = _quick(ctx.mode)
    first: list[dict[str, Any]] = [{"type": "action", "action": a} for a in ways]
    labels = {a.get("label") for a in ways}
    rest = [i for i in items if i.get("action", {}).get("label") not in labels]
    replies[-1] = {**replies[-1], "quickReply": {"items": (first + rest)[:m.MAX_QUICK_REPLIES]}}


def welcome(mode: str) -> m.Message | None:
    """The greeting of a new friend in ``mode`` (None in normal mode: the town's own)."""
    if mode == NORMAL or mode not in WELCOME:
        return None
    return m.text(WELCOME[mode].format(banner=BANNER[mode]), _quick(mode))


def fallback(ctx: Context, mode: str) -> m.Message:
    return m.text(FALLBACK[mode].format(banner=BANNER[mode], contact=ctx.services.town.contact), _quick(mode))


def asks_for_shelter(text: str) -> bool:
    t = unicodedata.normalize("NFKC", text).strip()
    return len(t) <= 30 and _ASK.search(t) is not None


def ask_location(ctx: Context) -> None:
    ctx.memory[ASK_KEY] = {"at": ctx.now.isoformat()}
    ctx.answered_as = "shelter_search"
    ctx.say(m.text("近くの避難所をお調べします。下の「位置情報を送る」から現在地を送ってください。",
                   [m.location_action(), m.postback("メニュー", m.data(action="help"), "メニュー")]))


def waiting_for_location(ctx: Context) -> bool:
    value = ctx.memory.get(ASK_KEY)
    try:
        at = utc(datetime.fromisoformat(str(value.get("at")))) if isinstance(value, dict) else None
    except ValueError:
        at = None
    return at is not None and ctx.now - at <= timedelta(minutes=10)


async def answer_nearest(ctx: Context, latitude: float, longitude: float) -> None:
    ctx.memory.pop(ASK_KEY, None)
    ctx.answered_as = "shelter_search"
    ranked = shelters.rank(await shelters.shelters(ctx.session), latitude, longitude, distance_m)
    if not ranked:
        ctx.say(m.text("申し訳ありません。避難所の情報がまだ登録されていません。\n"
                       f"お問い合わせ：{ctx.services.town.contact}"))
        return
    usable = [v for v in ranked if v.shelter.state not in (FULL, CLOSED)][:SHOWN]
    reach = max((v.distance_m or 0.0 for v in usable), default=float("inf"))
    refused = [v for v in ranked if v.shelter.state in (FULL, CLOSED) and (v.distance_m or 0.0) <= reach][:SHOWN]
    # The heading says what the list is: in normal times no shelter is open, and the list must not read as
    # if those shown were (each line carries its state).
    if any(v.shelter.state in shelters.OPEN_STATES for v in ranked):
        lines = ["お近くの避難所です（近い順）。【開設】の避難所に避難できます。"]
    else:
        lines = ["お近くの避難所です（近い順）。現在、開設している避難所はありません。町の発表に注意してください。"]
    lines += [_line(i, v) for i, v in enumerate(usable, 1)]
    if refused:
        lines.append("次の避難所は満員または閉鎖のため、受け入れできません。")
        lines += [_line(i, v) for i, v in enumerate(refused, len(usable) + 1)]
    ctx.say(m.text("\n".join(lines)))


def _line(i: int, v: shelters.ShelterView) -> str:
    f, sh = v.facility, v.shelter
    state = STATE_LABELS.get(sh.state, sh.state)
    if sh.state in (FULL, CLOSED):
        state += "（受け入れできません）"
    kinds = "・".join(KIND_LABELS[k] for k in v.kinds if k in KIND_LABELS)
    count = f" {sh.occupancy}/{sh.capacity}人" if sh.capacity else ""
    return (f"{i}. {f.name}【{state}】{distance_text(v.distance_m or 0.0)}{count}"
            + (f"\n　{kinds}" if kinds else "")
            + f"\n　地図：{MAP_URL.format(lat=f.latitude, lon=f.longitude)}")
