"""Which citizens a segment holds: the segments feature implements this; rich menus only ask."""

from __future__ import annotations

from typing import Protocol


class SegmentResolver(Protocol):
    async def members(self, segment_id: str) -> list[str]:
        """Channel user ids (LINE userIds) of the friends in the segment now."""
        ...


class StaticSegments:
    """A resolver from a fixed mapping (tests, the demo)."""

    def __init__(self, members: dict[str, list[str]] | None = None) -> None:
        self.by_segment = {k: list(v) for k, v in (members or {}).items()}

    async def members(self, segment_id: str) -> list[str]:
        return list(self.by_segment.get(segment_id, []))
