"""Every life-event tree of the demo town: every answer path leads to a non-empty, complete result."""

from __future__ import annotations

from datetime import date

import pytest

from civic.procedures.navigator import NavigationState, Navigator, ValidationProblem
from civic.procedures.tree import LABEL_MAX, MAX_DEPTH, Content

REQUIRED_EVENTS = {"tennyu", "tenkyo", "tenshutsu", "shussei", "konin", "rikon", "shibou", "shimei", "shomei"}


def all_paths(nav: Navigator) -> list[dict[str, str]]:
    """Depth-first over every option of every applicable question (dates: the earliest and the latest)."""
    done: list[dict[str, str]] = []

    def walk(state: NavigationState) -> None:
        question = nav.next_question(state.answers)
        if question is None:
            done.append(state.answers)
            return
        if question.kind == "choice":
            values = [o.value for o in question.options]
        else:
            low, high = nav.date_bounds(question)
            values = sorted({(low or date(2026, 1, 5)).isoformat(), (high or date(2026, 11, 30)).isoformat()})
        if not question.required:
            values.append("")
        for value in values:
            after = nav.answer(state, question.id, value)
            assert not isinstance(after, ValidationProblem), (question.id, value, after)
            walk(after)

    walk(nav.start())
    return done


def test_the_nine_life_events_of_item_k_are_there(content: Content) -> None:
    assert REQUIRED_EVENTS <= set(content.events)


@pytest.mark.parametrize("code", sorted(REQUIRED_EVENTS))
def test_every_answer_path_gives_a_complete_result(content: Content, clock, code: str) -> None:
    nav = Navigator(content, content.event(code), clock)
    paths = all_paths(nav)
    assert len(paths) >= 4
    for answers in paths:
        assert nav.progress(answers) == 100
        results = nav.result(answers)
        assert results, (code, answers)
        for r in results:
            assert r.name and r.counter.place
            assert not r.counter.external or "町役場ではありません" in r.counter.place
            assert r.counter.external or r.counter.floor is not None
        assert len({r.code for r in results}) == len(results), "a procedure listed twice"


@pytest.mark.parametrize("code", sorted(REQUIRED_EVENTS))
def test_trees_respect_depth_and_label_limits(content: Content, clock, code: str) -> None:
    event = content.event(code)
    nav = Navigator(content, event, clock)
    assert len(event.label) <= LABEL_MAX
    for slot_question in nav.applicable({}):
        assert nav.depth(slot_question.id) == 1
    depths = [nav.depth(q) for q in nav._by_id]
    assert max(depths) <= MAX_DEPTH
    for q in (s.question for s in nav._slots):
        assert all(len(o.label) <= LABEL_MAX for o in q.options)


def test_some_tree_uses_all_three_levels(content: Content, clock) -> None:
    deepest = max(max(Navigator(content, e, clock).depth(q) for q in Navigator(content, e, clock)._by_id)
                  for e in content.events.values())
    assert deepest == 3


def test_every_catalogue_procedure_is_used_by_some_event(content: Content) -> None:
    used = {u.code for e in content.events.values() for u in e.procedures}
    assert used == set(content.catalogue)


def test_legal_deadlines_of_the_demo_content(content: Content) -> None:
    c = content.catalogue
    assert (c[101].deadline.days, c[101].deadline.first_day_counts) == (14, False)  # 転入 住基法22条
    assert (c[102].deadline.days, c[103].deadline.days) == (14, 14)  # 転居 23条 / 転出 24条
    assert (c[601].deadline.days, c[601].deadline.first_day_counts) == (14, True)  # 出生 戸籍法49条・43条
    assert (c[605].deadline.days, c[605].deadline.first_day_counts) == (7, True)  # 死亡 戸籍法86条
    assert c[612].deadline.months == 3 and c[614].deadline.months == 3  # 国外 3か月
    assert c[613].deadline.days == 10  # 裁判離婚 戸籍法77条・63条
    assert c[604].deadline.months == 3  # 婚氏続称 戸籍法77条の2
    assert any("マイナポータル" in o.name for o in c[103].online)  # オンライン転出
