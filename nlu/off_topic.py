"""Another town's matter: 「横浜市の粗大ごみ」「大阪市役所の電話番号」 are questions our FAQ seems to
know (粗大ごみ, 電話番号) but must not answer — the answer would be ours, not theirs.

A proper place name (Sudachi 固有名詞) with a municipal suffix (市 区 都 府 県 町 村, or 市役所 …)
that is not one of the town's own places, followed by の/で/は or naming the office itself, marks
the message ``out_of_scope``. 「東京都に引っ越す」 (a move away: ours) is not marked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .normalize import Morphology, clean_text, fold_kana

__all__ = ["ElsewhereRule"]

_SUFFIXES = frozenset("市区都府県町村")
_OFFICES = frozenset({"市役所", "区役所", "役所", "役場", "町役場", "村役場", "県庁", "府庁", "都庁", "庁"})
_AFTER = frozenset({"の", "で", "は", "では", "にある", "内"})
_ANY_SUFFIX = re.compile("[市区都府県町村庁]|役所|役場")  # no such character: no tokenising at all


class ElsewhereRule:
    def __init__(self, morphology: Morphology, home_places: Iterable[str] = ()) -> None:
        self.morphology = morphology
        self.home = {fold_kana(p) for p in home_places if p}

    def _is_home(self, name: str) -> bool:
        key = fold_kana(name)
        return any(key == h or h.startswith(key) for h in self.home)

    def applies(self, text: str) -> bool:
        if not _ANY_SUFFIX.search(text):
            return False
        tokens = self.morphology.tokenize(clean_text(text)[:300], "A")
        for i in range(len(tokens) - 1):
            place, nxt = tokens[i], tokens[i + 1]
            if place.pos2 != "固有名詞" or self._is_home(place.surface):
                continue
            after = tokens[i + 2].surface if i + 2 < len(tokens) else ""
            if nxt.surface in _OFFICES or (nxt.surface in _SUFFIXES and (after in _AFTER or after in _OFFICES)):
                return not self._is_home(place.surface + nxt.surface[:1])
        return False
