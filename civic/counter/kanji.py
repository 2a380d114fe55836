"""単漢字検索 (小郡市 spec §(4) h): find one kanji for a name by its reading, its 部首 or its strokes.

The dictionary is KANJIDIC2 (the Electronic Dictionary Research and Development Group's, 13,108
characters with 音読み, 訓読み, 名乗り (readings used in names), 部首 and 画数), as Debian's
``kanjidic-xml`` package installs it (``/usr/share/edict/kanjidic2.xml.gz``; ``COUNTER_KANJIDIC``
points elsewhere). Read once, on first use. Debian ships no KRADFILE, so "by component" means by
the character's 部首 (classical radical): 「木」「氵」「さんずい」 all work.
"""

from __future__ import annotations

import gzip
import os
import threading
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATH = Path("/usr/share/edict/kanjidic2.xml.gz")

#: Forms of a radical as it appears inside a character, and names staff say, → the classical number.
RADICAL_ALIASES = {
    "亻": 9, "にんべん": 9, "冫": 15, "にすい": 15, "刂": 18, "りっとう": 18, "忄": 61, "りっしんべん": 61,
    "扌": 64, "てへん": 64, "氵": 85, "さんずい": 85, "灬": 86, "れっか": 86, "犭": 94, "けものへん": 94,
    "王": 96, "たまへん": 96, "礻": 113, "しめすへん": 113, "罒": 122, "艹": 140, "くさかんむり": 140,
    "衤": 145, "ころもへん": 145, "辶": 162, "しんにょう": 162, "阝": 170, "こざとへん": 170,
    "おおざと": 163, "月": 74, "つきへん": 74, "きへん": 75, "いとへん": 120, "ごんべん": 149,
    "かねへん": 167, "うかんむり": 40, "たけかんむり": 118, "あめかんむり": 173, "しんにゅう": 162,
    "くにがまえ": 31, "もんがまえ": 169, "やまいだれ": 104, "まだれ": 53, "がんだれ": 27, "しかばね": 44,
    "おんなへん": 38, "ひへん": 72, "つちへん": 32, "やまへん": 46, "いしへん": 112, "こめへん": 119,
    "のぎへん": 115, "ぎょうにんべん": 60, "うまへん": 187, "さかなへん": 195, "とりへん": 196,
}


@dataclass(frozen=True)
class Kanji:
    char: str
    on: tuple[str, ...]
    kun: tuple[str, ...]
    nanori: tuple[str, ...]
    radical: int
    strokes: int
    freq: int | None
    grade: int | None

    @property
    def radical_char(self) -> str:
        return unicodedata.normalize("NFKC", chr(0x2F00 + self.radical - 1))

    def readings(self) -> set[str]:
        """Every reading as hiragana, 訓読み both whole (つぐ) and as the stem before the 送り仮名 (つ)."""
        out = {hiragana(r) for r in self.on + self.nanori}
        for r in self.kun:
            r = r.strip("-")
            out.add(hiragana(r.replace(".", "")))
            out.add(hiragana(r.split(".")[0]))
        return out


def hiragana(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip()
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


class KanjiDictionary:
    def __init__(self, entries: list[Kanji]) -> None:
        self.entries = entries
        self.by_char = {k.char: k for k in entries}
        self._radicals = {k.radical_char: k.radical for k in entries}

    @classmethod
    def load(cls, path: Path | None = None) -> KanjiDictionary:
        path = path or Path(os.environ.get("COUNTER_KANJIDIC", DEFAULT_PATH))
        entries: list[Kanji] = []
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            for _, el in ET.iterparse(f):
                if el.tag != "character":
                    continue
                readings = el.findall("reading_meaning/rmgroup/reading")
                freq, grade = el.findtext("misc/freq"), el.findtext("misc/grade")
                entries.append(Kanji(
                    char=el.findtext("literal") or "",
                    on=tuple(r.text or "" for r in readings if r.get("r_type") == "ja_on"),
                    kun=tuple(r.text or "" for r in readings if r.get("r_type") == "ja_kun"),
                    nanori=tuple(n.text or "" for n in el.findall("reading_meaning/nanori")),
                    radical=int(el.findtext("radical/rad_value[@rad_type='classical']") or 0),
                    strokes=int(el.findtext("misc/stroke_count") or 0),
                    freq=int(freq) if freq else None, grade=int(grade) if grade else None))
                el.clear()
        return cls(entries)

    def radical_number(self, component: str) -> int | None:
        component = unicodedata.normalize("NFKC", component.strip())
        if not component:
            return None
        if component in RADICAL_ALIASES:
            return RADICAL_ALIASES[component]
        if hiragana(component) in RADICAL_ALIASES:
            return RADICAL_ALIASES[hiragana(component)]
        if component in self._radicals:
            return self._radicals[component]
        known = self.by_char.get(component)
        return known.radical if known else None

    def search(self, *, reading: str = "", component: str = "", strokes: int | None = None,
               limit: int = 80) -> list[Kanji]:
        """Characters with that reading (音・訓・名乗り) and/or 部首 and/or 画数; common ones first."""
        wanted = hiragana(reading)
        radical = self.radical_number(component) if component else None
        if component and radical is None:
            return []
        found = [k for k in self.entries
                 if (not wanted or wanted in k.readings())
                 and (radical is None or k.radical == radical)
                 and (strokes is None or k.strokes == strokes)]
        found.sort(key=lambda k: (k.freq is None, k.freq or 0, k.strokes))
        return found[:limit]


_lock = threading.Lock()
_loaded: KanjiDictionary | None = None


def dictionary() -> KanjiDictionary:
    """KANJIDIC2, read on first use and shared. Raises FileNotFoundError when it is not installed."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = KanjiDictionary.load()
        return _loaded
