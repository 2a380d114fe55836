"""The one CSV writer every export uses: formula injection neutralised, numbers left alone."""

from __future__ import annotations

import csv
import io

import pytest

from civic.stats.csvfile import csv_bytes, safe_cell

DANGEROUS = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1", "\n=1",
             "＝HYPERLINK(\"http://x\")", "＋1＋1", "－1＋1", "＠SUM(A1)", "-", "=", "-inf", "+nan"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_cells_that_could_run_as_a_formula_are_quoted(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value, shown", [(-12, "-12"), ("-3.5", "-3.5"), ("+81", "+81"), (1.5e-3, "0.0015"),
                                          ("1-2-3", "1-2-3"), ("山田", "山田"), (None, ""), (True, "はい")])
def test_numbers_and_ordinary_text_are_left_alone(value, shown: str) -> None:
    assert safe_cell(value) == shown


def test_a_whole_file_reads_back_with_every_cell_neutralised() -> None:
    body = csv_bytes(["名前", "数"], [[t, -1] for t in DANGEROUS])
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8")[1:], newline="")))
    assert [r[0] for r in rows[1:]] == ["'" + t for t in DANGEROUS] and {r[1] for r in rows[1:]} == {"-1"}
