"""The entity dict in Rasa's ``/model/parse`` shape, and overlap resolution."""

from __future__ import annotations

import bisect
from typing import Any

Entity = dict[str, Any]

__all__ = ["Entity", "make_entity", "resolve_overlaps"]


def make_entity(entity: str, value: Any, start: int, end: int, extractor: str, *, role: str | None = None,
                confidence: float = 1.0, additional_info: dict[str, Any] | None = None) -> Entity:
    e: Entity = {
        "entity": entity,
        "value": value,
        "start": start,
        "end": end,
        "confidence": confidence,
        "role": role,
        "extractor": extractor,
    }
    if additional_info:
        e["additional_info"] = additional_info
    return e


def resolve_overlaps(entities: list[Entity], priority: dict[str, int] | None = None) -> list[Entity]:
    """Keep non-overlapping entities: longer spans win, then extractor priority, then earlier start."""
    prio = priority or {}
    ranked = sorted(entities, key=lambda e: (-(e["end"] - e["start"]), -prio.get(e["extractor"], 0), e["start"]))
    starts: list[int] = []  # kept spans, sorted by start; they never overlap each other
    spans: list[tuple[int, int]] = []
    kept: list[Entity] = []
    for e in ranked:
        s, t = e["start"], e["end"]
        i = bisect.bisect_right(starts, s)
        if i > 0 and spans[i - 1][1] > s:  # the span starting before us reaches into us
            continue
        if i < len(spans) and spans[i][0] < t:  # the next span starts inside us
            continue
        starts.insert(i, s)
        spans.insert(i, (s, t))
        kept.append(e)
    return sorted(kept, key=lambda e: (e["start"], e["end"]))
