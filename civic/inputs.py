"""Reading what people send: JSON within size and nesting limits, CSV rows with an error per row.

Every edge (the staff API, the LIFF pages, Open311, the NLU endpoint) reads bodies through here,
so a body nested ten thousand levels deep or a CSV cell of megabytes is refused with a reason
rather than reaching code that recurses or a parser that raises something nobody expects.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

MAX_JSON_BYTES = 2 * 1024 * 1024
#: Deeper than any body we take (a Flex message is about 12 levels); far below Python's recursion limit.
MAX_DEPTH = 64


class RefusedJson(ValueError):
    """``reason``: invalid, too_large or too_deep; ``message`` in Japanese."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def depth_of(value: Any) -> int:
    """How many arrays and objects deep ``value`` is (without recursing)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            stack.extend((child, depth) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def loads_json(raw: bytes | str, *, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that raises only ``RefusedJson`` (a ValueError); NaN and Infinity are not JSON."""
    if len(raw) > max_bytes:
        raise RefusedJson("too_large", f"送信内容が大きすぎます（{max_bytes // 1024:,} KB まで）。")
    try:
        data = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        data = None
    except (ValueError, TypeError):
        raise RefusedJson("invalid", "JSON の形式が正しくありません。") from None
    else:
        if depth_of(data) <= max_depth:
            return data
    raise RefusedJson("too_deep", f"入れ子が深すぎます（{max_depth}段まで）。")


class CsvRowError(ValueError):
    """A row the csv module cannot read (a cell over the size limit, a broken quote): its number
    (the header is row 1) and a Japanese message naming it."""

    def __init__(self, row: int, message: str) -> None:
        super().__init__(message)
        self.row, self.message = row, message


def csv_rows(text: str) -> Iterator[list[str]]:
    """The rows of a CSV text; raises ``CsvRowError`` at the first row that cannot be read.

    The csv module's own cell limit (131,072 characters, far above any real cell) stays in force:
    raising it for one upload would change it for the whole process."""
    reader = csv.reader(io.StringIO(text))
    row = 0
    while True:
        row += 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                message = f"{row}行目: 項目が長すぎます（1項目 {csv.field_size_limit():,} 文字まで）。"
            else:
                message = f"{row}行目: CSV として読めません（引用符 \" の対応などを確かめてください）。"
            raise CsvRowError(row, message) from None
        yield values
