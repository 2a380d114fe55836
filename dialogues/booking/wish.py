"""What the citizen said about the time (「夜に2時間」「18時から2時間」「午後いっぱい」「1時間半」) and
whether the unit's slots can give exactly that.

A booking takes the start and the length the citizen said, or the bot asks (国富町 §8 表4: the
citizen chooses the time): a fixed frame is never taken for a shorter or other wish, and a free
interval is never shortened to the unit's minimum. ``fit`` returns the one slot that is exactly
what was said, or the slots to choose from and, when the wish cannot be honoured, why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from civic.booking import messages as bm
from civic.booking.types import Slot
from civic.facilities.models import FREE, Unit

#: Parts of the day (minutes from midnight): 夜 starts at 17:00, as 夜間 frames and the NLU read it.
BANDS = {"morning": (0, 12 * 60), "afternoon": (12 * 60, 17 * 60), "evening": (17 * 60, 24 * 60),
         "night": (17 * 60, 24 * 60), "day": (0, 24 * 60)}
BAND_WORDS = {"morning": "午前", "afternoon": "午後", "evening": "夕方", "night": "夜", "day": "一日"}


def length_text(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest}分"
    return f"{hours}時間" + ("半" if rest == 30 else f"{rest}分" if rest else "")


def _minute(value: str) -> int | None:
    hh, _, mm = value.partition(":")
    return int(hh) * 60 + int(mm) if hh.isdigit() and mm.isdigit() else None


@dataclass
class Wish:
    start: int | None = None
    end: int | None = None
    band: str | None = None
    minutes: int | None = None
    whole: bool = False

    @classmethod
    def from_entities(cls, entities: Iterable[dict[str, Any]]) -> Wish | None:
        """From the NLU's ``time`` and ``duration`` entities; None when the text says nothing of time."""
        wish = cls()
        for e in entities:
            value = str(e.get("value"))
            if e.get("entity") == "duration" and value.isdigit() and wish.minutes is None:
                wish.minutes = int(value)
            elif e.get("entity") == "time" and value in BANDS and wish.band is None:
                wish.band = value
                wish.whole = bool((e.get("additional_info") or {}).get("whole"))
            elif e.get("entity") == "time" and (minute := _minute(value)) is not None:
                if e.get("role") == "end" and wish.end is None:
                    wish.end = minute
                elif e.get("role") != "end" and wish.start is None:
                    wish.start = minute
        if wish.start is not None and wish.end is not None and wish.end <= wish.start:
            wish.end = None
        return wish if wish.said else None

    @classmethod
    def load(cls, raw: Any) -> Wish | None:
        if not isinstance(raw, dict):
            return None
        fields: dict[str, Any] = {k: raw.get(k) for k in ("start", "end", "band", "minutes", "whole")}
        return cls(**fields)

    def dump(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def length(self) -> int | None:
        if self.minutes:
            return self.minutes
        if self.start is not None and self.end is not None:
            return self.end - self.start
        return None

    @property
    def said(self) -> str:
        """The wish in the citizen's words: 「夜に2時間」「18:00から2時間」「午後いっぱい」."""
        parts = []
        if self.start is not None:
            parts.append(f"{bm.hm(self.start)}から" + (f"{bm.hm(self.end)}まで" if self.end is not None else ""))
        elif self.band:
            parts.append(BAND_WORDS[self.band] + ("いっぱい" if self.whole else "に" if self.minutes else ""))
        if self.minutes:
            parts.append(length_text(self.minutes))
        return "".join(parts)


@dataclass
class Fit:
    """``slot``: exactly what was said. Otherwise ``options`` to choose from; ``why`` says what
    cannot be honoured (empty when the wish just leaves a choice, e.g. 夜に2時間: 17時・18時・19時)."""

    slot: Slot | None = None
    options: list[Slot] = field(default_factory=list)
    why: str = ""


def lengths(unit: Unit, opening: int, closing: int) -> list[int]:
    """The lengths a free-interval unit takes: multiples of its step within its minimum and maximum."""
    step = max(1, unit.slot_minutes)
    low = max(step, unit.min_minutes or step)
    high = min(unit.max_minutes or closing - opening, closing - opening)
    return [n for n in range(step, high + 1, step) if n >= low]


def windows(unit: Unit, every: list[Slot], minutes: int) -> list[Slot]:
    """Free intervals of ``minutes`` (consecutive free cells of the unit's grid), one per start."""
    cells = {s.start_minute: s for s in every}
    out = []
    for s in every:
        end, cursor = s.start_minute + minutes, s.start_minute
        while cursor < end and cursor in cells and cells[cursor].free:
            cursor = cells[cursor].end_minute
        if cursor == end:
            out.append(Slot(s.unit_id, s.unit_name, s.day, s.start_minute, end, "", s.status))
    return out


def _in_band(slot: Slot, band: str | None) -> bool:
    if band is None:
        return True
    low, high = BANDS[band]
    return low <= slot.start_minute < high


def fit(wish: Wish, unit: Unit, frames: list[Slot], every: list[Slot]) -> Fit:
    """``frames``: the unit's free choices (fixed frames, or minimum-length intervals); ``every``:
    the day's cells with their status (free-interval units)."""
    if unit.booking_mode == FREE:
        return _fit_free(wish, unit, frames, every)
    return _fit_frames(wish, frames, every)


def _fit_frames(wish: Wish, free: list[Slot], every: list[Slot]) -> Fit:
    nearby = [s for s in free if _in_band(s, wish.band)]
    nearby += [s for s in free if s not in nearby]  # the frames of the part of the day said first
    if wish.start is not None:
        same = [s for s in every if s.start_minute == wish.start]
        if not same:
            return Fit(options=free, why=f"{bm.hm(wish.start)}から始まる枠はありません。")
        frame = same[0]
        wanted = wish.length
        if wanted is not None and frame.end_minute - frame.start_minute != wanted:
            return Fit(options=[s for s in free if s is frame] + [s for s in free if s is not frame],
                       why=_frame_why(frame, wish))
        if not frame.free:
            return Fit(options=free, why=f"{_frame_name(frame)}は空いていません。")
        return Fit(slot=frame)
    candidates = [s for s in every if _in_band(s, wish.band)]
    if wish.minutes is not None:
        exact = [s for s in candidates if s.end_minute - s.start_minute == wish.minutes]
        if not exact:
            first = candidates[0] if candidates else None
            return Fit(options=nearby, why=_frame_why(first, wish))
        candidates = exact
    open_ones = [s for s in candidates if s.free]
    if len(candidates) == 1 and open_ones:
        return Fit(slot=open_ones[0])
    if wish.whole and len(candidates) > 1:
        return Fit(options=open_ones or free, why="こちらは時間帯（枠）ごとのご予約です。"
                                                  f"「{wish.said}」は1回ではお取りできませんので、枠を選んでください。")
    if not open_ones:
        return Fit(options=free, why=f"{wish.said}の枠は空いていません。" if candidates else "")
    return Fit(options=open_ones)


def _fit_free(wish: Wish, unit: Unit, shortest: list[Slot], every: list[Slot]) -> Fit:
    if not every:
        return Fit(options=shortest)
    opening, closing = every[0].start_minute, every[-1].end_minute
    allowed = lengths(unit, opening, closing)
    if not allowed:
        return Fit(options=shortest)
    low, high = BANDS[wish.band] if wish.band else (opening, closing)
    low, high = max(low, opening), min(high, closing)
    start, want = wish.start, wish.length
    if wish.whole and want is None and start is None:
        start, want = low, high - low  # 午後いっぱい: from the start of the afternoon to its end
    elif want is None and start is not None and len(allowed) == 1:
        want = allowed[0]
    rule = (f"{unit.name}のご利用は{length_text(max(1, unit.slot_minutes))}単位で、"
            f"{length_text(allowed[0])}から{length_text(allowed[-1])}までです。")
    if want is not None and want not in allowed:
        near = sorted(allowed, key=lambda n: (abs(n - want), -n))[:2]
        return Fit(options=_starting(unit, every, near, wish.start, low, high), why=f"{wish.said}のご予約はできません。{rule}")
    if want is None:  # 「夜」「18時から」: the length was not said; every length that fits is offered
        return Fit(options=_starting(unit, every, allowed if start is not None else allowed[:1], start, low, high))
    found = _starting(unit, every, [want], start, low, high)
    if len(found) == 1 or (found and start is not None):
        return Fit(slot=found[0])
    if found:
        return Fit(options=found)
    others = windows(unit, every, want)
    return Fit(options=_nearest(others, start) if start is not None else others,
               why=f"{wish.said}で空いている時間帯はありません。" if start is None else f"{wish.said}は空いていません。")


def _starting(unit: Unit, every: list[Slot], lengths_: list[int], start: int | None, low: int, high: int) -> list[Slot]:
    """Free intervals of each length, starting at ``start`` (or anywhere from ``low`` to ``high``)."""
    out = []
    for n in lengths_:
        for s in windows(unit, every, n):
            if (s.start_minute == start) if start is not None else (low <= s.start_minute < high):
                out.append(s)
    return out


def _nearest(slots: list[Slot], minute: int) -> list[Slot]:
    return sorted(slots, key=lambda s: (abs(s.start_minute - minute), s.start_minute))


def _frame_name(frame: Slot) -> str:
    times = f"{bm.hm(frame.start_minute)}〜{bm.hm(frame.end_minute)}"
    return f"{frame.label} {times}" if frame.label else times


def _frame_why(frame: Slot | None, wish: Wish) -> str:
    if frame is None:
        return f"申し訳ありません。こちらは時間帯（枠）ごとのご予約のため、「{wish.said}」ではお取りできません。"
    length = length_text(frame.end_minute - frame.start_minute)
    when = BAND_WORDS[wish.band] if wish.band and wish.start is None else f"{bm.hm(frame.start_minute)}から"
    return (f"申し訳ありません。こちらは時間帯（枠）ごとのご予約のため、「{wish.said}」ではお取りできません。"
            f"{when}の枠は {_frame_name(frame)}（{length}）です。")


def bookable(unit: Unit, frames: list[Slot], every: list[Slot], pick: str) -> Slot | None:
    """The slot a button names (``"1080-1200"``) if it can still be booked: one of the free frames,
    or (free-interval units) a free interval of a length the unit takes."""
    first, _, last = pick.partition("-")
    if not (first.isdigit() and last.isdigit()):
        return None
    start, end = int(first), int(last)
    found = next((s for s in frames if (s.start_minute, s.end_minute) == (start, end)), None)
    if found is not None or unit.booking_mode != FREE or not every:
        return found
    if end - start not in lengths(unit, every[0].start_minute, every[-1].end_minute):
        return None
    return next((s for s in windows(unit, every, end - start) if s.start_minute == start), None)
