"""Rich menus as staff edit them (drafts), per-account targets, releases, and what exists on LINE."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import UTCDateTime

PRODUCTION, TEST = "production", "test"
ACCOUNTS = (PRODUCTION, TEST)


class RichMenuImage(SQLModel, table=True):
    """Image bytes by content hash: immutable, so old releases can always be published again."""

    __tablename__ = "rich_menu_image"

    sha256: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    content_type: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))
    width: int = Field(nullable=False)
    height: int = Field(nullable=False)
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class RichMenuGroup(SQLModel, table=True):
    """Menus shown as tabs of one another (switching through aliases)."""

    __tablename__ = "rich_menu_group"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class RichMenu(SQLModel, table=True):
    __tablename__ = "rich_menu"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    #: ``richmenus.spec.MenuSpec`` as JSON (size, chat-bar text, areas).
    spec: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    #: ``richmenus.layout.Layout`` as JSON when the image is rendered from tiles; null for uploads.
    layout: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    image_sha256: str | None = Field(default=None, sa_column=sa.Column(
        sa.String(64), sa.ForeignKey("rich_menu_image.sha256"), nullable=True))
    group_id: int | None = Field(default=None, sa_column=sa.Column(
        sa.Integer, sa.ForeignKey("rich_menu_group.id"), nullable=True, index=True))
    tab_label: str | None = Field(default=None, sa_column=sa.Column(sa.String(20), nullable=True))
    tab_position: int = Field(default=0, nullable=False)
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class RichMenuTarget(SQLModel, table=True):
    """Which menu an account shows: its default menu, and menus for segments (first matching priority wins)."""

    __tablename__ = "rich_menu_target"
    __table_args__ = (sa.UniqueConstraint("account", "segment_id", name="uq_rich_menu_target_segment"),)

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    #: Null for the account's default menu.
    segment_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    menu_id: int = Field(foreign_key="rich_menu.id", index=True)
    priority: int = Field(default=0, nullable=False)


class RichMenuRelease(SQLModel, table=True):
    """A numbered version of what one account shows; publishing applies it, rollback re-applies an old one."""

    __tablename__ = "rich_menu_release"
    __table_args__ = (sa.UniqueConstraint("account", "number", name="uq_rich_menu_release_number"),)

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    number: int = Field(nullable=False)
    #: JSON: {"menus": {id: {"name", "spec", "image"}}, "default": id|null, "segments": [{segment_id, menu_id}]}
    snapshot: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    status: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))  # pending | applied | failed
    source: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))  # draft | rollback:3 | promote:test#2
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    created_by: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
    applied_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))


class RichMenuUpload(SQLModel, table=True):
    """A rich menu object we created on a LINE account, by content hash (publishing reuses it)."""

    __tablename__ = "rich_menu_upload"
    __table_args__ = (sa.UniqueConstraint("account", "content_hash", name="uq_rich_menu_upload_content"),)

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    content_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    line_rich_menu_id: str = Field(sa_column=sa.Column(sa.String(80), nullable=False))
    menu_id: int = Field(nullable=False)
    image_uploaded: bool = Field(default=False, nullable=False)
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class RichMenuUserLink(SQLModel, table=True):
    """A per-user menu we linked on LINE (segment menus), so the next publish knows what to change."""

    __tablename__ = "rich_menu_user_link"

    account: str = Field(sa_column=sa.Column(sa.String(16), primary_key=True))
    channel_user_id: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    line_rich_menu_id: str = Field(sa_column=sa.Column(sa.String(80), nullable=False))
    segment_id: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    linked_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class RichMenuTap(SQLModel, table=True):
    """One tap on a postback area, from the bot's postback events (国富町 §9(2)(ウ)⑦ リッチメニュー操作数)."""

    __tablename__ = "rich_menu_tap"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))
    channel_user_id: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    data: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    menu_id: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=True))
    area_index: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, nullable=True))
    label: str | None = Field(default=None, sa_column=sa.Column(sa.String(40), nullable=True))


class RichMenuModeTarget(SQLModel, table=True):
    """What an account shows in a 防災モード (``alert`` / ``disaster``), prepared beforehand (issue #22).

    Its menus are published with every release of the account (``services.snapshot``), so switching
    the mode only points the default menu and the segment links at them (``modes.ModeMenus``)."""

    __tablename__ = "rich_menu_mode_target"
    __table_args__ = (sa.UniqueConstraint("mode", "account", "segment_id", name="uq_rich_menu_mode_target"),)

    id: int | None = Field(default=None, primary_key=True)
    mode: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    account: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    #: Null for the mode's default menu.
    segment_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64), nullable=True))
    menu_id: int = Field(foreign_key="rich_menu.id", index=True)
    priority: int = Field(default=0, nullable=False)
