"""Citizens as the town knows them: one row per LINE user of the town's account."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import EncryptedText, UTCDateTime


class Citizen(SQLModel, table=True):
    __tablename__ = "citizen"

    id: int | None = Field(default=None, primary_key=True)
    #: The channel's user id (LINE userId). Not personal data by itself, needed for lookups.
    channel_user_id: str = Field(sa_column=sa.Column(sa.String(64), unique=True, nullable=False))
    display_name: str | None = Field(default=None, sa_column=sa.Column(EncryptedText, nullable=True))
    is_friend: bool = Field(default=True, nullable=False)
    is_test_account: bool = Field(default=False, nullable=False)
    followed_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    unfollowed_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime, nullable=True))
    created_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))


class FriendshipEvent(SQLModel, table=True):
    """Follow / unfollow history; friend and block counts are derived from it."""

    __tablename__ = "friendship_event"

    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(foreign_key="citizen.id", index=True)
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))  # follow | unfollow
    at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))
