"""The backup and restore drill (issue #18) on SQLite and PostgreSQL: seed → backup → change and
delete → restore → every table exactly as at backup time; and every refusal said plainly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.backup.cipher import parse_key
from bot.backup.generations import BackupError, backup, generations, restore, verify
from bot.backup.running import RunLock
from bot.backup.stores import Store, digest, stores_of
from bot.inbox.models import webhook_event
from bot.settings import default_inbox_url
from civic.citizens.models import Citizen
from civic.crypto import FieldCipher, new_key_text
from civic.database import Database

KEY = parse_key(new_key_text())
AT = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)


def _stores(url: str) -> list[Store]:
    return stores_of(url, default_inbox_url(url))


async def _seed(url: str, cipher: FieldCipher) -> None:
    db = Database(url, cipher)
    inbox = Database(default_inbox_url(url), cipher)
    try:
        async with db.write() as s:
            for n in range(30):
                s.add(Citizen(channel_user_id=f"U{n:032d}", display_name=f"住民{n}", created_at=AT))
        async with inbox.write() as s:
            # an event accepted but not yet answered: it must come back unfinished
            await s.exec(sa.insert(webhook_event).values(
                webhook_event_id="01PENDING", channel="production", user_key="U0", event_type="message",
                payload=json.dumps({"type": "message"}), received_at=AT))
    finally:
        await inbox.dispose()
        await db.dispose()


async def _damage(url: str, cipher: FieldCipher) -> None:
    db = Database(url, cipher)
    try:
        async with db.write() as s:
            await s.exec(sa.delete(Citizen).where(Citizen.channel_user_id.endswith("7")))  # type: ignore[attr-defined]
            s.add(Citizen(channel_user_id="Unew", display_name="あとから", created_at=AT))
    finally:
        await db.dispose()


async def _digests(url: str) -> dict[str, dict[str, tuple[int, str]]]:
    return {store.name: await digest(store) for store in _stores(url)}


async def test_drill_restores_every_table_exactly(database_url: str, cipher: FieldCipher, tmp_path: Path) -> None:
    await _seed(database_url, cipher)
    before = await _digests(database_url)
    assert before["main"]["citizen"][0] == 30
    inbox_store = "inbox" if "inbox" in before else "main"
    assert before[inbox_store]["webhook_event"][0] == 1

    made = await backup(_stores(database_url), KEY, tmp_path / "backups", keep=7, now=AT)
    manifest = json.loads((made / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["stores"]["main"]["revisions"], "the schema revisions are recorded"
    # the files are encrypted: no citizen's user id in clear
    for entry in manifest["stores"].values():
        assert b"U00000000000000000000000000000001" not in (made / entry["file"]).read_bytes()

    await _damage(database_url, cipher)
    assert await _digests(database_url) != before

    await restore(made, _stores(database_url), KEY)
    assert await _digests(database_url) == before

    checked = await verify(made, _stores(database_url), KEY)
    assert checked.tables == before


async def test_generations_are_pruned_to_keep(sqlite_db: Database, tmp_path: Path) -> None:
    url = str(sqlite_db.engine.url)
    await sqlite_db.dispose()
    dest = tmp_path / "backups"
    (dest / ".partial-20261201-000000-abc").mkdir(parents=True)  # a backup cut off half-way
    for day in range(5):
        await backup(_stores(url), KEY, dest, keep=3, now=AT + timedelta(days=day))
    assert [p.name for p in generations(dest)] == ["20261206-030000", "20261207-030000", "20261208-030000"]
    assert not list(dest.glob(".partial-*"))


@pytest.fixture
async def made(sqlite_db: Database, tmp_path: Path) -> tuple[str, Path]:
    url = str(sqlite_db.engine.url)
    await sqlite_db.dispose()
    return url, await backup(_stores(url), KEY, tmp_path / "backups", keep=7, now=AT)


async def test_restore_refuses_a_wrong_key(made: tuple[str, Path]) -> None:
    url, directory = made
    with pytest.raises(BackupError, match="鍵が違います"):
        await restore(directory, _stores(url), parse_key(new_key_text()))


async def test_restore_refuses_a_damaged_file_before_touching_anything(made: tuple[str, Path]) -> None:
    url, directory = made
    sealed = directory / "main.enc"
    data = bytearray(sealed.read_bytes())
    data[len(data) // 2] ^= 0xFF
    sealed.write_bytes(bytes(data))
    before = await _digests(url)
    with pytest.raises(BackupError, match="復号できません"):
        await restore(directory, _stores(url), KEY)
    assert await _digests(url) == before


async def test_restore_refuses_a_truncated_file(made: tuple[str, Path]) -> None:
    url, directory = made
    sealed = directory / "inbox.enc"
    sealed.write_bytes(sealed.read_bytes()[:-40])
    with pytest.raises(BackupError):
        await restore(directory, _stores(url), KEY)


async def test_restore_refuses_a_newer_schema(made: tuple[str, Path]) -> None:
    url, directory = made
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    manifest["stores"]["main"]["revisions"].append("core_9999")
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(BackupError, match="新しい"):
        await restore(directory, _stores(url), KEY)


async def test_restore_refuses_a_running_service(made: tuple[str, Path]) -> None:
    url, directory = made
    lock = RunLock(RunLock.path_for(_stores(url)[0].path))
    assert lock.acquire()
    try:
        # the holder is another process in production; flock is per open file, so a second open
        # file in this process is refused just the same
        with pytest.raises(BackupError, match="サービスが動いています"):
            await restore(directory, _stores(url), KEY)
    finally:
        lock.release()
    await restore(directory, _stores(url), KEY)


async def test_restore_refuses_another_backend(made: tuple[str, Path]) -> None:
    _, directory = made
    with pytest.raises(BackupError, match="復元できません"):
        await restore(directory, [Store("main", "postgresql+asyncpg://postgres@127.0.0.1:5432/nothing")], KEY)


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300, check=False)


def test_the_operator_commands(sqlite_template: Path, tmp_path: Path) -> None:
    """``python -m bot backup``, ``backup --verify`` and ``restore`` as an operator types them."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'var' / 'madoguchi.db'}"
    (tmp_path / "var").mkdir()
    shutil.copyfile(sqlite_template, tmp_path / "var" / "madoguchi.db")
    shutil.copyfile(Path(default_inbox_url(f"sqlite+aiosqlite:///{sqlite_template}").split(":///", 1)[1]),
                    tmp_path / "var" / "madoguchi-inbox.db")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "DATABASE_URL": url,
           "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t",
           "DATA_ENCRYPTION_KEY": new_key_text(), "BACKUP_DIR": str(tmp_path / "backups"),
           "CONTENT_DIR": str(Path(__file__).resolve().parents[2] / "content")}
    missing = _cli(["backup"], env, tmp_path)
    assert missing.returncode == 2 and "BACKUP_ENCRYPTION_KEY" in missing.stderr
    env["BACKUP_ENCRYPTION_KEY"] = new_key_text()
    made = _cli(["backup", "--keep", "2"], env, tmp_path)
    assert made.returncode == 0, made.stderr
    assert "バックアップを作成しました" in made.stderr
    checked = _cli(["backup", "--verify"], env, tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "試しに復元して確認しました" in checked.stderr and "citizen" not in checked.stderr
    (directory,) = generations(tmp_path / "backups")
    wrong = _cli(["restore", str(directory)], {**env, "BACKUP_ENCRYPTION_KEY": new_key_text()}, tmp_path)
    assert wrong.returncode == 2 and "鍵が違います" in wrong.stderr
    done = _cli(["restore", str(directory)], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "復元し" in done.stderr
