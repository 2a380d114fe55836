"""AES-GCM encryption of personal-data fields (ARCHITECTURE.md principle 7).

A token is ``v1.<key id>.<base64url(nonce || ciphertext+tag)>``; the key id lets keys rotate:
new values use the active key, old values stay readable while their key is still configured.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = "v1"


class DecryptionError(ValueError):
    """A token that cannot be decrypted: tampered, foreign, or its key is not configured."""


def key_id_for(key: bytes) -> str:
    return hashlib.sha256(b"madoguchi-key-id" + key).hexdigest()[:8]


def parse_key(text: str) -> bytes:
    """A key is 32 bytes, written as base64 (standard or url-safe) or 64 hex digits."""
    text = text.strip()
    raw: bytes | None = None
    if len(text) == 64:
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raw = None
    if raw is None:
        try:
            raw = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError) as exc:
            raise ValueError("is not base64 or hex") from exc
    if len(raw) != 32:
        raise ValueError(f"must be 32 bytes (AES-256), got {len(raw)}")
    return raw


def new_key_text() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


@dataclass
class FieldCipher:
    """Encrypts text fields with the active key; decrypts with any configured key."""

    active: bytes
    retired: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._keys = {key_id_for(k): AESGCM(k) for k in [*self.retired, self.active]}
        self._active_id = key_id_for(self.active)

    @property
    def active_key_id(self) -> str:
        return self._active_id

    def encrypt(self, plaintext: str, *, context: bytes = b"") -> str:
        nonce = os.urandom(12)
        sealed = self._keys[self._active_id].encrypt(nonce, plaintext.encode("utf-8"), context)
        body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{_VERSION}.{self._active_id}.{body}"

    def decrypt(self, token: str, *, context: bytes = b"") -> str:
        try:
            version, kid, body = token.split(".", 2)
        except ValueError as exc:
            raise DecryptionError("not an encrypted token") from exc
        if version != _VERSION:
            raise DecryptionError(f"unknown token version {version!r}")
        aead = self._keys.get(kid)
        if aead is None:
            raise DecryptionError(f"no key configured for key id {kid!r}")
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return aead.decrypt(raw[:12], raw[12:], context).decode("utf-8")
        except (InvalidTag, ValueError, binascii.Error) as exc:
            raise DecryptionError("token failed authentication") from exc

    def encrypt_bytes(self, plaintext: bytes) -> bytes:
        """Bytes sealed without base64: ``v1.<key id>.`` then nonce, ciphertext and tag (+40 bytes)."""
        nonce = os.urandom(12)
        sealed = self._keys[self._active_id].encrypt(nonce, plaintext, b"")
        return f"{_VERSION}.{self._active_id}.".encode() + nonce + sealed

    def decrypt_bytes(self, token: bytes) -> bytes:
        head = len(_VERSION) + 1 + 8 + 1
        try:
            version, kid = bytes(token[:head]).decode("ascii").rstrip(".").split(".")
        except (UnicodeDecodeError, ValueError) as exc:
            raise DecryptionError("not an encrypted value") from exc
        aead = self._keys.get(kid) if version == _VERSION else None
        if aead is None:
            raise DecryptionError(f"no key configured for key id {kid!r}")
        try:
            return aead.decrypt(bytes(token[head:head + 12]), bytes(token[head + 12:]), b"")
        except InvalidTag as exc:
            raise DecryptionError("value failed authentication") from exc

    def key_id_of(self, token: str) -> str | None:
        parts = token.split(".", 2)
        return parts[1] if len(parts) == 3 else None
