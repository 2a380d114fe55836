"""Attribute definitions, citizens' attribute values and forms.

Values live in one narrow table, one row per value (a multiple choice with three ticks is three
rows; two children's birth dates are two rows), with a column per kind that segment filters query:

* ``choice`` — the choice code (single and multiple choice), plain: which district, which interests;
* ``number`` — plain;
* dates — personal (birth dates), so the exact date is only in ``secret`` (AES-GCM). Segment
  filters still run in SQL on two derived columns: ``date_month`` (year × 12 + month − 1, plain)
  and ``digest`` (a keyed HMAC of the exact date, a blind index). A date range becomes "the months
  strictly inside, plain; the days of the two edge months, by digest" (``civic.segments.compiler``);
* ``text`` — personal free text: ``secret`` plus ``digest`` (exact-match filters only).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import EncryptedText, UTCDateTime

SINGLE, MULTI, DATE, NUMBER, TEXT = "single", "multi", "date", "number", "text"
KINDS = (SINGLE, MULTI, DATE, NUMBER, TEXT)
KIND_LABELS = {SINGLE: "単一選択", MULTI: "複数選択", DATE: "日付", NUMBER: "数値", TEXT: "テキスト"}


class AttributeDefinition(SQLModel, table=True):
    __tablename__ = "attribute_definition"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=sa.Column(sa.String(40), unique=True, nullable=False))
    label: str = Field(sa_column=sa.Column(sa.String(80), nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))
    category: str = Field(default="", sa_column=sa.Column(sa.String(40), nullable=False, server_default=""))
    description: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    #: JSON array of {"value", "label"} (choice kinds).
    choices: str = Field(default="[]", sa_column=sa.Column(sa.Text, nullable=False, server_default="[]"))
    #: How many values a citizen may hold (dates: several children; multiple choice: ignored).
    max_values: int = Field(default=1, nullable=False)
    min_number: float | None = Field(default=None, nullable=True)
    max_number: float | None = Field(default=None, nullable=True)
    unit: str = Field(default="", sa_column=sa.Column(sa.String(16), nullable=False, server_default=""))
    position: int = Field(default=0, nullable=False)
    active: bool = Field(default=True, nullable=False)
    #: Shipped with the town's content (content/<town>/attributes.yml) rather than added by staff.
    builtin: bool = Field(default=False, nullable=False)
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class CitizenAttributeValue(SQLModel, table=True):
    __tablename__ = "citizen_attribute_value"
    __table_args__ = (
        sa.Index("ix_cav_choice", "attribute_id", "choice", "citizen_id"),
        sa.Index("ix_cav_number", "attribute_id", "number", "citizen_id"),
        sa.Index("ix_cav_month", "attribute_id", "date_month", "citizen_id"),
        sa.Index("ix_cav_digest", "attribute_id", "digest", "citizen_id"),
        sa.Index("ix_cav_citizen", "citizen_id", "attribute_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("citizen.id", ondelete="CASCADE"),
                                                nullable=False))
    attribute_id: int = Field(sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("attribute_definition.id", ondelete="CASCADE"), nullable=False))
    #: Order among several values of one attribute (first child, second child…).
    position: int = Field(default=0, nullable=False)
    choice: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    number: float | None = Field(default=None, nullable=True)
    date_month: int | None = Field(default=None, nullable=True)
    digest: str | None = Field(default=None, sa_column=sa.Column(sa.String(32), nullable=True))
    secret: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class Form(SQLModel, table=True):
    """A form built from attributes: the first-use questionnaire, settings, surveys, staff-only forms."""

    __tablename__ = "attribute_form"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=sa.Column(sa.String(40), unique=True, nullable=False))
    title: str = Field(sa_column=sa.Column(sa.String(80), nullable=False))
    description: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    #: JSON array of {"attribute": key, "required": bool, "prompt": str}.
    items: str = Field(default="[]", sa_column=sa.Column(sa.Text, nullable=False, server_default="[]"))
    #: Offered when a citizen follows the account (the first-use questionnaire).
    on_follow: bool = Field(default=False, nullable=False)
    #: Only members of this segment may answer (e.g. a form for the town's own staff); None: everyone.
    segment_id: int | None = Field(default=None, nullable=True)
    thanks: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    active: bool = Field(default=True, nullable=False)
    position: int = Field(default=0, nullable=False)
    builtin: bool = Field(default=False, nullable=False)
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class FormResponse(SQLModel, table=True):
    """That a citizen answered a form, when and how (the answers themselves are attribute values)."""

    __tablename__ = "attribute_form_response"

    id: int | None = Field(default=None, primary_key=True)
    form_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("attribute_form.id", ondelete="CASCADE"),
                                             nullable=False, index=True))
    citizen_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("citizen.id", ondelete="CASCADE"),
                                                nullable=False, index=True))
    via: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))  # liff | chat | staff
    staff_login: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    submitted_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
