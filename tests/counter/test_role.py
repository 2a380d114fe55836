"""The counter role stands alone: its settings need no LINE credentials, it imports nothing that talks to
LINE, and its QR key is installed from a file (owner-only, the previous key kept for codes issued under it)."""

from __future__ import annotations

import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.counter_role import CounterSettings, CounterSettingsError, install_qr_key, read_qr_keys
from civic.crypto import new_key_text
from civic.procedures.payload import QrKeyring, Ticket
from tests.bot.helpers import REPO


def test_settings_need_only_a_data_key() -> None:
    key = new_key_text()
    settings = CounterSettings.from_env({"DATA_ENCRYPTION_KEY": key, "CONTENT_DIR": str(REPO / "content")})
    assert settings.port == 8010 and settings.database_url.startswith("sqlite")
    with pytest.raises(CounterSettingsError, match="DATA_ENCRYPTION_KEY"):
        CounterSettings.from_env({})
    with pytest.raises(CounterSettingsError, match="COUNTER_OCR_ENGINE"):
        CounterSettings.from_env({"DATA_ENCRYPTION_KEY": key, "COUNTER_OCR_ENGINE": "cloud"})


def test_the_role_imports_nothing_that_talks_to_line() -> None:
    code = ("import sys, bot.counter_role; print(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('linebot', 'linesim', 'richmenus', 'dialogues', 'nlu', 'liff')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "[]"


def test_qr_key_installed_out_of_band(tmp_path: Path) -> None:
    path = tmp_path / "counter" / "qr.key"
    old, new = new_key_text(), new_key_text()
    install_qr_key(path, old)
    installed = read_qr_keys(path)
    assert installed is not None
    issued_before = QrKeyring(installed.active).seal(Ticket("tennyu", (), {}, None, datetime(2026, 12, 1, tzinfo=UTC)))
    install_qr_key(path, new)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keys = read_qr_keys(path)
    assert keys is not None and keys.open(issued_before).event == "tennyu"  # the retired key still opens
    install_qr_key(path, new, keep_old=False)
    assert len(path.read_text().split()) == 1
    with pytest.raises(ValueError):
        install_qr_key(path, "not a key")
