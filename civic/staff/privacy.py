"""What a role without ``personal.view`` sees of personal data: pseudonyms and masked text.

A pseudonym is stable (the same citizen gets the same one in every export), so counting and
following one conversation still work, but it cannot be turned back into a LINE user id.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from civic.crypto import FieldCipher

PERSONAL_PERMISSION = "personal.view"

_PATTERNS = [
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail
    re.compile(r"U[0-9a-f]{32}"),  # a LINE user id inside text
    re.compile(r"〒\s?\d{3}[-－ー]?\d{4}|(?<![\d-])\d{3}[-－ー]\d{4}(?![\d-])"),  # postal code
    re.compile(r"(?<!\d)[0０][0-9０-９]{1,4}[-－ー(（]?[0-9０-９]{1,4}[-－ー)）]?[0-9０-９]{3,4}(?!\d)"),  # phone
    re.compile(r"[0-9０-９]{8,}"),  # long numbers (accounts, cards, my number)
]


def mask_text(text: str | None) -> str | None:
    if text is None:
        return None
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: "＊" * min(len(m.group(0)), 8), text)
    return text


class Pseudonymizer:
    def __init__(self, cipher: FieldCipher) -> None:
        self._key = hashlib.sha256(b"madoguchi-pseudonym" + cipher.active).digest()

    def __call__(self, channel_user_id: str | None) -> str | None:
        if channel_user_id is None:
            return None
        digest = hmac.new(self._key, channel_user_id.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"利用者-{digest[:10]}"
