"""Japanese names for the intents and flows the chatbot-use figures are counted by, so that staff
read 「ごみの分別」 rather than ``garbage_lookup`` (国富町 9(3)(オ)⑥: the monthly figures are handed to a
manager as they are). A name not listed (a town's own intent or scenario) is shown as it is."""

from __future__ import annotations

USAGE_LABELS: dict[str, str] = {
    # intents (content/<town>/nlu/*.yml) and what the router records in their place
    "greet": "あいさつ",
    "thanks": "お礼",
    "help": "使い方・メニュー",
    "stop": "中止",
    "affirm": "はい（同意）",
    "deny": "いいえ",
    "faq": "よくある質問",
    "garbage_lookup": "ごみの分別",
    "report_damage": "損傷の通報",
    "facility_search": "施設の案内",
    "booking_make": "施設の予約",
    "booking_manage": "予約の確認・取り消し",
    "procedure_nav": "手続きナビ",
    "delivery_settings": "配信の設定",
    "out_of_scope": "対象外の話題",
    "nlu_fallback": "理解できなかった",
    "emergency": "緊急（119番・110番のご案内）",
    "handover": "有人チャット",
    "flow_answer": "会話の途中の回答",
    "shelter_search": "避難所の検索",
    "safety_check": "安否確認",
    "follow": "友だち追加",
    "maintenance": "メンテナンス中の受付",
    # flows (dialogues/*)
    "booking": "施設の予約",
    "facility": "施設の案内",
    "form": "フォーム・アンケート",
    "garbage": "ごみの分別",
    "procedure": "手続きナビ",
    "report": "損傷の通報",
    "scenario": "シナリオ",
}


def usage_label(name: str) -> str:
    """The Japanese name of an intent or flow; the name itself when the town added it."""
    return USAGE_LABELS.get(name, name)
