"""The answer while no dialogue claims a message: a short, polite help message and the main menu."""

from __future__ import annotations

import functools
from typing import Any

from conversation.turn import Turn
from nlu.emergency import EmergencyDetector

MENU = [
    ("ごみの出し方", "ごみの出し方を教えて"),
    ("施設をさがす", "近くの施設をさがしたい"),
    ("道路の損傷を通報", "道路の損傷を通報したい"),
    ("よくある質問", "よくある質問"),
    ("施設の予約", "施設を予約したい"),
    ("手続きナビ", "手続きを調べたい"),
]


def quick_replies() -> dict[str, Any]:
    return {"items": [
        {"type": "action", "action": {"type": "message", "label": label, "text": text}} for label, text in MENU
    ]}


GUIDE = "下のボタンか画面下のメニューから、ご用件をお選びください。ご質問は、文章でそのままお送りいただいても大丈夫です。"


def help_message(lead: str | None = None, *, town: str = "") -> dict[str, Any]:
    """The help menu; ``town`` is the town's name from its content (no town is written in code)."""
    lead = lead or f"お問い合わせありがとうございます。{town} LINE 窓口です。".replace("。 ", "。")
    return {"type": "text", "text": f"{lead}\n{GUIDE}", "quickReply": quick_replies()}


def welcome_text(town: str = "") -> str:
    return (
        f"友だち追加ありがとうございます。{town + 'の ' if town else ''}LINE 窓口です。\n"
        "ごみの出し方、施設の検索や予約、道路の損傷の通報、手続きのご案内などを、24時間いつでもご利用いただけます。"
    )


_help_message = help_message


class HelpResponder:
    """The spine's handler: every message gets a kind answer and a way forward."""

    def __init__(self, town: str = "", emergency: EmergencyDetector | None = None) -> None:
        self.town = town
        self.emergency = emergency or EmergencyDetector.load()

    async def handle(self, turn: Turn) -> None:
        kind = turn.event_type
        help_message = functools.partial(_help_message, town=self.town)
        alarm = self.emergency.detect(turn.text)
        if alarm is not None:  # 119 / 110 first (nlu.emergency)
            turn.say({"type": "text", "text": alarm.answer.replace("{contact}", f"{self.town}役場"),
                      "quickReply": quick_replies()})
            turn.intent = "emergency"
            return
        if kind == "follow":
            turn.say(help_message(welcome_text(self.town)))
        elif kind == "message":
            mtype = turn.inbound.message_type
            if mtype == "text":
                turn.say(help_message())
            elif mtype == "image":
                turn.say(help_message("画像を受け取りました。"))
            elif mtype == "location":
                turn.say(help_message("位置情報を受け取りました。"))
            else:
                turn.say(help_message())
        elif kind == "postback":
            turn.say(help_message("ありがとうございます。"))
        # unfollow, join, leave and unknown events: recorded, no answer (there is no one to answer)
        turn.intent = turn.intent or ("help" if kind in {"message", "postback"} else None)
