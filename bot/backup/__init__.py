"""Backups and restore (issue #18): ``python -m bot backup | restore``; see ``generations``.

Settings (environment, ``.env``):

- ``BACKUP_ENCRYPTION_KEY``: the key backups are encrypted with (``python -m bot new-key``); its own
  key, not ``DATA_ENCRYPTION_KEY``. Keep a copy away from the backups: without it they cannot be read.
- ``BACKUP_DIR`` (default ``var/backups``), ``BACKUP_KEEP`` generations (default 7).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.backup.cipher import parse_key


def backup_dir(env: Mapping[str, str]) -> Path:
    """Where the generations are kept: ``BACKUP_DIR``, else ``var/backups`` (the settings' ``backup_dir``
    for ``/readyz`` and the metrics reads the same)."""
    return Path(env.get("BACKUP_DIR", "").strip() or "var/backups")


@dataclass(frozen=True)
class BackupConfig:
    key: bytes
    dest: Path = Path("var/backups")
    keep: int = 7

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BackupConfig:
        env = os.environ if env is None else env
        text = env.get("BACKUP_ENCRYPTION_KEY", "").strip()
        if not text:
            raise ValueError("BACKUP_ENCRYPTION_KEY が設定されていません（python -m bot new-key で作れます）")
        try:
            key = parse_key(text)
        except ValueError as exc:
            raise ValueError(f"BACKUP_ENCRYPTION_KEY: {exc}") from None
        keep_text = env.get("BACKUP_KEEP", "").strip() or "7"
        if not keep_text.isdigit() or int(keep_text) < 1:
            raise ValueError("BACKUP_KEEP: 1 以上の整数にしてください")
        return cls(key, backup_dir(env), int(keep_text))
