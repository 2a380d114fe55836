"""Long lists on a phone: at most ten items per message, the rest behind 「もっと見る」.

A list of 38 numbered lines (or 20 buttons) in one bubble cannot be read or tapped on a phone. Every
list a flow shows goes through ``page()``: the message carries one page (≤ ``PAGE_SIZE`` items,
numbered across the whole list so 「12」 still means the twelfth) and a 「もっと見る」 quick reply
whose postback names the next page; the state that asked shows that page when it comes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from dialogues import messages as m

T = TypeVar("T")

PAGE_SIZE = 10
MORE = "もっと見る"


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    #: Position of the first item in the whole list (0-based).
    first: int
    total: int
    #: The next page's number, None on the last page.
    next: int | None

    @property
    def several(self) -> bool:
        return self.total > len(self.items)

    def note(self, unit: str = "件") -> str:
        """「（1〜10件目／全20件）」 when the list has several pages, otherwise empty."""
        if not self.several:
            return ""
        return f"（{self.first + 1}〜{self.first + len(self.items)}{unit}目／全{self.total}{unit}）"

    def more(self, **data: Any) -> list[dict[str, Any]]:
        """The 「もっと見る」 button (postback ``data`` + ``page=<next>``); none on the last page."""
        if self.next is None:
            return []
        return [m.postback(MORE, m.data(**data, page=self.next), MORE)]


def page(items: Sequence[T], number: int = 0, size: int = PAGE_SIZE) -> Page[T]:
    """Page ``number`` (0-based; past the end: the last page) of ``items``."""
    size = max(1, size)
    last = max(0, (len(items) - 1) // size)
    number = min(max(0, number), last)
    start = number * size
    chunk = list(items[start:start + size])
    return Page(chunk, start, len(items), number + 1 if start + size < len(items) else None)


def requested(postback: dict[str, str]) -> int | None:
    """The page a 「もっと見る」 postback asks for (None: not such a postback)."""
    value = postback.get("page", "")
    return int(value) if value.isdigit() else None
