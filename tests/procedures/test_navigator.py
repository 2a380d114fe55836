"""Asking question by question: conditions, progress, required answers, dates, deadlines."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from civic.procedures.conditions import ConditionError, parse_condition
from civic.procedures.navigator import IncompleteAnswers, NavigationState, Navigator, ValidationProblem
from civic.procedures.tree import Content


def walk(nav: Navigator, *pairs: tuple[str, str]) -> NavigationState:
    state = nav.start()
    for qid, value in pairs:
        state = nav.answer(state, qid, value)
        assert isinstance(state, NavigationState), state
    return state


def test_conditions_combine() -> None:
    c = parse_condition({"any": [{"a": "x"}, {"all": [{"b": ["y", "z"]}, {"not": {"c": True}}]}]})
    assert c.holds({"a": "x"})
    assert c.holds({"b": "z", "c": "no"})
    assert not c.holds({"b": "z", "c": "yes"})  # YAML true is the answer "yes"
    assert not c.holds({})  # unanswered questions make conditions false
    assert parse_condition({"a": "x", "b": "y"}).holds({"a": "x", "b": "y"})
    assert not parse_condition({"a": "x", "b": "y"}).holds({"a": "x"})
    with pytest.raises(ConditionError):
        parse_condition(["a"])
    with pytest.raises(ConditionError):
        parse_condition({"any": []})


def test_follow_up_questions_appear_only_under_their_option(content: Content, clock) -> None:
    nav = Navigator(content, content.event("tennyu"), clock)
    state = nav.start()
    assert nav.next_question(state.answers).id == "from"
    domestic = walk(nav, ("from", "domestic"))
    assert nav.next_question(domestic.answers).id == "online"
    paper = walk(nav, ("from", "domestic"), ("online", "paper"))
    assert nav.next_question(paper.answers).id == "certificate"  # third level
    abroad = walk(nav, ("from", "abroad"))
    assert nav.next_question(abroad.answers).id == "nationality"
    ids = [q.id for q in nav.applicable(abroad.answers)]
    assert "pension" in ids and "online" not in ids  # a condition on an earlier answer (when:)
    assert "pension" not in [q.id for q in nav.applicable(domestic.answers)]


def test_changing_an_answer_drops_answers_that_no_longer_apply(content: Content, clock) -> None:
    nav = Navigator(content, content.event("tennyu"), clock)
    state = walk(nav, ("from", "domestic"), ("online", "paper"), ("certificate", "yes"))
    state = nav.answer(state, "from", "abroad")
    assert state.answers == {"from": "abroad"}
    back = nav.back(walk(nav, ("from", "domestic"), ("online", "online")))
    assert back.answers == {"from": "domestic"}


def test_progress_is_the_share_of_applicable_questions_answered(content: Content, clock) -> None:
    nav = Navigator(content, content.event("shomei"), clock)
    assert nav.progress({}) == 0
    # shomei: kind, card apply at first (2 questions); answering kind=jumin adds "requester"
    state = walk(nav, ("kind", "jumin"))
    assert len(nav.applicable(state.answers)) == 3
    assert nav.progress(state.answers) == 33
    state = walk(nav, ("kind", "jumin"), ("requester", "self"))
    assert nav.progress(state.answers) == 66
    state = nav.answer(state, "card", "no")
    assert nav.progress(state.answers) == 100 and nav.is_complete(state.answers)
    assert nav.progress(walk(nav, ("kind", "inkan")).answers) == 50


def test_required_answers_are_enforced(content: Content, clock) -> None:
    nav = Navigator(content, content.event("tennyu"), clock)
    problem = nav.answer(nav.start(), "from", "")
    assert isinstance(problem, ValidationProblem) and problem.code == "required"
    assert "回答が必要" in problem.message
    assert nav.answer(nav.start(), "from", "mars").code == "not_an_option"
    assert nav.answer(nav.start(), "nope", "x").code == "unknown_question"
    assert nav.answer(nav.start(), "online", "online").code == "not_applicable"
    with pytest.raises(IncompleteAnswers) as exc:
        nav.result({"from": "domestic"})
    assert "online" in exc.value.missing and "moved_on" in exc.value.missing


def test_optional_questions_may_be_skipped(content: Content, clock) -> None:
    nav = Navigator(content, content.event("tennyu"), clock)
    seal = nav.question("seal")
    assert not seal.required
    assert nav.check(seal, "") == ""


def test_an_option_can_be_given_by_its_label(content: Content, clock) -> None:
    nav = Navigator(content, content.event("tennyu"), clock)  # quick replies send the label as text
    state = nav.answer(nav.start(), "from", "海外")
    assert state.answers == {"from": "abroad"}


@pytest.mark.parametrize(("text", "code"), [
    ("2026年2月30日", "impossible_date"),
    ("令和8年13月1日", "impossible_date"),
    ("平成31年5月1日", "impossible_date"),
    ("きのう", "impossible_date"),
    ("2026-12-02", "in_future"),  # 出生: no future dates
    ("2025-11-30", "too_early"),  # more than 365 days ago
])
def test_impossible_and_out_of_range_dates_are_refused(content: Content, clock, text: str, code: str) -> None:
    nav = Navigator(content, content.event("shussei"), clock)
    problem = nav.answer(nav.start(), "born_on", text)
    assert isinstance(problem, ValidationProblem) and problem.code == code, problem
    assert problem.message


def test_dates_in_wareki_are_taken(content: Content, clock) -> None:
    nav = Navigator(content, content.event("shussei"), clock)
    state = nav.answer(nav.start(), "born_on", "令和8年11月20日")
    assert state.answers["born_on"] == "2026-11-20"


def _result(nav: Navigator, answers: dict[str, str], code: int):
    return next(r for r in nav.result(answers) if r.code == code)


def test_deadlines_count_as_the_law_does(content: Content, clock) -> None:
    nav = Navigator(content, content.event("tennyu"), clock)
    answers = {"from": "domestic", "online": "online", "moved_on": "2026-11-20", "card": "no", "kokuho": "no",
               "elderly": "none", "children": "no", "seal": "no", "dog": "no"}
    tennyu = _result(nav, answers, 101)
    assert tennyu.deadline_date == date(2026, 12, 4)  # 住基法: the day after + 14 days
    assert not tennyu.overdue and "12月4日（金）" in tennyu.deadline_display
    assert "マイナンバーカード" in "".join(tennyu.bring)
    birth = Navigator(content, content.event("shussei"), clock)
    b = {"born_on": "2026-11-20", "born_in": "japan", "kokuho": "no", "public_servant": "no", "single": "no",
         "card": "no"}
    assert _result(birth, b, 601).deadline_date == date(2026, 12, 3)  # 戸籍法: the day itself is day 1


def test_a_deadline_on_a_closed_day_moves_to_the_next_open_day(content: Content, clock) -> None:
    nav = Navigator(content, content.event("shussei"), clock)
    b = {"born_on": "2026-11-22", "born_in": "japan", "kokuho": "no", "public_servant": "no", "single": "no",
         "card": "no"}
    r = _result(nav, b, 601)  # 22 Nov + 13 days = Sat 5 Dec → Mon 7 Dec
    assert r.deadline_date == date(2026, 12, 7) and r.deadline_moved
    assert "翌開庁日" in r.deadline_display


def test_an_overdue_deadline_is_flagged(content: Content, clock) -> None:
    nav = Navigator(content, content.event("shibou"), clock)
    died = (date(2026, 12, 1) - timedelta(days=20)).isoformat()
    answers = {"died_on": died, "died_in": "japan", "head": "no", "insurance": "other", "pension": "none",
               "care": "no", "seal": "no", "allowance": "no", "property": "no", "income": "no"}
    assert _result(nav, answers, 605).overdue


def test_state_survives_a_round_trip_through_plain_data(content: Content, clock) -> None:
    nav = Navigator(content, content.event("tennyu"), clock)
    state = walk(nav, ("from", "domestic"))
    again = NavigationState.from_dict(state.to_dict())
    assert again == state and nav.next_question(again.answers).id == "online"


def test_the_summary_shows_labels_and_dates(content: Content, clock) -> None:
    nav = Navigator(content, content.event("shussei"), clock)
    state = walk(nav, ("born_on", "2026-11-20"), ("born_in", "japan"))
    rows = dict(nav.summary(state.answers))
    assert rows["お子さんはどこで生まれましたか？"] == "日本国内"
    assert rows["お子さんが生まれた日はいつですか？"] == "2026年11月20日（金）"
