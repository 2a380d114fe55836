"""Reading the citizen's words: which facility a sentence names, which purpose (times: ``wish.py``)."""

from __future__ import annotations

import re

from civic.booking.services import normalize
from dialogues.booking import texts as bt

CATEGORY_SUFFIXES = ("体育館", "武道館", "運動公園", "グラウンド", "グランド", "広場", "キャンプ場", "テニスコート",
                     "ドッグラン", "センター", "運動場", "球場")


def facility_keys(name: str, town: str) -> list[str]:
    """Words that name a facility in a sentence: 「桜木体育館」「桜木」「アリーナみどり」."""
    keys = [bt.short_name(name, town)]
    base = re.sub(r"[（(].*?[）)]", "", name)
    if town and base.startswith(town):
        base = base[len(town):]
    keys.append(base)
    for k in list(keys):
        for suffix in CATEGORY_SUFFIXES:
            if k.endswith(suffix) and len(k) - len(suffix) >= 2:
                keys.append(k[: -len(suffix)])
    return [k for k in dict.fromkeys(keys) if len(k) >= 2 and k not in CATEGORY_SUFFIXES]


def unit_core(unit_name: str) -> str:
    return re.sub(r"[（(].*?[）)]", "", unit_name)


def match_option(options: list[str], text: str) -> str | None:
    """The option the text names (exactly, or the longest one it contains)."""
    t = normalize(text)
    if not t:
        return None
    exact = [o for o in options if normalize(o) == t]
    if exact:
        return exact[0]
    inside = [o for o in options if len(normalize(o)) >= 2 and normalize(o) in t and o != "その他"]
    return max(inside, key=len) if inside else None
