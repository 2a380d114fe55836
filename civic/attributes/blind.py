"""The blind index: keyed digests of personal values, so SQL can match them without reading them.

A digest is HMAC-SHA256 over ``attribute id : value`` with a key derived from the active data key
(never stored in the database), cut to 128 bits. The same date of two attributes gives different
digests, and without the key a stolen database cannot test guesses. After a key rotation call
``civic.attributes.services.reindex_digests`` (values stay readable with the retired key).
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from datetime import date
from typing import Any

from civic.crypto import FieldCipher
from civic.types import cipher_of

_LABEL = b"madoguchi blind index v1"


class BlindIndex:
    def __init__(self, key: bytes) -> None:
        self._key = hmac.new(key, _LABEL, hashlib.sha256).digest()

    @classmethod
    def of(cls, cipher: FieldCipher) -> BlindIndex:
        found = getattr(cipher, "_madoguchi_blind", None)
        if found is None:
            found = cls(cipher.active)
            cipher._madoguchi_blind = found  # type: ignore[attr-defined]  # cached on the cipher it derives from
        return found

    def _digest(self, attribute_id: int, text: str) -> str:
        return hmac.new(self._key, f"{attribute_id}:{text}".encode(), hashlib.sha256).hexdigest()[:32]

    def date(self, attribute_id: int, value: date) -> str:
        return self._digest(attribute_id, value.isoformat())

    def text(self, attribute_id: int, value: str) -> str:
        return self._digest(attribute_id, normalize_text(value))


def normalize_text(value: str) -> str:
    """Width, case and surrounding space do not matter for an exact-match filter."""
    return unicodedata.normalize("NFKC", value).strip().casefold()


def month_code(value: date) -> int:
    return value.year * 12 + value.month - 1


def blind_index_of(session: Any) -> BlindIndex:
    """The blind index for a session's engine (the cipher travels with the dialect)."""
    bind = session.bind
    return BlindIndex.of(cipher_of(bind.sync_engine.dialect))
