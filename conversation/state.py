"""Per-user conversation state (the dialogue engine's storage), persisted across restarts (table ``conversation_state``)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from civic.types import EncryptedText, UTCDateTime


class ConversationState(SQLModel, table=True):
    __tablename__ = "conversation_state"

    channel_user_id: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    #: JSON document owned by the dialogue engine, encrypted (it holds what citizens entered).
    data: str = Field(sa_column=sa.Column(EncryptedText, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False))
