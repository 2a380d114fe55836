"""``python -m bot export DIR`` on a seeded SQLite database: every table of both stores as CSV (UTF-8
with BOM, Excel-safe) and JSON Lines, decrypted, with a README of the formats and a manifest; the
command warns loudly; an existing non-empty directory is refused."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from bot.inbox.models import INBOX_METADATA
from bot.schema import load_metadata
from civic.database import Database
from tests.citizens.conftest import open_inbox
from tests.citizens.seed import TARO, seed
from tests.conftest import TEST_KEY

REPO = Path(__file__).resolve().parents[2]


def _run(db_url: str, directory: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db_url, "DATA_ENCRYPTION_KEY": TEST_KEY, "LINE_CHANNEL_SECRET": "s",
           "LINE_CHANNEL_ACCESS_TOKEN": "t", "PYTHONPATH": str(REPO), "CONTENT_DIR": str(REPO / "content")}
    return subprocess.run([sys.executable, "-m", "bot", "export", str(directory)], env=env, cwd=directory.parent,
                          capture_output=True, text=True, timeout=120)


async def test_export_writes_every_table_decrypted_with_a_readme(sqlite_db: Database, cipher, tmp_path: Path) -> None:
    async with open_inbox(sqlite_db, cipher) as inbox:
        await seed(sqlite_db, inbox)
    out = tmp_path / "handover"
    done = await asyncio.to_thread(_run, sqlite_db.url, out)
    assert done.returncode == 0, done.stderr
    assert "復号" in done.stderr and "DECRYPTED" in done.stderr

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    every = set(load_metadata().tables) | set(INBOX_METADATA.tables)
    assert set(manifest["tables"]) == every
    assert manifest["tables"]["talk_entry"] == 7 and manifest["tables"]["webhook_event"] == 3
    assert manifest["schema_revision"] and manifest["decrypted"] is True
    for name in every:
        raw = (out / "csv" / f"{name}.csv").read_bytes()
        assert raw.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
        assert len(rows) == manifest["tables"][name] + 1  # the header row
        table = load_metadata().tables[name] if name in load_metadata().tables else INBOX_METADATA.tables[name]
        assert rows[0] == [c.name for c in table.columns]
        lines = (out / "json" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(lines) == manifest["tables"][name]
        for part in ("csv", "json"):
            path = out / part / f"{name}{'.csv' if part == 'csv' else '.jsonl'}"
            assert manifest["sha256"][f"{part}/{path.name}"] == hashlib.sha256(path.read_bytes()).hexdigest()
            assert path.stat().st_mode & 0o077 == 0  # the owner's only

    citizens = [json.loads(line) for line in (out / "json" / "citizen.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {"channel_user_id": TARO.uid, "display_name": TARO.name} in [
        {k: c[k] for k in ("channel_user_id", "display_name")} for c in citizens]  # decrypted
    talk = (out / "csv" / "talk_entry.csv").read_text(encoding="utf-8-sig")
    assert TARO.said[0] in talk and "v1." not in talk  # no ciphertext left anywhere
    assert "true" in (out / "csv" / "citizen.csv").read_text(encoding="utf-8-sig")
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "復号" in readme and "decrypted" in readme and "### talk_entry (7 rows)" in readme
    assert "| display_name | text (encrypted at rest" in readme

    again = await asyncio.to_thread(_run, sqlite_db.url, out)  # never overwrites an export
    assert again.returncode == 2 and "空ではありません" in again.stderr
