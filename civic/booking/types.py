"""The values the booking service takes and returns (what a dialogue, the LIFF page and staff see)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from civic.clock import TOKYO
from civic.facilities.models import RESIDENT

DAY_MINUTES = 24 * 60


def local_datetime(day: date, minute: int) -> datetime:
    """Minutes from local midnight on ``day`` (may pass 1440) as an aware datetime in Asia/Tokyo."""
    return datetime.combine(day, time(0), TOKYO) + timedelta(minutes=minute)


@dataclass(frozen=True)
class Booker:
    """Who is booking. ``staff_id`` set: a staff member books on someone's behalf (窓口受付).

    ``attributes`` are the attributes staff verified for this person (``Booker`` rows) and are
    checked against a unit's ``allowed_attributes``; the resident type is self-declared.
    """

    channel_user_id: str | None
    resident_type: str = RESIDENT
    attributes: frozenset[str] = frozenset()
    name: str | None = None
    phone: str | None = None
    staff_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.staff_id is not None


@dataclass(frozen=True)
class BookingRequest:
    unit_id: int
    day: date
    start_minute: int
    end_minute: int
    people: int = 1
    purpose: str = ""
    activity: str | None = None
    #: equipment id → quantity
    equipment: Mapping[int, int] = field(default_factory=dict)
    terms_accepted: bool = False

    @property
    def starts_at(self) -> datetime:
        return local_datetime(self.day, self.start_minute)

    @property
    def ends_at(self) -> datetime:
        return local_datetime(self.day, self.end_minute)


@dataclass(frozen=True)
class Violation:
    """A rule the request breaks: a stable code, a polite Japanese message, the field concerned."""

    code: str
    message: str
    field: str | None = None


# Slot statuses.
FREE, TAKEN, CLOSED, BLOCKED, PAST, NOT_OPEN, CLOSED_ONLINE = (
    "free", "taken", "closed", "blocked", "past", "not_open", "closed_online")


@dataclass(frozen=True)
class Slot:
    """A frame (or a free-interval cell) of one unit on one day, and whether it can be booked."""

    unit_id: int
    unit_name: str
    day: date
    start_minute: int
    end_minute: int
    label: str
    status: str

    @property
    def starts_at(self) -> datetime:
        return local_datetime(self.day, self.start_minute)

    @property
    def ends_at(self) -> datetime:
        return local_datetime(self.day, self.end_minute)

    @property
    def free(self) -> bool:
        return self.status == FREE


# Calendar marks (○ 空き / △ 残りわずか / × 満 / — 休館).
MARKS = {"available": "○", "few": "△", "full": "×", "closed": "—", "past": ""}


@dataclass(frozen=True)
class DayMark:
    day: date
    state: str  # available | few | full | closed | past
    free: int
    total: int
    #: The day exists but online booking is not open yet (or has closed): staff / counter only.
    bookable_online: bool
    note: str = ""

    @property
    def mark(self) -> str:
        return MARKS[self.state]


@dataclass(frozen=True)
class FeeLine:
    label: str
    amount: int


@dataclass(frozen=True)
class Quote:
    fee: int
    lines: tuple[FeeLine, ...]
    violations: tuple[Violation, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.violations


# ---- outcomes of reserve / change / cancel ---------------------------------------------------

@dataclass(frozen=True)
class Reserved:
    reservation_id: int
    number: str
    status: str  # confirmed, or pending when the unit needs staff approval
    fee: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class SlotTaken:
    """Someone else holds (part of) the slot; ``alternatives`` are free slots to offer instead."""

    alternatives: tuple[Slot, ...] = ()
    message: str = "申し訳ありません。その枠はたった今ほかの方が予約されました。"
    waitlist_available: bool = False


@dataclass(frozen=True)
class Refused:
    violations: tuple[Violation, ...]

    @property
    def message(self) -> str:
        return "\n".join(v.message for v in self.violations)


@dataclass(frozen=True)
class Cancelled:
    number: str


@dataclass(frozen=True)
class WaitlistJoined:
    entry_id: int
    position: int


@dataclass(frozen=True)
class ReservationView:
    """A reservation as its citizen sees it (my bookings)."""

    number: str
    facility_id: int
    facility_name: str
    unit_id: int
    unit_name: str
    day: date
    start_minute: int
    end_minute: int
    status: str
    status_label: str
    people: int
    purpose: str
    fee: int
    equipment: tuple[tuple[str, int, str], ...]  # (name, quantity, counting word)
    can_change: bool
    can_cancel: bool
    offer_expires_at: datetime | None = None
    cancel_reason: str | None = None


@dataclass(frozen=True)
class UnitInfo:
    """A bookable unit as a dialogue or the LIFF page lists it."""

    facility_id: int
    facility_name: str
    unit_id: int
    unit_name: str
    category: str
    visibility: str
    booking_mode: str
    capacity: int | None
    purposes: tuple[str, ...]
