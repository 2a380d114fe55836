"""The town's procedure content as data: counters, the procedure catalogue and life-event trees.

Loaded from ``content/<town>/procedures/`` by :mod:`civic.procedures.loader`; nothing here knows
YAML. A life event (転入, 出生, …) asks questions (up to three levels deep, §8(6) p), and lists the
procedures that apply given the answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from civic.procedures.conditions import ALWAYS, Condition

LABEL_MAX = 20  # LINE quick-reply labels hold 20 characters
MAX_DEPTH = 3
CHANNELS = ("web", "line")


@dataclass(frozen=True)
class Counter:
    """A window at the town office (or, when ``external``, another office the resident must visit)."""

    code: str
    department: str
    window: str = ""
    floor: int | None = None
    phone: str = ""
    external: bool = False
    note: str = ""

    @property
    def place(self) -> str:
        if self.external:
            return f"{self.department}（町役場ではありません）"
        parts = [f"{self.floor}階" if self.floor is not None else "", self.department, self.window]
        return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class Online:
    """An online alternative (マイナポータル, コンビニ交付, 電子申請…)."""

    name: str
    url: str = ""
    note: str = ""


@dataclass(frozen=True)
class DeadlineRule:
    text: str
    days: int = 0
    months: int = 0
    first_day_counts: bool = False  # 戸籍法 counts the day of the event; 住基法 does not


@dataclass(frozen=True)
class Procedure:
    """One entry of the catalogue: the same 国保加入 serves 転入, 出生, 離婚…"""

    code: int
    name: str
    counter: str
    form: str = ""
    prefilled: bool = False  # the counter prints the form from the pre-entry (書かない窓口)
    bring: tuple[str, ...] = ()
    deadline: DeadlineRule | None = None
    online: tuple[Online, ...] = ()
    explanation: str = ""


@dataclass(frozen=True)
class Conditional:
    text: str
    when: Condition = ALWAYS


@dataclass(frozen=True)
class ProcedureUse:
    """A life event's use of a catalogue procedure, with the answers that make it apply."""

    code: int
    when: Condition = ALWAYS
    deadline_from: str = ""  # id of a date question the deadline counts from
    bring: tuple[Conditional, ...] = ()
    notes: tuple[Conditional, ...] = ()


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    then: tuple[Question, ...] = ()


@dataclass(frozen=True)
class DateRange:
    """Allowed dates relative to today (None: no limit on that side)."""

    past_days: int | None = None
    future_days: int | None = None


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    kind: str = "choice"  # "choice" | "date"
    options: tuple[Option, ...] = ()
    help: str = ""  # plain-language explanation of administrative terms (§8(6) m)
    required: bool = True
    when: Condition = ALWAYS
    dates: DateRange = field(default_factory=DateRange)

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)

    def label_of(self, value: str) -> str:
        option = self.option(value)
        return option.label if option else value


@dataclass(frozen=True)
class AddressRule:
    """An address the household enters for this event and whether it must lie in the town (§8(6) y)."""

    role: str  # "new" | "old" | "current" …
    label: str
    in_town: str = "any"  # "required" | "forbidden" | "any"
    message: str = ""  # said when the rule is broken
    abroad_when: Condition | None = None  # answers under which this address is abroad (no postal code)


@dataclass(frozen=True)
class HouseholdSpec:
    title: str
    addresses: tuple[AddressRule, ...] = ()
    max_people: int = 10


@dataclass(frozen=True)
class LifeEvent:
    code: str
    title: str
    label: str
    summary: str
    questions: tuple[Question, ...]
    procedures: tuple[ProcedureUse, ...]
    household: HouseholdSpec | None = None
    order: int = 0
    source: str = ""  # file it was loaded from


@dataclass(frozen=True)
class Town:
    code: str
    name: str
    address_prefix: str  # 福岡県みどり郡みどり町
    postal_codes: dict[str, str]  # 〒 (7 digits) → 町名 under the prefix
    office: str
    hours: str
    theme: str = "green"
    emblem: str = ""
    image: str = ""
    phone: str = ""


@dataclass
class Content:
    town: Town
    counters: dict[str, Counter]
    catalogue: dict[int, Procedure]
    events: dict[str, LifeEvent]
    directory: str = ""
    relationships: tuple[str, ...] = field(default_factory=tuple)

    def event(self, code: str) -> LifeEvent:
        return self.events[code]

    def ordered_events(self) -> list[LifeEvent]:
        return sorted(self.events.values(), key=lambda e: (e.order, e.code))
