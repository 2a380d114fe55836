from __future__ import annotations

from civic.procedures.navigator import Navigator
from civic.procedures.text import format_result_text
from civic.procedures.tree import Content

ANSWERS = {"from": "domestic", "online": "paper", "certificate": "no", "moved_on": "2026-11-20", "card": "yes",
           "kokuho": "unsure", "elderly": "age75", "care": "yes", "children": "yes", "school": "yes",
           "public_servant": "no", "seal": "yes", "dog": "yes"}


def test_the_line_text_lists_each_procedure_with_counter_deadline_and_things_to_bring(content: Content, clock) -> None:
    nav = Navigator(content, content.event("tennyu"), clock)
    results = nav.result(ANSWERS)
    text = format_result_text(nav.event, results, content.town)
    assert text.startswith("【転入（町外からの引っ越し）の手続き】\nみどり町役場で必要な手続きは10件です。\n\n1. 転入届\n")
    assert "窓口: 1階 住民課 1番窓口" in text and "2階 教育委員会 学校教育係" in text
    assert "期限: 2026年12月4日（金）まで" in text
    assert "持ち物: 本人確認書類" in text and "転出証明書" in text
    assert "<" not in text and len(text) <= 5000


def test_a_long_result_is_shortened_without_cutting_a_procedure(content: Content, clock) -> None:
    nav = Navigator(content, content.event("tennyu"), clock)
    results = nav.result(ANSWERS)
    text = format_result_text(nav.event, results, content.town, limit=900)
    assert len(text) <= 900 and "ほか" in text and "件の手続きがあります" in text
    assert "オンライン:" not in text


def test_a_question_for_line_shows_progress_and_the_explanation(content: Content, clock) -> None:
    from civic.procedures.text import format_question_text

    nav = Navigator(content, content.event("tennyu"), clock)
    answers = {"from": "domestic"}
    text = format_question_text(nav, nav.next_question(answers), answers)
    assert text.startswith("（") and "% 完了）\n前の市区町村への転出届" in text
    assert "【ことばの説明】「転出届」は" in text
    date_text = format_question_text(nav, nav.question("moved_on"), {"from": "abroad", "nationality": "foreign"})
    assert "令和8年12月1日" in date_text and "2027年1月30日" in date_text
