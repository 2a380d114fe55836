"""Walking a life event's questions one at a time, for the web page and for a LINE dialogue alike.

The navigator holds no state of its own: a :class:`NavigationState` (a small, JSON-friendly value)
goes in and a new one comes out, so a dialogue can keep it in its conversation state::

    nav = Navigator(content, content.event("tennyu"), clock)
    state = nav.start()
    question = nav.next_question(state.answers)          # a Question, or None when done
    state = nav.answer(state, question.id, "domestic")   # or a ValidationProblem to show
    nav.progress(state.answers)                          # 0‥100 (§8(6) l)
    nav.result(state.answers)                            # list[ProcedureResult]
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from civic.clock import Clock, tokyo
from civic.procedures.conditions import ALWAYS, Condition, both, equals
from civic.procedures.dates import DateProblem, display, parse_date
from civic.procedures.dates import deadline as compute_deadline
from civic.procedures.tree import Content, Counter, LifeEvent, Online, Question


@dataclass(frozen=True)
class ValidationProblem:
    """An answer that cannot be taken; ``message`` is polite Japanese for the resident."""

    question_id: str
    message: str
    code: str = "invalid"


@dataclass(frozen=True)
class NavigationState:
    event: str
    answers: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.event, "answers": dict(self.answers)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NavigationState:
        return cls(str(data["event"]), {str(k): str(v) for k, v in dict(data.get("answers") or {}).items()})


@dataclass(frozen=True)
class ProcedureResult:
    code: int
    name: str
    form: str
    prefilled: bool
    counter: Counter
    bring: tuple[str, ...]
    deadline_text: str
    deadline_date: date | None
    deadline_moved: bool
    overdue: bool
    online: tuple[Online, ...]
    notes: tuple[str, ...]
    explanation: str

    @property
    def deadline_display(self) -> str:
        if self.deadline_date is None:
            return self.deadline_text
        moved = "（土日祝日・年末年始のため翌開庁日）" if self.deadline_moved else ""
        return f"{display(self.deadline_date)}まで{moved}（{self.deadline_text}）"


class IncompleteAnswers(ValueError):
    def __init__(self, missing: list[str]) -> None:
        super().__init__("まだ回答していない質問があります: " + ", ".join(missing))
        self.missing = missing


@dataclass(frozen=True)
class _Slot:
    question: Question
    gate: Condition  # the parent answers that lead here, and the question's own condition
    depth: int


def _flatten(questions: tuple[Question, ...], gate: Condition, depth: int) -> Iterator[_Slot]:
    for q in questions:
        own = both(gate, q.when)
        yield _Slot(q, own, depth)
        for option in q.options:
            yield from _flatten(option.then, both(own, equals(q.id, option.value)), depth + 1)


class Navigator:
    def __init__(self, content: Content, event: LifeEvent, clock: Clock) -> None:
        self.content, self.event, self.clock = content, event, clock
        self._slots = list(_flatten(event.questions, ALWAYS, 1))
        self._by_id = {s.question.id: s for s in self._slots}

    # ---- asking ----------------------------------------------------------------------------------

    def today(self) -> date:
        return tokyo(self.clock.now()).date()

    def start(self) -> NavigationState:
        return NavigationState(self.event.code, {})

    def question(self, question_id: str) -> Question | None:
        slot = self._by_id.get(question_id)
        return slot.question if slot else None

    def depth(self, question_id: str) -> int:
        return self._by_id[question_id].depth

    def applicable(self, answers: Mapping[str, str]) -> list[Question]:
        """The questions that apply given the answers so far, in asking order."""
        return [s.question for s in self._slots if s.gate.holds(answers)]

    def next_question(self, answers: Mapping[str, str]) -> Question | None:
        return next((q for q in self.applicable(answers) if q.id not in answers), None)

    def progress(self, answers: Mapping[str, str]) -> int:
        """Per cent of the questions that apply (so far) that are answered (§8(6) l)."""
        applicable = self.applicable(answers)
        if not applicable:
            return 100
        done = sum(1 for q in applicable if q.id in answers)
        return 100 if done == len(applicable) else min(99, done * 100 // len(applicable))

    def is_complete(self, answers: Mapping[str, str]) -> bool:
        return self.next_question(answers) is None

    def date_bounds(self, question: Question) -> tuple[date | None, date | None]:
        """The earliest and latest dates accepted (for a date picker)."""
        today = self.today()
        low = today - timedelta(days=question.dates.past_days) if question.dates.past_days is not None else None
        high = today + timedelta(days=question.dates.future_days) if question.dates.future_days is not None else None
        return low, high

    # ---- answering -------------------------------------------------------------------------------

    def check(self, question: Question, value: str | None) -> str | ValidationProblem:
        """The answer as stored (dates as ISO text), or the problem with it."""
        text = "" if value is None else str(value).strip()
        if not text:
            if question.required:
                return ValidationProblem(question.id, "この質問は回答が必要です。選んでから次へ進んでください。", "required")
            return ""
        if question.kind == "choice":
            option = question.option(text) or next((o for o in question.options if o.label == text), None)
            if option is None:
                return ValidationProblem(question.id, "選択肢の中から選んでください。", "not_an_option")
            return option.value
        try:
            when = parse_date(text)
        except DateProblem as exc:
            return ValidationProblem(question.id, str(exc), "impossible_date")
        low, high = self.date_bounds(question)
        if low is not None and when < low:
            return ValidationProblem(question.id, f"{display(low)}より前の日付は受け付けられません。窓口にご相談ください。",
                                     "too_early")
        if high is not None and when > high:
            if question.dates.future_days == 0:
                return ValidationProblem(question.id, "未来の日付は入力できません。", "in_future")
            return ValidationProblem(question.id, f"{display(high)}より後の日付は、まだ手続きできません。", "too_late")
        return when.isoformat()

    def answer(self, state: NavigationState, question_id: str, value: str | None
               ) -> NavigationState | ValidationProblem:
        """Take one answer (a new one or a change); answers that no longer apply are dropped."""
        slot = self._by_id.get(question_id)
        if slot is None:
            return ValidationProblem(question_id, "この質問はありません。最初からやり直してください。", "unknown_question")
        if not slot.gate.holds(state.answers):
            return ValidationProblem(question_id, "この質問には、今の回答では答える必要がありません。", "not_applicable")
        checked = self.check(slot.question, value)
        if isinstance(checked, ValidationProblem):
            return checked
        answers = dict(state.answers)
        answers[question_id] = checked
        return NavigationState(state.event, self.prune(answers))

    def back(self, state: NavigationState) -> NavigationState:
        """Forget the last answer given (in asking order), to change it."""
        answered = [q.id for q in self.applicable(state.answers) if q.id in state.answers]
        if not answered:
            return state
        answers = {k: v for k, v in state.answers.items() if k != answered[-1]}
        return NavigationState(state.event, self.prune(answers))

    def prune(self, answers: Mapping[str, str]) -> dict[str, str]:
        kept = dict(answers)
        while True:
            applicable = {q.id for q in self.applicable(kept)}
            dropped = [k for k in kept if k not in applicable]
            if not dropped:
                return kept
            for k in dropped:
                del kept[k]

    # ---- the result ------------------------------------------------------------------------------

    def missing(self, answers: Mapping[str, str]) -> list[str]:
        return [q.id for q in self.applicable(answers) if q.id not in answers]

    def result(self, answers: Mapping[str, str]) -> list[ProcedureResult]:
        """The procedures, things to bring, counters and deadlines for these answers (§8(6) a)."""
        missing = self.missing(answers)
        if missing:
            raise IncompleteAnswers(missing)
        today = self.today()
        out: list[ProcedureResult] = []
        for use in self.event.procedures:
            if not use.when.holds(answers):
                continue
            proc = self.content.catalogue[use.code]
            last_day, moved = None, False
            start_text = answers.get(use.deadline_from) if use.deadline_from else None
            if proc.deadline is not None and start_text:
                rule = proc.deadline
                d = compute_deadline(date.fromisoformat(start_text), days=rule.days, months=rule.months,
                                     first_day_counts=rule.first_day_counts)
                last_day, moved = d.last_day, d.moved
            bring = list(proc.bring) + [b.text for b in use.bring if b.when.holds(answers)]
            out.append(ProcedureResult(
                proc.code, proc.name, proc.form, proc.prefilled, self.content.counters[proc.counter],
                tuple(dict.fromkeys(bring)), proc.deadline.text if proc.deadline else "", last_day, moved,
                last_day is not None and last_day < today, proc.online,
                tuple(n.text for n in use.notes if n.when.holds(answers)), proc.explanation,
            ))
        return out

    def summary(self, answers: Mapping[str, str]) -> list[tuple[str, str]]:
        """(question, answer as the resident chose it) pairs, for a confirmation screen."""
        rows = []
        for q in self.applicable(answers):
            if q.id not in answers:
                continue
            value = answers[q.id]
            if q.kind == "date" and value:
                value = display(date.fromisoformat(value))
            else:
                value = q.label_of(value) if value else "（回答なし）"
            rows.append((q.text, value))
        return rows
