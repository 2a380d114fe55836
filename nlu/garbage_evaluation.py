"""How often the garbage lookup answers with the wrong category (issue #21: under 1 %).

A wrong category is worse than "please tell me more": a ``found`` answer whose category is not one
the question allows. For a query made from an item, the allowed categories are those of every
item with the same base name (「印鑑」 may be 可燃 or 不燃 by material; asking which is right, naming
one is only right when it is one of them). ``ambiguous`` (the citizen chooses) and ``none`` are
not wrong; they are reported apart.

``variants(dictionary)`` makes queries from a town's own 5374 ``target.csv`` the way residents
type them — the name as listed, without its qualifier, in hiragana, with a question around it, and
with one character dropped — so any town's data can be checked without writing queries by hand.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import jaconv

from .normalize import fold_kana

__all__ = ["evaluate_wrong_category", "variants"]


def _allowed(dictionary: Any) -> dict[str, set[str]]:
    by_base: dict[str, set[str]] = defaultdict(set)
    for item in dictionary.items:
        by_base[fold_kana(item.base_name or item.name)].add(item.category)
    return by_base


def variants(dictionary: Any) -> list[tuple[str, str]]:
    """``(query, item name)`` pairs made from every item of the dictionary."""
    out: list[tuple[str, str]] = []
    for item in dictionary.items:
        base = item.base_name or item.name
        forms = {item.name, base, jaconv.kata2hira(base), f"{base}はどうやって捨てる？", f"{base}って何ごみ？"}
        if len(base) >= 5:
            forms.add(base[: len(base) // 2] + base[len(base) // 2 + 1:])  # one character dropped
        out += [(q, item.name) for q in sorted(forms) if q.strip()]
    return out


def evaluate_wrong_category(dictionary: Any, pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """``pairs``: (query, expected item name). Returns rates of wrong-category answers, right
    ``found`` answers, ``ambiguous`` and ``none``, and the wrong answers themselves."""
    allowed = _allowed(dictionary)
    items = {fold_kana(i.name): i for i in dictionary.items}
    n = wrong = found = ambiguous = none = 0
    wrongs = []
    for query, expected in pairs:
        item = items.get(fold_kana(expected))
        if item is None:
            continue
        n += 1
        ok = allowed.get(fold_kana(item.base_name or item.name), {item.category})
        result = dictionary.lookup(query)
        if result.outcome == "found" and result.best is not None:
            found += 1
            if result.best.item.category not in ok:
                wrong += 1
                wrongs.append({"query": query, "expected": item.name, "got": result.best.item.name,
                               "category": result.best.item.category})
        elif result.outcome == "ambiguous":
            ambiguous += 1
        else:
            none += 1
    d = n or 1
    return {"queries": n, "wrong_category": round(wrong / d, 4), "found": round(found / d, 4),
            "ambiguous": round(ambiguous / d, 4), "none": round(none / d, 4), "wrong": wrongs}
