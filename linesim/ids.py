"""Identifiers shaped like LINE's own."""

from __future__ import annotations

import re
import secrets
import time
import uuid

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
USER_ID_RE = re.compile(r"^U[0-9a-f]{32}$")
RICH_MENU_ID_RE = re.compile(r"^richmenu-[0-9a-f]{32}$")
ALIAS_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def user_id() -> str:
    return "U" + secrets.token_hex(16)


def group_id() -> str:
    return "C" + secrets.token_hex(16)


def room_id() -> str:
    return "R" + secrets.token_hex(16)


def message_id() -> str:
    """An 18-digit decimal string, like LINE message ids."""
    return str(secrets.randbelow(9 * 10**17) + 10**17)


def reply_token() -> str:
    return secrets.token_hex(16)


def quote_token() -> str:
    return secrets.token_urlsafe(48)


def rich_menu_id() -> str:
    return "richmenu-" + secrets.token_hex(16)


def request_id() -> str:
    return str(uuid.uuid4())


def webhook_event_id(now: float | None = None) -> str:
    """A ULID: 48-bit millisecond time and 80 random bits in Crockford base32 (26 characters)."""
    millis = int((time.time() if now is None else now) * 1000) & ((1 << 48) - 1)
    value = (millis << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return len(value) == 36
