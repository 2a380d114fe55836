"""CSV that opens cleanly in Excel on a town hall PC: UTF-8 with BOM, CRLF, Japanese headers.

Every CSV the service writes goes through ``csv_line`` (``csv_bytes``, ``csv_text``, and the admin
API's ``downloads.stream_csv``), so every export is protected from formula injection the same way.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

BOM = "\ufeff"

#: A cell starting with one of these runs as a formula in Excel or LibreOffice (CSV injection,
#: OWASP), full-width forms included: spreadsheets fold them to their ASCII forms.
FORMULA_STARTS = frozenset("=+-@\t\r\n＝＋－＠")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def safe_cell(value: Any) -> str:
    """The text of one cell: numbers as they are, anything that could start a formula quoted with ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    text = str(value)
    if text[:1] in FORMULA_STARTS and not _NUMBER.match(text):
        return "'" + text
    return text


def csv_line(values: Sequence[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([safe_cell(v) for v in values])
    return buffer.getvalue()


def csv_text(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    parts = [BOM, csv_line(headers)]
    parts.extend(csv_line(row) for row in rows)
    return "".join(parts)


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    return csv_text(headers, rows).encode("utf-8")
