"""Encrypting backup files: AES-256-GCM in chunks, so a database of any size streams through.

File layout: ``MAGIC`` (8 bytes), a random file nonce (8 bytes), then chunks, each a 4-byte
big-endian length and the sealed chunk. A chunk's nonce is the file nonce and its index; its
associated data says whether it is the last chunk, so a cut-off, reordered or spliced file fails
to open instead of restoring part of a database.

The backup key is its own key (``BACKUP_ENCRYPTION_KEY``), not the data key: whoever holds the
backups must not thereby hold the key to the live database's encrypted columns, and the other way
round. Its id (a hash, never the key) is written in the manifest so a wrong key is named as such.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"MDGBAK1\n"
CHUNK = 4 * 1024 * 1024


class BackupCipherError(Exception):
    """A file that does not open with this key, or is damaged."""


def parse_key(text: str) -> bytes:
    """A key as printed by ``python -m bot new-key`` (url-safe base64 of 32 bytes)."""
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != 32:
        raise ValueError("32 バイトの鍵を base64 で指定してください（python -m bot new-key で作れます）")
    return raw


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"madoguchi backup key id\0" + key).hexdigest()[:16]


def _aad(index: int, last: bool) -> bytes:
    return MAGIC + struct.pack(">Q?", index, last)


def _chunks(src: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    current = src.read(CHUNK)
    while True:
        following = src.read(CHUNK)
        yield current, not following
        if not following:
            return
        current = following


def encrypt_file(key: bytes, source: Path, target: Path) -> str:
    """Encrypt ``source`` into ``target``; returns the SHA-256 of the plaintext."""
    aes, digest, file_nonce = AESGCM(key), hashlib.sha256(), os.urandom(8)
    with source.open("rb") as src, target.open("wb") as out:
        out.write(MAGIC + file_nonce)
        for index, (chunk, last) in enumerate(_chunks(src)):
            digest.update(chunk)
            sealed = aes.encrypt(file_nonce + struct.pack(">I", index), chunk, _aad(index, last))
            out.write(struct.pack(">I", len(sealed)) + sealed)
    return digest.hexdigest()


def decrypt_file(key: bytes, source: Path, target: Path) -> str:
    """Decrypt ``source`` into ``target``; returns the SHA-256 of the plaintext. Raises
    ``BackupCipherError`` for a wrong key or a damaged or truncated file."""
    aes, digest = AESGCM(key), hashlib.sha256()
    with source.open("rb") as src, target.open("wb") as out:
        head = src.read(16)
        if len(head) != 16 or head[:8] != MAGIC:
            raise BackupCipherError(f"{source.name} はこの形式のバックアップではありません")
        file_nonce, index, last = head[8:], 0, False
        while True:
            size = src.read(4)
            if not size:
                break
            if last:
                raise BackupCipherError(f"{source.name} の末尾に余分なデータがあります")
            sealed = src.read(struct.unpack(">I", size)[0])
            nonce = file_nonce + struct.pack(">I", index)
            try:
                chunk = aes.decrypt(nonce, sealed, _aad(index, False))
            except InvalidTag:
                try:
                    chunk, last = aes.decrypt(nonce, sealed, _aad(index, True)), True
                except InvalidTag:
                    raise BackupCipherError(
                        f"{source.name} を復号できません（鍵が違うか、ファイルが壊れています）") from None
            digest.update(chunk)
            out.write(chunk)
            index += 1
        if not last:
            raise BackupCipherError(f"{source.name} が途中で切れています")
    return digest.hexdigest()
