"""Deliveries, their runs (each actual sending), the batches of a run, tracked links and clicks.

A *delivery* is what staff write: messages, a target, a timing. A *run* is one sending of it —
one for "now" or "at a time", one per occurrence of a recurring rule or reminder, one per test
send. Runs are created once (unique per delivery and due time) and claimed in the database by
one service instance before sending. A run's recipients are fixed when it starts, cut into
batches of ≤ 500 with a retry key each, and every batch's outcome is recorded as LINE answers,
so a run interrupted by a crash resumes where it stopped and sends nobody anything twice.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import EncryptedText, UTCDateTime

# delivery.timing
NOW, AT, RECURRING, REMINDER, DRAFT = "now", "at", "recurring", "reminder", "draft"
TIMINGS = (NOW, AT, RECURRING, REMINDER, DRAFT)
TIMING_LABELS = {NOW: "即時", AT: "予約", RECURRING: "繰り返し", REMINDER: "リマインド", DRAFT: "下書き"}
# delivery.target
EVERYONE, SEGMENT, TEST_ACCOUNTS = "all", "segment", "test"
# delivery.status
D_DRAFT, D_APPROVAL, D_SCHEDULED, D_ACTIVE, D_FINISHED, D_CANCELLED = (
    "draft", "approval", "scheduled", "active", "finished", "cancelled")
# run.status
R_DUE, R_SENDING, R_DONE, R_FAILED, R_SKIPPED, R_CANCELLED = "due", "sending", "done", "failed", "skipped", "cancelled"
# delivery_run.priority and .method (urgent deliveries, issue #22)
ROUTINE, URGENT = 0, 1
MULTICAST, BROADCAST = "multicast", "broadcast"
# batch.status
B_PENDING, B_SENT, B_FAILED, B_CANCELLED = "pending", "sent", "failed", "cancelled"


class Delivery(SQLModel, table=True):
    __tablename__ = "delivery"
    __table_args__ = (sa.Index("ix_delivery_status_next", "status", "next_due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    #: The messages as staff wrote them (JSON array, canonical form).
    messages: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    target: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))
    segment_id: int | None = Field(default=None, sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("segment.id", ondelete="RESTRICT"), nullable=True, index=True))
    timing: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    send_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    #: JSON of a ``schedule.Recurrence`` or ``schedule.Reminder``.
    rule: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    #: The next occurrence not yet turned into a run (recurring and reminders).
    next_due_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    status: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    #: Where it came from: api | csv | mail (and which row or mail).
    source: str = Field(default="api", sa_column=sa.Column(sa.String(8), nullable=False, server_default="api"))
    source_ref: str | None = Field(default=None, sa_column=sa.Column(sa.String(120), nullable=True))
    created_by: str = Field(default="", sa_column=sa.Column(sa.String(64), nullable=False, server_default=""))
    #: 緊急配信 (issue #22): sent before every other delivery, by LINE's broadcast when it goes to everyone.
    urgent: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False, server_default=sa.false()))
    approved_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class DeliveryRun(SQLModel, table=True):
    __tablename__ = "delivery_run"
    __table_args__ = (
        sa.UniqueConstraint("delivery_id", "due_at", "is_test", name="uq_delivery_run_due"),
        sa.Index("ix_delivery_run_status_due", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("delivery.id", ondelete="CASCADE"),
                                                 nullable=False, index=True))
    due_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    is_test: bool = Field(default=False, nullable=False)
    #: 1 for an urgent delivery's run (claimed before every routine one, also after a crash), else 0.
    priority: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0"))
    #: How it goes out: ``multicast`` (batches of ≤ 500) or ``broadcast`` (an urgent one to everyone: one call).
    method: str = Field(default="multicast", sa_column=sa.Column(sa.String(10), nullable=False,
                                                                 server_default="multicast"))
    status: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    channel: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    claimed_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    lease_until: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    #: Seed of the batches' retry keys (uuid5 of this and the batch number): stable across restarts.
    key_seed: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    #: The messages as sent (links rewritten for this run), fixed when the run starts.
    messages: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    aggregation_unit: str | None = Field(default=None, sa_column=sa.Column(sa.String(30), nullable=True))
    targeted: int | None = Field(default=None, nullable=True)
    succeeded: int = Field(default=0, nullable=False)
    failed: int = Field(default=0, nullable=False)
    attempts: int = Field(default=0, nullable=False)
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    started_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class DeliveryBatch(SQLModel, table=True):
    __tablename__ = "delivery_batch"
    __table_args__ = (sa.UniqueConstraint("run_id", "number", name="uq_delivery_batch_number"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("delivery_run.id", ondelete="CASCADE"),
                                            nullable=False, index=True))
    number: int = Field(nullable=False)
    #: JSON array of LINE userIds (not personal by themselves; needed to send).
    recipients: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    size: int = Field(nullable=False)
    retry_key: str = Field(sa_column=sa.Column(sa.String(36), nullable=False, unique=True))
    status: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    attempts: int = Field(default=0, nullable=False)
    first_attempt_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    sent_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))


class TrackedLink(SQLModel, table=True):
    """A link in a run's messages, replaced by ``/r/{token}`` to count clicks (§9(2)(ア)⑪)."""

    __tablename__ = "delivery_link"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(sa_column=sa.Column(sa.String(24), unique=True, nullable=False))
    run_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("delivery_run.id", ondelete="CASCADE"),
                                            nullable=False, index=True))
    url: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class LinkClick(SQLModel, table=True):
    __tablename__ = "delivery_link_click"

    id: int | None = Field(default=None, primary_key=True)
    link_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("delivery_link.id", ondelete="CASCADE"),
                                             nullable=False, index=True))
    #: A keyed digest of the visitor (address and browser) for unique clicks; not reversible.
    visitor: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class MailRule(SQLModel, table=True):
    """Mail to LINE (国富町 §9(2)(ア)⑥): which received mails become deliveries, rewritten how, to whom."""

    __tablename__ = "delivery_mail_rule"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(80), nullable=False))
    priority: int = Field(default=100, nullable=False)
    #: Sender: an address (``bousai@town.example.jp``), a domain (``@town.example.jp``), or empty for any.
    sender: str = Field(default="", sa_column=sa.Column(sa.String(254), nullable=False, server_default=""))
    #: A regular expression searched in the subject; empty for any.
    subject: str = Field(default="", sa_column=sa.Column(sa.String(300), nullable=False, server_default=""))
    #: JSON array of rewriting steps (see ``civic.deliveries.mail``).
    rewrite: str = Field(default="[]", sa_column=sa.Column(sa.Text, nullable=False, server_default="[]"))
    include_subject: bool = Field(default=True, nullable=False)
    target: str = Field(default="all", sa_column=sa.Column(sa.String(8), nullable=False, server_default="all"))
    segment_id: int | None = Field(default=None, sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("segment.id", ondelete="RESTRICT"), nullable=True))
    needs_approval: bool = Field(default=False, nullable=False)
    active: bool = Field(default=True, nullable=False)
    #: A matching mail also switches the town's 防災モード (``alert`` / ``disaster``; issue #22).
    disaster_mode: str | None = Field(default=None, sa_column=sa.Column(sa.String(16), nullable=True))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class InboundMail(SQLModel, table=True):
    """A received mail and what became of it (delivered, held for approval, ignored, error)."""

    __tablename__ = "delivery_inbound_mail"

    id: int | None = Field(default=None, primary_key=True)
    message_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(300), unique=True, nullable=True))
    sender: str = Field(sa_column=sa.Column(sa.String(254), nullable=False))
    subject: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    #: The body text as received (may hold personal data: encrypted).
    body: str = Field(sa_column=sa.Column(EncryptedText, nullable=False))
    via: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))  # smtp | upload
    status: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    rule_id: int | None = Field(default=None, nullable=True)
    delivery_id: int | None = Field(default=None, nullable=True)
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    received_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))


class DeliveryImage(SQLModel, table=True):
    """An image staff uploaded for deliveries (``civic.deliveries.images``): kept in the database so
    every instance serves it, on SQLite and PostgreSQL alike, at ``/media/{token}``."""

    __tablename__ = "delivery_image"

    id: int | None = Field(default=None, primary_key=True)
    #: The unguessable part of its public URL.
    token: str = Field(sa_column=sa.Column(sa.String(43), nullable=False, unique=True))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    content_type: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    width: int = Field(nullable=False)
    height: int = Field(nullable=False)
    size: int = Field(nullable=False)
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    created_by: str = Field(default="", sa_column=sa.Column(sa.String(64), nullable=False, server_default=""))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))
