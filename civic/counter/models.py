"""Tables of the counter (書かない窓口). Only the counter role writes them: in the LINE service's
database they stay empty (the counter runs on the 番号利用事務系 network, with a database of its own).

* ``counter_form`` — one 届書: kind, state, who made it; the household and members encrypted as
  JSON (``data``); what search needs besides (names, kana, origin) encrypted too (``search_text``),
  filtered after decryption (≈ 33,000 届書 kept for 3 years: a scan of one kind and state is quick).
* ``counter_form_event`` — the process history: every change of state and every memo, with who and when.
* ``counter_document`` — stored PDFs: the 届書 as printed and the related forms (関連申請書),
  each with its masked version (個人番号 and 住民票コード hidden).
* ``counter_attachment`` — papers attached to a 届書 (the certificate read by OCR, a 委任状, others), each
  kept as a PDF and a masked PDF (bytes, encrypted; ``civic.counter.attachments``) with what is masked.
* ``counter_layout`` — OCR layout definitions staff added or imported (the shipped ones are files).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import EncryptedBytes, EncryptedText, UTCDateTime


class CounterForm(SQLModel, table=True):
    __tablename__ = "counter_form"

    id: int | None = Field(default=None, primary_key=True)
    #: 受付番号 staff read out and write on paper: ``<year>-<sequence>``.
    number: str = Field(sa_column=sa.Column(sa.String(16), nullable=False, unique=True))
    kind: str = Field(sa_column=sa.Column(sa.String(24), nullable=False, index=True))
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False, index=True))
    #: Where the household moves from (a town name, for the report by origin town); "" when none.
    origin: str = Field(default="", sa_column=sa.Column(sa.String(64), nullable=False))
    #: What the document was read from: qr, ocr:<kind>, typed (for the report by document read).
    source: str = Field(default="typed", sa_column=sa.Column(sa.String(32), nullable=False))
    data: str = Field(sa_column=sa.Column(EncryptedText, nullable=False))
    search_text: str = Field(sa_column=sa.Column(EncryptedText, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))
    created_by: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_by: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    #: When the 届書 reached 完了 (reception time = finished_at − created_at).
    finished_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))


class CounterFormEvent(SQLModel, table=True):
    __tablename__ = "counter_form_event"

    id: int | None = Field(default=None, primary_key=True)
    form_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("counter_form.id", ondelete="CASCADE"),
                                             nullable=False, index=True))
    at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    staff_login: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    #: The state before and after; equal for a memo.
    status_from: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    status_to: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    note: str = Field(default="", sa_column=sa.Column(EncryptedText, nullable=False))


class CounterDocument(SQLModel, table=True):
    __tablename__ = "counter_document"

    id: int | None = Field(default=None, primary_key=True)
    form_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("counter_form.id", ondelete="CASCADE"),
                                             nullable=False, index=True))
    #: ``form`` (the 届書 as printed) or ``attachment``.
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    label: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    #: A related form's template key (``content/<town>/counter/related/<key>.json``), "" for the 届書 itself:
    #: the operations report finds its 担当課 by it, so renaming a template's title moves no older form.
    template: str = Field(default="", sa_column=sa.Column(sa.String(64), nullable=False, server_default=""))
    #: base64 of the PDF, encrypted; ``masked``: the same with 個人番号 and 住民票コード hidden.
    full: str = Field(sa_column=sa.Column(EncryptedText, nullable=False))
    masked: str = Field(sa_column=sa.Column(EncryptedText, nullable=False))
    size: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    created_by: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))


class CounterAttachment(SQLModel, table=True):
    __tablename__ = "counter_attachment"

    id: int | None = Field(default=None, primary_key=True)
    form_id: int = Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey("counter_form.id", ondelete="CASCADE"),
                                             nullable=False, index=True))
    #: What the paper is: tenshutsu, zairyu, menkyo, mynumber (the documents OCR reads), ininjo (委任状), other.
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    #: The OCR layout the paper follows ("" when none): its regions are masked automatically.
    layout: str = Field(default="", sa_column=sa.Column(sa.String(64), nullable=False))
    note: str = Field(default="", sa_column=sa.Column(EncryptedText, nullable=False))
    filename: str = Field(default="", sa_column=sa.Column(EncryptedText, nullable=False))
    pages: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    #: What is hidden in ``masked`` (JSON): ``{"kinds": [...], "auto": [...], "drawn": [...]}``, rectangles as
    #: fractions of the page — no personal data, only where.
    masks: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    full: bytes = Field(sa_column=sa.Column(EncryptedBytes, nullable=False))
    masked: bytes = Field(sa_column=sa.Column(EncryptedBytes, nullable=False))
    #: Bytes stored (both PDFs, encrypted).
    size: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    created_by: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_by: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))


class CounterLayout(SQLModel, table=True):
    __tablename__ = "counter_layout"

    key: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    #: The definition as JSON (``civic.counter.layouts``): no personal data, a sample's regions.
    definition: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
