"""Reservations, the occupancy grid that makes double booking impossible, the waitlist, bookers.

Statuses: ``pending`` (awaiting staff approval), ``confirmed``, ``offered`` (a freed slot held
for a waitlisted citizen until ``offer_expires_at``), ``cancelled``, ``rejected`` (approval
refused), ``expired`` (offer not taken). The first three hold their slot: they have occupancy rows.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import EncryptedText, UTCDateTime

PENDING, CONFIRMED, OFFERED = "pending", "confirmed", "offered"
CANCELLED, REJECTED, EXPIRED = "cancelled", "rejected", "expired"
HOLDING = (PENDING, CONFIRMED, OFFERED)
STATUSES = (PENDING, CONFIRMED, OFFERED, CANCELLED, REJECTED, EXPIRED)
STATUS_LABELS = {
    PENDING: "承認待ち", CONFIRMED: "予約確定", OFFERED: "キャンセル待ち案内中",
    CANCELLED: "取消", REJECTED: "不承認", EXPIRED: "期限切れ",
}

# Where a reservation came from.
SOURCE_LIFF, SOURCE_CHAT, SOURCE_COUNTER, SOURCE_WAITLIST = "liff", "chat", "counter", "waitlist"

# Waitlist entry statuses.
WAITING, WL_OFFERED, WL_BOOKED, WL_CANCELLED, WL_LAPSED = "waiting", "offered", "booked", "cancelled", "lapsed"


class Reservation(SQLModel, table=True):
    __tablename__ = "booking_reservation"
    __table_args__ = (
        sa.Index("ix_booking_reservation_unit_start", "unit_id", "starts_at"),
        sa.Index("ix_booking_reservation_facility_day", "facility_id", "day"),
        sa.Index("ix_booking_reservation_user", "channel_user_id", "starts_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    #: 予約番号, what citizens and staff quote (e.g. ``2612-00042``).
    number: str | None = Field(default=None, sa_column=sa.Column(sa.String(20), unique=True, nullable=True))
    facility_id: int = Field(foreign_key="facility.id")
    unit_id: int = Field(foreign_key="facility_unit.id")
    #: Local (Asia/Tokyo) date of the start, and minutes from its midnight (end may pass 1440).
    day: date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    start_minute: int = Field(nullable=False)
    end_minute: int = Field(nullable=False)
    starts_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    ends_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    status: str = Field(sa_column=sa.Column(sa.String(12), nullable=False, index=True))
    #: The citizen's LINE userId; None for counter bookings of people without LINE.
    channel_user_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    booker_id: int | None = Field(default=None, foreign_key="booking_booker.id", nullable=True)
    applicant_name: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    applicant_phone: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    resident_type: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    people: int = Field(nullable=False)
    purpose: str = Field(default="", sa_column=sa.Column(sa.String(60), nullable=False))
    #: 活動内容 (表3 no.15): may describe people, so encrypted.
    activity: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    fee: int = Field(default=0, nullable=False)
    fee_breakdown: list = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    source: str = Field(sa_column=sa.Column(sa.String(12), nullable=False))
    staff_id: int | None = Field(default=None, nullable=True)
    staff_note: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    terms_accepted_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    offer_expires_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    waitlist_entry_id: int | None = Field(default=None, nullable=True)
    reminded_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    cancelled_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    cancelled_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(10), nullable=True))
    cancel_reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class ReservedEquipment(SQLModel, table=True):
    __tablename__ = "booking_reserved_equipment"

    reservation_id: int = Field(foreign_key="booking_reservation.id", primary_key=True)
    equipment_id: int = Field(foreign_key="facility_equipment.id", primary_key=True, index=True)
    quantity: int = Field(nullable=False)
    fee: int = Field(default=0, nullable=False)


class Occupancy(SQLModel, table=True):
    """One row per (physical area, 15-minute cell) a holding reservation covers.

    The primary key makes a second booking of any shared area at any moment impossible in the
    database itself, whatever code path tries it (see civic.booking.occupancy).
    """

    __tablename__ = "booking_occupancy"

    area_id: int = Field(foreign_key="facility_area.id", primary_key=True)
    #: The cell: seconds since the epoch // 900.
    cell: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    reservation_id: int = Field(foreign_key="booking_reservation.id", index=True)


class WaitlistEntry(SQLModel, table=True):
    """キャンセル待ち: a citizen waiting for one slot of one unit."""

    __tablename__ = "booking_waitlist"
    __table_args__ = (sa.Index("ix_booking_waitlist_unit_status", "unit_id", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    facility_id: int = Field(foreign_key="facility.id", index=True)
    unit_id: int = Field(foreign_key="facility_unit.id")
    day: date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    start_minute: int = Field(nullable=False)
    end_minute: int = Field(nullable=False)
    starts_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    channel_user_id: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, index=True))
    applicant_name: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    applicant_phone: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    resident_type: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    attributes: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    people: int = Field(nullable=False)
    purpose: str = Field(default="", sa_column=sa.Column(sa.String(60), nullable=False))
    activity: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    status: str = Field(sa_column=sa.Column(sa.String(12), nullable=False))
    reservation_id: int | None = Field(default=None, nullable=True)
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class BookerProfile(SQLModel, table=True):
    """利用者 (表3 no.16, 27): what staff know about someone who books, and attributes they verified.

    ``attributes`` are granted by staff (``registered_group`` for 登録団体, ``town_event``…) and
    checked against a unit's ``allowed_attributes`` (表3 no.11). Resident types are attributes too.
    """

    __tablename__ = "booking_booker"

    id: int | None = Field(default=None, primary_key=True)
    channel_user_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), unique=True, nullable=True))
    name: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    phone: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    group_name: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    resident_type: str | None = Field(default=None, sa_column=sa.Column(sa.String(16), nullable=True))
    attributes: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    note: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
