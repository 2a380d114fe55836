"""Numbers written in Arabic or kanji digits, and counts with Japanese counters (10人, 2面)."""

from __future__ import annotations

import re

from ..normalize import fold_with_offsets
from .types import Entity, make_entity

__all__ = ["NUM", "extract_counts", "to_int"]

NUM = r"[0-9〇零一二三四五六七八九十百千]+"
_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}

# counter → (entity name, unit reported in additional_info)
_COUNTERS = {
    "人": "people", "名": "people", "人様": "people",
    "面": "count", "台": "count", "個": "count", "枚": "count", "本": "count", "袋": "count",
    "件": "count", "部屋": "count", "室": "count", "コート": "count", "区画": "count", "張": "count",
}
_COUNT = re.compile(
    rf"(?<![0-9〇一二三四五六七八九十百千./:-])(?P<num>{NUM})\s*(?P<unit>人様|部屋|コート|区画|[人名面台個枚本袋件室張])"
    r"(?!間|目|前|後|分|時|日|月|年|体|形|気|口|物|生|事|工|前)"
)


def to_int(text: str) -> int | None:
    """``"12"``, ``"十二"``, ``"二〇二六"``, ``"二十五"`` → int; None when it is not a number."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if all(ch in _DIGITS for ch in text):
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total, current = 0, 0
    for ch in text:
        if ch.isdigit():
            current = current * 10 + int(ch)
        elif ch in _DIGITS:
            current = current * 10 + _DIGITS[ch]
        elif ch in _UNITS:
            total += (current or 1) * _UNITS[ch]
            current = 0
        else:
            return None
    return total + current


def extract_counts(text: str) -> list[Entity]:
    """``10人`` → people=10; ``2面`` → count=2 (unit 面). Offsets refer to ``text``."""
    folded, index = fold_with_offsets(text)
    out: list[Entity] = []
    for m in _COUNT.finditer(folded):
        value = to_int(m.group("num"))
        if value is None or value <= 0 or value > 100000:
            continue
        unit = m.group("unit")
        start, end = index[m.start()], index[m.end() - 1] + 1
        out.append(make_entity(_COUNTERS[unit], value, start, end, "counts", additional_info={"unit": unit}))
    return out
