"""FAQ CSV out and back in: cells a spreadsheet would run as formulas are quoted on export, and the
quote is taken off again on import, so a round trip keeps what staff wrote."""

from __future__ import annotations

from datetime import UTC, datetime

from civic.content.faq import export_csv, parse_csv
from civic.content.models import PUBLISHED, FaqEntryRow


def test_a_formula_like_answer_is_quoted_out_and_read_back_as_written() -> None:
    row = FaqEntryRow(id="q1", question="=1+1 とは", alternatives=["-2 の意味", "通常の言い方"], answer="@SUM(1)",
                      category="＋その他", keywords=["計算"], status=PUBLISHED,
                      updated_at=datetime(2026, 12, 4, tzinfo=UTC))
    text = export_csv([row])
    assert "'=1+1 とは" in text and "'@SUM(1)" in text and "'＋その他" in text
    entries, errors = parse_csv(text)
    assert not errors
    (_, got), = entries
    assert got["question"] == "=1+1 とは" and got["answer"] == "@SUM(1)" and got["category"] == "＋その他"
    assert got["alternatives"] == ["-2 の意味", "通常の言い方"] and got["status"] == PUBLISHED


def test_a_cell_that_merely_starts_with_a_quote_stays_as_it_is() -> None:
    entries, _ = parse_csv("question,answer\n'引用' について,'のみ\n")
    (_, got), = entries
    assert got["question"] == "'引用' について" and got["answer"] == "'のみ"
