"""How long (「2時間」「1時間半」「90分」): a ``duration`` entity in minutes.

「2時間」 is a length, never the clock time 14:00 (``dates`` does not read 時間 as 時). Whole parts of
the day (「午後いっぱい」「終日」) are times (``dates``), marked ``whole``.
"""

from __future__ import annotations

import re

from ..normalize import fold_with_offsets
from .numbers import NUM, to_int
from .types import Entity, make_entity

__all__ = ["extract_durations"]

_DURATION = re.compile(
    rf"(?P<h>{NUM})\s*時間\s*(?:(?P<half>半)|(?P<m>{NUM})\s*分)?"
    rf"|(?<![0-9〇一二三四五六七八九十時:])(?P<mo>{NUM})\s*分(?:間)?(?!前|後|おき|ごと|過ぎ)"
)


def extract_durations(text: str) -> list[Entity]:
    """``2時間`` → 120; ``1時間半`` → 90; ``2時間30分`` → 150; ``90分`` → 90 (minutes, as text)."""
    folded, index = fold_with_offsets(text)
    out: list[Entity] = []
    for m in _DURATION.finditer(folded):
        if m.group("h") is not None:
            hours = to_int(m.group("h"))
            minutes = 30 if m.group("half") else (to_int(m.group("m")) if m.group("m") else 0)
            if hours is None or minutes is None:
                continue
            total = hours * 60 + minutes
        else:
            total = to_int(m.group("mo")) or 0
        if not 0 < total <= 24 * 60:
            continue
        out.append(make_entity("duration", str(total), index[m.start()], index[m.end() - 1] + 1, "durations",
                               additional_info={"unit": "minute"}))
    return out
