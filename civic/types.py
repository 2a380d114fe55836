"""Column types shared by every domain."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from civic.crypto import FieldCipher


def cipher_of(dialect: Dialect) -> FieldCipher:
    cipher = getattr(dialect, "madoguchi_cipher", None)
    if cipher is None:
        raise RuntimeError("this engine has no field cipher: create it through civic.database.Database")
    return cipher


class EncryptedText(sa.TypeDecorator):
    """Personal data at rest: AES-GCM with the engine's FieldCipher (key id kept in the value)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return cipher_of(dialect).encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return cipher_of(dialect).decrypt(value)


class EncryptedBytes(sa.TypeDecorator):
    """Files at rest (the counter's attachments): AES-GCM as ``EncryptedText``, stored as bytes — no
    base64, so a file costs its own size plus 40 bytes instead of ≈ 1.33× (and 1.8× for base64 inside
    ``EncryptedText``)."""

    impl = sa.LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return cipher_of(dialect).encrypt_bytes(bytes(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return cipher_of(dialect).decrypt_bytes(bytes(value))


class UTCDateTime(sa.TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
