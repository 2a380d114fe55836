"""Road-damage reports from citizens (酒田市 spec 第5章 1(6)): photo, location, short text, status.

States are richer than Open311's open/closed (FixMyStreet-style); ``admin_api.open311`` maps
them at the edge, and publishes a description only as staff approved it (``public_description``). The reporter's LINE user id is kept so each status change can be pushed to them.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import EncryptedText, UTCDateTime

RECEIVED = "received"        # 受付
IN_PROGRESS = "in_progress"  # 対応中
DONE = "done"                # 完了
REJECTED = "rejected"        # 対応不可
DUPLICATE = "duplicate"      # 重複
STATUSES = (RECEIVED, IN_PROGRESS, DONE, REJECTED, DUPLICATE)
OPEN_STATUSES = (RECEIVED, IN_PROGRESS)
STATUS_LABELS = {RECEIVED: "受付", IN_PROGRESS: "対応中", DONE: "完了", REJECTED: "対応不可", DUPLICATE: "重複"}

#: Which status may follow which. Closed reports can be reopened (対応中) when work resumes.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    RECEIVED: (IN_PROGRESS, DONE, REJECTED, DUPLICATE),
    IN_PROGRESS: (DONE, REJECTED, DUPLICATE),
    DONE: (IN_PROGRESS,),
    REJECTED: (IN_PROGRESS,),
    DUPLICATE: (IN_PROGRESS,),
}


class ReportPhoto(SQLModel, table=True):
    """A sanitised photo (re-encoded JPEG, no EXIF), encrypted at rest.

    Stored when the citizen sends it, before the report exists (``report_id`` None, a draft owned
    by ``owner``); linked when the report is submitted. Drafts of abandoned reports are purged.
    """

    __tablename__ = "report_photo"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int | None = Field(default=None, foreign_key="report.id", index=True, nullable=True)
    owner: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, index=True))
    content_type: str = Field(default="image/jpeg", sa_column=sa.Column(sa.String(32), nullable=False))
    width: int = Field(nullable=False)
    height: int = Field(nullable=False)
    size: int = Field(nullable=False)
    #: base64 of the JPEG, encrypted (AES-GCM).
    data: str = Field(sa_column=sa.Column(EncryptedText, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))


class Report(SQLModel, table=True):
    __tablename__ = "report"
    __table_args__ = (sa.Index("ix_report_category_status", "category", "status"),
                      sa.Index("ix_report_lat_lon", "latitude", "longitude"))

    id: int | None = Field(default=None, primary_key=True)
    #: 受付番号 shown to the citizen (``2025-00012``).
    receipt_no: str | None = Field(default=None, sa_column=sa.Column(sa.String(20), unique=True, nullable=True))
    category: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    description: str = Field(default="", sa_column=sa.Column(EncryptedText, nullable=False))
    latitude: float = Field(sa_column=sa.Column(sa.Float, nullable=False))
    longitude: float = Field(sa_column=sa.Column(sa.Float, nullable=False))
    #: The address as typed or as LINE gave it (may be empty).
    address: str = Field(default="", sa_column=sa.Column(sa.String(200), nullable=False))
    #: ``line`` (a location message) or ``geocoded`` (an address typed by the citizen).
    location_source: str = Field(default="line", sa_column=sa.Column(sa.String(16), nullable=False))
    status: str = Field(default=RECEIVED, sa_column=sa.Column(sa.String(16), nullable=False, index=True))
    #: The account the report came through (production / test): notifications go back through it.
    channel: str = Field(default="production", sa_column=sa.Column(sa.String(32), nullable=False))
    reporter: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True, index=True))
    citizen_id: int | None = Field(default=None, foreign_key="citizen.id", nullable=True)
    duplicate_of: int | None = Field(default=None, foreign_key="report.id", nullable=True)
    has_photo: bool = Field(default=False, nullable=False)
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    #: The description as a staff member approved it for publication (Open311); None: not approved.
    public_description: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    public_approved_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(100), nullable=True))
    public_approved_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    #: The department (担当課) staff assigned the report to; empty: not yet assigned.
    department: str = Field(default="", sa_column=sa.Column(sa.String(80), nullable=False, server_default=""))


class ReportStatusChange(SQLModel, table=True):
    """The report's history: every status change, its note, who made it, whether the reporter was told."""

    __tablename__ = "report_status_change"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    from_status: str | None = Field(default=None, sa_column=sa.Column(sa.String(16), nullable=True))
    to_status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    note: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    staff_id: int | None = Field(default=None, nullable=True)
    staff_name: str = Field(default="", sa_column=sa.Column(sa.String(100), nullable=False))
    notified: bool = Field(default=False, nullable=False)
    at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class ReportTemplate(SQLModel, table=True):
    """A response template (回答テンプレート) staff pick when they change a report's status: the text sent to
    the reporter with the change (FixMyStreet's response templates). Nothing about a citizen."""

    __tablename__ = "report_template"

    id: int | None = Field(default=None, primary_key=True)
    #: The status the template is offered for (``in_progress``, ``done``, ``rejected``, ``duplicate``).
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False, index=True))
    title: str = Field(sa_column=sa.Column(sa.String(80), nullable=False))
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    sort_order: int = Field(default=0, nullable=False)
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
