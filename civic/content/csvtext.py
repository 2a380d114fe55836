"""CSV as towns give it: UTF-8 (with or without BOM) or Shift_JIS; CSV out with a BOM for Excel."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

from civic.stats.csvfile import FORMULA_STARTS

BOM = "\ufeff"


def decode(data: bytes) -> str:
    """UTF-8 if it is valid UTF-8, else Shift_JIS (cp932, Windows' Shift_JIS as Excel writes it)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp932", errors="replace")


def read_rows(text: str) -> list[tuple[int, list[str]]]:
    """Non-empty rows with their line numbers (1-based, as a spreadsheet shows them)."""
    out = []
    reader = csv.reader(io.StringIO(text.lstrip(BOM)))
    for row in reader:
        if any(c.strip() for c in row):
            out.append((reader.line_num, [_unquoted(c.strip()) for c in row]))
    return out


def _unquoted(cell: str) -> str:
    """A cell our export quoted so that a spreadsheet would not run it (``'=…``) reads as written."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in FORMULA_STARTS else cell


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return BOM + buffer.getvalue()


def column_map(header: Sequence[str], aliases: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Which column holds each field, by the header's names (English or Japanese, any case)."""
    lowered = [h.strip().lower().lstrip(BOM) for h in header]
    found: dict[str, int] = {}
    for field_, names in aliases.items():
        for name in names:
            if name.lower() in lowered:
                found[field_] = lowered.index(name.lower())
                break
    return found
