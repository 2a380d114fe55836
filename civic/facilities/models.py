"""The facility catalogue: facilities, bookable units, shared areas, hours, frames, fees, equipment.

Sources (国富町 spec §8 表3): facilities and rooms (no.6), whole and half courts as separate
units sharing physical areas (no.7–8), visibility per unit (no.9), closed days and blocked periods
(no.3, 5, 10, 22), opening hours (no.8), equipment and attached facilities with quantities and
units (no.9–10), who may book (no.11), purposes (no.12), guide link (no.13), terms (no.14),
booking frames (no.17), change/cancel deadlines (no.18), fees by resident type (no.25).

The catalogue is also what the facility *search* (§9(2)(イ)) reads: location, category,
description, thumbnail, display order and visibility live on ``Facility``.

Times of day are minutes from local (Asia/Tokyo) midnight; a frame may end after midnight
(``end_minute`` > 1440, e.g. a campsite night 14:00–翌10:00 is 840–1980). Every minute value is
a multiple of ``GRID_MINUTES`` so that bookings map onto the occupancy grid.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import UTCDateTime

#: The occupancy grid (see civic.booking.occupancy): every frame boundary is a multiple of this.
GRID_MINUTES = 15

# Day types (opening hours, frames and fees can differ by day type).
WEEKDAY, SATURDAY, SUNDAY, HOLIDAY = "weekday", "saturday", "sunday", "holiday"
DAY_TYPES = (WEEKDAY, SATURDAY, SUNDAY, HOLIDAY)

# Resident types (表3 no.25): 町内在住 / 在学 / 在勤 / 町外.
RESIDENT, STUDENT, WORKER, OUTSIDE = "resident", "student", "worker", "outside"
RESIDENT_TYPES = (RESIDENT, STUDENT, WORKER, OUTSIDE)
RESIDENT_TYPE_LABELS = {RESIDENT: "町内在住", STUDENT: "町内在学", WORKER: "町内在勤", OUTSIDE: "町外"}

# Visibility (表3 no.9): shown and bookable / availability shown, book at the counter / hidden.
PUBLIC, AVAILABILITY_ONLY, PRIVATE = "public", "availability", "private"
VISIBILITIES = (PUBLIC, AVAILABILITY_ONLY, PRIVATE)

# Booking modes (表3 no.17, 表4 no.8): fixed frames, or free intervals in a minimum unit.
FRAMES, FREE = "frames", "free"
#: What kind of place a unit is (its 種類; also a word the booking search matches), with the staff's words.
UNIT_KINDS = {"room": "部屋（会議室・和室・研修室など）", "court": "コート・アリーナ（全面・半面）",
              "field": "グラウンド・球場", "site": "区画（キャンプサイトなど）"}

# Calendar day kinds (表3 no.3, 5, 10, 22).
CAL_HOLIDAY = "holiday"   # treat as a holiday (town holidays beyond the national calendar)
CAL_CLOSED = "closed"     # 休館: nobody can book
CAL_BLOCKED = "blocked"   # 一般利用不可: citizens cannot book; staff can (town events, maintenance)
CAL_OPEN = "open"         # 臨時開館: open although the weekly/holiday rule says closed
CALENDAR_KINDS = (CAL_HOLIDAY, CAL_CLOSED, CAL_BLOCKED, CAL_OPEN)

FEE_PER_USE, FEE_PER_HOUR = "use", "hour"


def _now_col() -> sa.Column:
    return sa.Column(UTCDateTime, nullable=False)


class Facility(SQLModel, table=True):
    __tablename__ = "facility"

    id: int | None = Field(default=None, primary_key=True)
    #: A stable key for content files and CSV (e.g. ``arena``).
    code: str = Field(sa_column=sa.Column(sa.String(40), unique=True, nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    #: Reading in kana, for search and sorting.
    kana: str = Field(default="", sa_column=sa.Column(sa.String(200), nullable=False))
    category: str = Field(sa_column=sa.Column(sa.String(40), nullable=False, index=True))
    address: str = Field(default="", sa_column=sa.Column(sa.String(200), nullable=False))
    latitude: float | None = Field(default=None, sa_column=sa.Column(sa.Float, nullable=True))
    longitude: float | None = Field(default=None, sa_column=sa.Column(sa.Float, nullable=True))
    phone: str = Field(default="", sa_column=sa.Column(sa.String(40), nullable=False))
    description: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    thumbnail_url: str | None = Field(default=None, sa_column=sa.Column(sa.String(500), nullable=True))
    #: 施設案内ページ (表3 no.13).
    guide_url: str | None = Field(default=None, sa_column=sa.Column(sa.String(500), nullable=True))
    display_order: int = Field(default=0, nullable=False)
    #: ``public`` or ``private``: whether citizens see the facility at all (search and booking).
    visibility: str = Field(default=PUBLIC, sa_column=sa.Column(sa.String(16), nullable=False))
    #: 利用上の遵守事項 (表3 no.14), accepted by the citizen before every booking.
    terms: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))

    # Recurring closures: weekdays (0 = Monday), holidays, the year-end break (12/29–1/3).
    weekly_closed_days: list[int] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    #: 「休館日が祝日の場合は翌平日」.
    closed_day_moves_after_holiday: bool = Field(default=True, nullable=False)
    closed_on_holidays: bool = Field(default=False, nullable=False)
    closed_year_end: bool = Field(default=True, nullable=False)

    # Booking policy (表3 no.18, 表4 no.10; LibreBooking-style notice and quotas).
    #: Bookings for a day open this many months before it …
    booking_opens_months: int = Field(default=2, nullable=False)
    #: … on the 1st of that month (True) or on the same day of the month (False) …
    booking_opens_on_first: bool = Field(default=False, nullable=False)
    #: … at this local time (minutes).
    booking_opens_minute: int = Field(default=9 * 60, nullable=False)
    #: Online booking closes this many hours before the start.
    booking_closes_hours: int = Field(default=24, nullable=False)
    change_deadline_hours: int = Field(default=72, nullable=False)
    cancel_deadline_hours: int = Field(default=72, nullable=False)
    citizen_can_change: bool = Field(default=True, nullable=False)
    citizen_can_cancel: bool = Field(default=True, nullable=False)
    #: Upcoming bookings one citizen may hold at this facility (None: no limit).
    max_active_per_booker: int | None = Field(default=4, nullable=True)
    #: Bookings one citizen may hold at this facility on one day (None: no limit).
    max_per_day_per_booker: int | None = Field(default=1, nullable=True)
    waitlist_enabled: bool = Field(default=True, nullable=False)
    #: How long a freed slot is held for the citizen it is offered to.
    offer_hours: int = Field(default=24, nullable=False)
    reminder_enabled: bool = Field(default=True, nullable=False)

    #: Bumped by every change to the facility or anything under it (units, frames, fees…), so a
    #: cached catalogue knows it is stale (civic.facilities.catalogue.CatalogueCache).
    revision: int = Field(default=0, nullable=False)
    created_at: datetime = Field(sa_column=_now_col())
    updated_at: datetime = Field(sa_column=_now_col())


class Area(SQLModel, table=True):
    """A physical part of a facility (the north half of the arena). Units occupy one or more areas."""

    __tablename__ = "facility_area"
    __table_args__ = (sa.UniqueConstraint("facility_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    facility_id: int = Field(foreign_key="facility.id", index=True)
    code: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))


class Unit(SQLModel, table=True):
    """Something a citizen books: a room, a whole court, a half court, a field, a camp site."""

    __tablename__ = "facility_unit"
    __table_args__ = (sa.UniqueConstraint("facility_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    facility_id: int = Field(foreign_key="facility.id", index=True)
    code: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    kind: str = Field(default="room", sa_column=sa.Column(sa.String(20), nullable=False))
    description: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    capacity: int | None = Field(default=None, nullable=True)
    min_people: int = Field(default=1, nullable=False)
    visibility: str = Field(default=PUBLIC, sa_column=sa.Column(sa.String(16), nullable=False))
    booking_mode: str = Field(default=FRAMES, sa_column=sa.Column(sa.String(8), nullable=False))
    #: Free mode: the minimum unit and the step of start times.
    slot_minutes: int = Field(default=60, nullable=False)
    min_minutes: int | None = Field(default=None, nullable=True)
    max_minutes: int | None = Field(default=None, nullable=True)
    approval_required: bool = Field(default=False, nullable=False)
    #: Who may book (表3 no.11): the booker needs one of these attributes; empty means anyone.
    allowed_attributes: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    #: Whether the booker must describe the activity (表3 no.15).
    activity_required: bool = Field(default=False, nullable=False)
    display_order: int = Field(default=0, nullable=False)


class UnitArea(SQLModel, table=True):
    __tablename__ = "facility_unit_area"

    unit_id: int = Field(foreign_key="facility_unit.id", primary_key=True)
    area_id: int = Field(foreign_key="facility_area.id", primary_key=True, index=True)


class OpeningHours(SQLModel, table=True):
    """Opening hours of a facility on one day type; a day type without a row is closed."""

    __tablename__ = "facility_opening_hours"
    __table_args__ = (sa.UniqueConstraint("facility_id", "day_type"),)

    id: int | None = Field(default=None, primary_key=True)
    facility_id: int = Field(foreign_key="facility.id", index=True)
    day_type: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    open_minute: int = Field(nullable=False)
    close_minute: int = Field(nullable=False)


class Frame(SQLModel, table=True):
    """A fixed booking frame (9:00–12:00). ``unit_id`` None: every frames-mode unit of the facility."""

    __tablename__ = "facility_frame"

    id: int | None = Field(default=None, primary_key=True)
    facility_id: int = Field(foreign_key="facility.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="facility_unit.id", nullable=True)
    #: Day types this frame applies to; empty means every day.
    day_types: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    start_minute: int = Field(nullable=False)
    end_minute: int = Field(nullable=False)
    label: str = Field(default="", sa_column=sa.Column(sa.String(40), nullable=False))


class FeeRule(SQLModel, table=True):
    """A unit's fee in one time band: ``per_hour`` prorated over the overlap, plus ``flat`` once.

    ``resident_type`` None applies to every resident type without a rule of its own; ``day_types``
    empty applies every day. Rules for a booking add up over the bands it touches.
    """

    __tablename__ = "facility_fee_rule"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="facility_unit.id", index=True)
    resident_type: str | None = Field(default=None, sa_column=sa.Column(sa.String(16), nullable=True))
    day_types: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    start_minute: int = Field(default=0, nullable=False)
    end_minute: int = Field(default=24 * 60, nullable=False)
    per_hour: int = Field(default=0, nullable=False)
    flat: int = Field(default=0, nullable=False)
    label: str = Field(default="", sa_column=sa.Column(sa.String(40), nullable=False))


class Equipment(SQLModel, table=True):
    """備品 or 附属設備 (lighting, air-conditioning, nets); ``unit_id`` None: shared by the facility."""

    __tablename__ = "facility_equipment"
    __table_args__ = (sa.UniqueConstraint("facility_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    facility_id: int = Field(foreign_key="facility.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="facility_unit.id", nullable=True)
    code: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    #: ``equipment`` (備品) or ``attached`` (附属設備: lighting, air-conditioning).
    kind: str = Field(default="equipment", sa_column=sa.Column(sa.String(16), nullable=False))
    quantity: int = Field(default=1, nullable=False)
    #: The counting word shown with quantities (台, 式, 張, 面).
    unit_label: str = Field(default="個", sa_column=sa.Column(sa.String(10), nullable=False))
    fee: int = Field(default=0, nullable=False)
    fee_per: str = Field(default=FEE_PER_USE, sa_column=sa.Column(sa.String(8), nullable=False))
    display_order: int = Field(default=0, nullable=False)
    active: bool = Field(default=True, nullable=False)


class Purpose(SQLModel, table=True):
    """A purpose the facility (``unit_id`` None) or one unit may be booked for (表3 no.12)."""

    __tablename__ = "facility_purpose"

    id: int | None = Field(default=None, primary_key=True)
    facility_id: int = Field(foreign_key="facility.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="facility_unit.id", nullable=True)
    name: str = Field(sa_column=sa.Column(sa.String(60), nullable=False))
    display_order: int = Field(default=0, nullable=False)


class CalendarDay(SQLModel, table=True):
    """A dated exception: a town holiday, a closed day, a blocked period, an extra opening.

    ``facility_id`` None: the whole town (holidays); ``unit_id`` set: only that unit. Without
    minutes the whole day is meant.
    """

    __tablename__ = "facility_calendar_day"
    __table_args__ = (sa.Index("ix_facility_calendar_day_day", "day", "facility_id"),)

    id: int | None = Field(default=None, primary_key=True)
    facility_id: int | None = Field(default=None, foreign_key="facility.id", nullable=True)
    unit_id: int | None = Field(default=None, foreign_key="facility_unit.id", nullable=True)
    day: date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    start_minute: int | None = Field(default=None, nullable=True)
    end_minute: int | None = Field(default=None, nullable=True)
    reason: str = Field(default="", sa_column=sa.Column(sa.String(200), nullable=False))
