"""How sure the NLU must be before the router acts on an intent: one typed policy a town can tune.

The defaults are the values the dialogues were tuned with on the demo town's evaluation set
(``python -m nlu evaluate``). A town changes them in its settings (``CONFIDENCE_*`` in ``.env``,
``bot.settings``); each is a probability between 0 and 1.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class ConfidencePolicy:
    #: Outside a flow: an intent that starts a flow (「粗大ごみを出したい」 → ごみの出し方).
    start_flow: float = 0.5
    #: Outside a flow: a greeting, a thank-you or a request for help answered as such.
    small_talk: float = 0.7
    #: Outside a flow: a bare yes / no (「はい」) thanked for.
    yes_no: float = 0.8
    #: A short text meaning 「やめたい」 leaves the active flow.
    stop: float = 0.8
    #: Inside a flow: another flow's intent interrupts it (the flow resumes afterwards).
    interrupt: float = 0.7
    #: Inside a step that takes any text (a description, an address): the same, stricter.
    interrupt_free_text: float = 0.85
    #: Inside a flow: a greeting or a thank-you answered before the prompt is repeated.
    small_talk_in_flow: float = 0.85
    #: Inside a flow: the text is a question (``faq``) when a confident FAQ answer is taken.
    question: float = 0.6
    #: Inside a flow: the text is clearly a question, answered (or apologised for) from the FAQ.
    clear_question: float = 0.8
    #: Inside the booking flow: 「明日の予約をキャンセルして」 opens that reservation.
    manage_booking: float = 0.8

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"confidence {f.name} must be between 0 and 1, got {value}")

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]
