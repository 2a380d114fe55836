"""防災モード (issue #22): the town-wide mode with its history, and shelters (避難所) with their state.

The mode is one of ``normal`` / ``alert`` (警戒) / ``disaster`` (災害). Every change is a row of
``disaster_mode_change`` (who, when, why, from where); the current mode is the latest row, so the
history is the state and nothing can drift. A shelter is a facility (``facility``, category 避難所)
with a row of ``shelter``: its state, capacity, how many are there now, and its kinds.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import EncryptedText, UTCDateTime

NORMAL, ALERT, DISASTER = "normal", "alert", "disaster"
MODES = (NORMAL, ALERT, DISASTER)
MODE_LABELS = {NORMAL: "通常", ALERT: "警戒", DISASTER: "災害"}

# Shelter states: 未開設 / 開設 / 混雑 / 満員 / 閉鎖.
NOT_OPEN, OPEN, CROWDED, FULL, CLOSED = "not_open", "open", "crowded", "full", "closed"
SHELTER_STATES = (NOT_OPEN, OPEN, CROWDED, FULL, CLOSED)
STATE_LABELS = {NOT_OPEN: "未開設", OPEN: "開設", CROWDED: "混雑", FULL: "満員", CLOSED: "閉鎖"}
# Shelter kinds: 指定避難所 / 福祉避難所 / ペット可.
DESIGNATED, WELFARE, PETS = "designated", "welfare", "pets"
SHELTER_KINDS = (DESIGNATED, WELFARE, PETS)
KIND_LABELS = {DESIGNATED: "指定避難所", WELFARE: "福祉避難所", PETS: "ペット可"}
SHELTER_CATEGORY = "避難所"


class DisasterModeChange(SQLModel, table=True):
    __tablename__ = "disaster_mode_change"

    id: int | None = Field(default=None, primary_key=True)
    mode: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    previous: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    reason: str = Field(sa_column=sa.Column(sa.String(500), nullable=False))
    #: A staff login id, or ``mail-rule:<id>`` when a mail switched it.
    changed_by: str = Field(sa_column=sa.Column(sa.String(80), nullable=False))
    changed_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))
    #: ``applied`` once every account's menus were relinked; ``failed`` (with the error) otherwise.
    menus: str = Field(default="pending", sa_column=sa.Column(sa.String(16), nullable=False))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))


class Shelter(SQLModel, table=True):
    __tablename__ = "shelter"

    facility_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("facility.id"), primary_key=True))
    state: str = Field(default=NOT_OPEN, sa_column=sa.Column(sa.String(16), nullable=False))
    capacity: int = Field(default=0, nullable=False)
    occupancy: int = Field(default=0, nullable=False)
    #: Comma-separated ``SHELTER_KINDS``.
    kinds: str = Field(default=DESIGNATED, sa_column=sa.Column(sa.String(100), nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_by: str = Field(default="", sa_column=sa.Column(sa.String(80), nullable=False))


# ---- 安否確認 (safety check) ------------------------------------------------------------------------
# Answers: 無事 / 支援が必要 / 避難中.
SAFE, NEED_HELP, EVACUATING = "safe", "need_help", "evacuating"
ANSWERS = (SAFE, NEED_HELP, EVACUATING)
ANSWER_LABELS = {SAFE: "無事", NEED_HELP: "支援が必要", EVACUATING: "避難中"}
CHECK_OPEN, CHECK_CLOSED = "open", "closed"


class SafetyCheck(SQLModel, table=True):
    """A 安否確認 staff sent to everyone or a segment (as an urgent delivery)."""

    __tablename__ = "safety_check"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    question: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    target: str = Field(default="all", sa_column=sa.Column(sa.String(8), nullable=False))
    segment_id: int | None = Field(default=None, sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("segment.id", ondelete="RESTRICT"), nullable=True))
    delivery_id: int | None = Field(default=None, sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("delivery.id", ondelete="SET NULL"), nullable=True))
    status: str = Field(default=CHECK_OPEN, sa_column=sa.Column(sa.String(8), nullable=False))
    created_by: str = Field(default="", sa_column=sa.Column(sa.String(80), nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))


class SafetyAnswer(SQLModel, table=True):
    """One citizen's answer to a 安否確認 (the latest one counts); where and what they wrote, encrypted."""

    __tablename__ = "safety_answer"
    __table_args__ = (sa.UniqueConstraint("check_id", "citizen_id", name="uq_safety_answer_citizen"),
                      sa.Index("ix_safety_answer_check_status", "check_id", "status"))

    id: int | None = Field(default=None, primary_key=True)
    check_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("safety_check.id", ondelete="CASCADE"),
                                              nullable=False))
    citizen_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("citizen.id", ondelete="CASCADE"),
                                                nullable=False, index=True))
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    #: Where they are (a shelter's name, an address they wrote, or the sent location's address).
    place: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    #: ``latitude,longitude`` of a sent location.
    location: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    note: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    answered_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
