"""Turning a typed address into a position, and the town's extent.

``Geocoder`` is the interface; ``OfflineGeocoder`` answers from a table of the town's place names
(町名, 丁目, landmarks) — enough for the demo and for towns without a geocoding contract. A real
service (国土地理院, a commercial API) can be put behind the same interface.
Distances use geopy's great-circle distance.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from geopy.distance import great_circle

_KANJI_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_BLOCK = re.compile(r"(\D+?)(\d+)(?:丁目|-|－|ー|の)")


@dataclass(frozen=True)
class Position:
    latitude: float
    longitude: float
    label: str = ""

    @property
    def pair(self) -> tuple[float, float]:
        return (self.latitude, self.longitude)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (geopy): within 0.5 % of the geodesic one, and ten times cheaper —
    enough to rank facilities and to tell whether a position is in the town."""
    return float(great_circle(a, b).meters)


@dataclass(frozen=True)
class TownArea:
    """The town's extent, as a circle (enough to catch positions far outside the town)."""

    latitude: float
    longitude: float
    radius_km: float

    def contains(self, latitude: float, longitude: float) -> bool:
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            return False
        return distance_m((self.latitude, self.longitude), (latitude, longitude)) <= self.radius_km * 1000


class Geocoder(Protocol):
    async def geocode(self, query: str) -> Position | None:
        """The position of an address or place name in the town; None when unknown."""
        ...


def _kanji_number(text: str) -> str:
    def convert(match: re.Match[str]) -> str:
        s = match.group(0)
        if "十" in s:
            tens, _, ones = s.partition("十")
            return str((_KANJI_DIGITS.get(tens, 1) if tens else 1) * 10 + (_KANJI_DIGITS.get(ones, 0) if ones else 0))
        return "".join(str(_KANJI_DIGITS[c]) for c in s)

    return re.sub(r"[〇一二三四五六七八九十]+(?=丁目)", convert, text)


def normalize_address(text: str, prefixes: Iterable[str] = ()) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"\s+", "", text)
    text = _kanji_number(text)
    text = text.replace("ヶ", "ケ").replace("ヵ", "ケ").replace("が丘", "ケ丘")
    for prefix in sorted(prefixes, key=len, reverse=True):
        prefix = unicodedata.normalize("NFKC", prefix).replace("ヶ", "ケ")
        if prefix and text.startswith(prefix):
            text = text[len(prefix):]
    # 本町1-5-3 / 本町1の5 → 本町1丁目
    text = _BLOCK.sub(lambda m: f"{m.group(1)}{m.group(2)}丁目", text, count=1)
    return text


class OfflineGeocoder:
    """Looks names up in a table (``name,latitude,longitude[,label]``): the longest name found wins."""

    def __init__(self, places: Iterable[tuple[str, float, float, str]], *, prefixes: Iterable[str] = ()) -> None:
        self.prefixes = tuple(prefixes)
        self._table: dict[str, Position] = {}
        for name, lat, lon, label in places:
            key = normalize_address(name, self.prefixes)
            if key:
                self._table[key] = Position(lat, lon, label or name)
        self._keys = sorted(self._table, key=len, reverse=True)

    @classmethod
    def from_csv(cls, path: str | Path, *, prefixes: Iterable[str] = ()) -> OfflineGeocoder:
        rows = []
        with open(path, encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                try:
                    rows.append((row["name"].strip(), float(row["latitude"]), float(row["longitude"]),
                                 (row.get("label") or "").strip()))
                except (KeyError, TypeError, ValueError):
                    continue
        return cls(rows, prefixes=prefixes)

    def lookup(self, query: str) -> Position | None:
        text = normalize_address(query, self.prefixes)
        if not text:
            return None
        if text in self._table:
            return self._table[text]
        for key in self._keys:
            if len(key) >= 2 and key in text:
                return self._table[key]
        return None

    async def geocode(self, query: str) -> Position | None:
        return self.lookup(query)
