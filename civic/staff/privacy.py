"""What a role without ``personal.view`` sees of personal data: pseudonyms and masked text.

A pseudonym is stable (the same citizen gets the same one in every export), so counting and
following one conversation still work, but it cannot be turned back into a LINE user id.
Fields that *are* personal data (a name, a phone number) are masked whole; free text (what a
citizen wrote) goes through a ``Redactor``: phone numbers, e-mail addresses, LINE user ids, postal
codes and long numbers by pattern, and personal names when the service gives it a name finder
(``nlu.names``, SudachiPy's 人名; ``civic`` itself reads no Japanese).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from civic.crypto import FieldCipher

PERSONAL_PERMISSION = "personal.view"
MASK = "＊＊＊"

_PATTERNS = [
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail
    re.compile(r"U[0-9a-f]{32}"),  # a LINE user id inside text
    re.compile(r"〒\s?\d{3}[-－ー]?\d{4}|(?<![\d-])\d{3}[-－ー]\d{4}(?![\d-])"),  # postal code
    re.compile(r"(?<!\d)[0０][0-9０-９]{1,4}[-－ー(（]?[0-9０-９]{1,4}[-－ー)）]?[0-9０-９]{3,4}(?!\d)"),  # phone
    re.compile(r"[0-9０-９]{8,}"),  # long numbers (accounts, cards, my number)
]

#: Finds personal names in a text: (start, end) spans.
NameFinder = Callable[[str], Iterable[tuple[int, int]]]


def mask_text(text: str | None) -> str | None:
    if text is None:
        return None
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: "＊" * min(len(m.group(0)), 8), text)
    return text


def mask_value(value: Any) -> Any:
    """A personal field, masked whole (None and empty stay as they are)."""
    return value if value in (None, "") else MASK


class Redactor:
    """Free text with personal data masked: names (when given a finder) and every ``mask_text`` pattern."""

    def __init__(self, names: NameFinder | None = None) -> None:
        self.names = names

    def __call__(self, text: str | None) -> str | None:
        if not text:
            return text
        if self.names is not None:
            parts, at = [], 0
            for start, end in sorted(self.names(text)):
                if start >= at:
                    parts += [text[at:start], "＊" * min(end - start, 8)]
                    at = end
            text = "".join(parts) + text[at:]
        return mask_text(text)


class Pseudonymizer:
    def __init__(self, cipher: FieldCipher) -> None:
        self._key = hashlib.sha256(b"madoguchi-pseudonym" + cipher.active).digest()

    def __call__(self, channel_user_id: str | None) -> str | None:
        if channel_user_id is None:
            return None
        digest = hmac.new(self._key, channel_user_id.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"利用者-{digest[:10]}"


#: Keys of operation-log snapshots that hold a citizen's personal data, by the target's type
#: (``*``: every target). A booker's ``name`` is a person's; a facility's is not.
PERSONAL_KEYS: dict[str, frozenset[str]] = {
    "*": frozenset({"channel_user_id", "applicant_name", "applicant_phone", "reporter", "asker", "user"}),
    "booker": frozenset({"name", "phone", "group_name", "note"}),
}


def mask_snapshot(data: Any, target_type: str, redact: Callable[[str | None], str | None]) -> Any:
    """An operation-log snapshot (parsed JSON) as a role without ``personal.view`` may see it."""
    keys = PERSONAL_KEYS["*"] | PERSONAL_KEYS.get(target_type, frozenset())

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (mask_value(v) if k in keys and not isinstance(v, bool | int | float) else walk(v))
                    for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return redact(value) if isinstance(value, str) else value

    return walk(data)


def mask_snapshot_text(text: str | None, target_type: str, redact: Callable[[str | None], str | None]) -> str | None:
    """``mask_snapshot`` for the JSON text as stored (the CSV export)."""
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return redact(text)
    return json.dumps(mask_snapshot(data, target_type, redact), ensure_ascii=False)
