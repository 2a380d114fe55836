"""What the content views need of the running service: ask the FAQ index and the garbage dictionary
in use ("try it"), and tell this process's reloader that content changed (``bot.content_reload``)."""

from __future__ import annotations

from typing import Any, Protocol


class LiveContent(Protocol):
    def try_faq(self, question: str, k: int) -> dict[str, Any]:
        """Which published entries ``question`` finds, their scores and the words they share."""
        ...

    def try_garbage(self, text: str) -> dict[str, Any]:
        """What the garbage dictionary in use finds for ``text``."""
        ...

    async def retrain_nlu(self, staff: str, audit: Any = None) -> dict[str, Any]:
        """Retrain the NLU model from the examples in the database; kept only if not worse on the held-back
        ones; ``audit(session, result)`` logs it in the transaction that records it (``RuntimeError``: a retrain is running; ``ValueError``: the examples cannot be trained on)."""
        ...

    def try_nlu(self, text: str) -> dict[str, Any]:
        """The intent the model in use gives ``text``."""
        ...

    def changed(self) -> None:
        """Re-index now (this process); the others notice the new version within seconds."""
        ...

    async def group_questions(self, texts: list[str], *, threshold: float | None = None) -> list[list[int]]:
        """Questions asking the same thing, together (indexes into ``texts``), largest group first."""
        ...

    def status(self) -> dict[str, Any]:
        """The versions this process answers from, and the last re-index times."""
        ...
