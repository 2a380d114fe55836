"""Pre-application navigation (手続きナビ, 小郡市 spec §8(6)): life-event question trees, the result
(forms, things to bring, counters, deadlines), household pre-entry and the sealed QR for the counter.

The public API a channel (web page, LINE dialogue) uses::

    content = load_content("content/midori/procedures")
    nav = Navigator(content, content.event("tennyu"), clock)
    state = nav.start(); q = nav.next_question(state.answers)
    state = nav.answer(state, q.id, "domestic")      # NavigationState | ValidationProblem
    nav.progress(state.answers); nav.result(state.answers)
    format_result_text(nav.event, nav.result(state.answers), content.town)
    await record_access(db, clock, "tennyu", "line")
"""

from civic.procedures.household import EntryProblem, Household, Person, check_household
from civic.procedures.loader import ContentError, ContentProblem, load_content
from civic.procedures.navigator import (
    IncompleteAnswers,
    NavigationState,
    Navigator,
    ProcedureResult,
    ValidationProblem,
)
from civic.procedures.payload import PayloadError, QrKeyring, Ticket
from civic.procedures.services import AccessCount, DraftStore, access_counts, record_access
from civic.procedures.text import format_question_text, format_result_text
from civic.procedures.tree import Content, LifeEvent, Question

__all__ = [
    "AccessCount", "Content", "ContentError", "ContentProblem", "DraftStore", "EntryProblem", "Household",
    "IncompleteAnswers", "LifeEvent", "NavigationState", "Navigator", "PayloadError", "Person",
    "ProcedureResult", "QrKeyring", "Question", "Ticket", "ValidationProblem", "access_counts",
    "check_household", "format_question_text", "format_result_text", "load_content", "record_access",
]
