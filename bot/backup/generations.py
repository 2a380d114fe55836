"""Backups in generations, restore and the restore drill (issue #18).

国富町 §9(1)(ウ) automatic backups; 酒田市 4(5) seven a week, three generations kept, recovery
within a day; 小郡市 8(2)c キ–ケ at least 24 hours of data and a restore; CMS spec ⑥⑦ daily,
five generations.

A backup is a directory ``<dest>/<YYYYmmdd-HHMMSS>/`` holding one encrypted file per store
(``main.enc``, and ``inbox.enc`` when the inbox is a store of its own) and ``manifest.json``:
when, which backend, the schema revisions, the backup key's id and each file's checksums. It is
written under a ``.partial-`` name and renamed when complete, so a backup cut off half-way is never
taken for a generation; pruning keeps the newest ``keep`` complete ones.

Restoring refuses, before touching anything: a running service, a wrong key, a file whose
checksum does not match, a backup of the other backend, and a schema newer than this code. Every
file is decrypted and checked first, then the stores are replaced, then migrations bring the
schema forward. Unfinished inbox events come back with the inbox and are processed once when the
service starts (the outcome table in the main store says which are finished).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory

from bot.backup import stores as store_io
from bot.backup.cipher import BackupCipherError, decrypt_file, encrypt_file, key_id
from bot.backup.running import RunLock
from bot.backup.stores import Store, StoreError
from bot.migrate import alembic_config, upgrade

FORMAT = 1
MANIFEST = "manifest.json"
PARTIAL = ".partial-"


class BackupError(Exception):
    """Why a backup, restore or check did not happen, in plain Japanese for the operator."""


@dataclass
class Manifest:
    created_at: str
    backend: str  # "sqlite" | "postgresql"
    key_id: str
    stores: dict[str, dict[str, Any]] = field(default_factory=dict)
    format: int = FORMAT

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            manifest = cls(**raw)
        except FileNotFoundError:
            raise BackupError(f"{directory} にはバックアップの目録（{MANIFEST}）がありません") from None
        except (ValueError, TypeError):
            raise BackupError(f"{path} を読めません（壊れているか、別の形式です）") from None
        if manifest.format != FORMAT:
            raise BackupError(f"{directory} は対応していない形式（{manifest.format}）のバックアップです")
        return manifest


def _backend(stores: list[Store]) -> str:
    return "sqlite" if stores[0].sqlite else "postgresql"


def generations(dest: Path) -> list[Path]:
    """Complete backups in ``dest``, oldest first."""
    if not dest.is_dir():
        return []
    return sorted(p for p in dest.iterdir() if p.is_dir() and not p.name.startswith(".")
                  and (p / MANIFEST).is_file())


def newest_at(dest: Path) -> datetime | None:
    """When the newest complete generation in ``dest`` was made (its manifest's time), or None."""
    for directory in reversed(generations(dest)):
        try:
            return datetime.fromisoformat(Manifest.read(directory).created_at)
        except (BackupError, ValueError):
            continue
    return None


def prune(dest: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` generations, and leftovers of cut-off backups."""
    removed = []
    for old in generations(dest)[:-keep] if keep > 0 else []:
        shutil.rmtree(old)
        removed.append(old)
    for partial in dest.glob(f"{PARTIAL}*") if dest.is_dir() else []:
        shutil.rmtree(partial, ignore_errors=True)
        removed.append(partial)
    return removed


async def backup(stores: list[Store], key: bytes, dest: Path, keep: int, now: datetime | None = None) -> Path:
    """Make one generation while the service runs; returns its directory."""
    now = now or datetime.now(UTC)
    name = now.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    work = await asyncio.to_thread(_start, dest, name)
    manifest = Manifest(created_at=now.isoformat(), backend=_backend(stores), key_id=key_id(key))
    try:
        for store in stores:
            plain = work / f"{store.name}.plain"
            revisions = await store_io.revisions(store)
            await asyncio.to_thread(store_io.dump, store, plain)
            sealed = work / f"{store.name}.enc"
            plain_sha = await asyncio.to_thread(encrypt_file, key, plain, sealed)
            plain.unlink()
            manifest.stores[store.name] = {
                "file": sealed.name, "sha256": plain_sha, "bytes": sealed.stat().st_size,
                "revisions": revisions}
        await asyncio.to_thread(_finish, work, manifest, dest / name)
    except (StoreError, OSError) as exc:
        await asyncio.to_thread(shutil.rmtree, work, True)
        raise BackupError(f"バックアップを作れませんでした: {exc}") from exc
    await asyncio.to_thread(prune, dest, keep)
    return dest / name


def _start(dest: Path, name: str) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    if (dest / name).exists():
        raise BackupError(f"{dest / name} はすでにあります（同じ秒に2回目のバックアップです）")
    work = dest / f"{PARTIAL}{name}-{uuid.uuid4().hex[:6]}"
    work.mkdir()
    return work


def _finish(work: Path, manifest: Manifest, final: Path) -> None:
    """The manifest last, then the rename: a generation exists only once it is complete."""
    (work / MANIFEST).write_text(json.dumps(manifest.__dict__, ensure_ascii=False, indent=2), encoding="utf-8")
    work.rename(final)


def _check_schema(manifest: Manifest) -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    known = {rev.revision for rev in script.walk_revisions()}
    for name, entry in manifest.stores.items():
        newer = [r for r in entry.get("revisions") or [] if r not in known]
        if newer:
            raise BackupError(f"{name} のスキーマ（{', '.join(newer)}）がこのプログラムより新しいため復元できません。"
                              "バックアップを取ったときの版のプログラムで復元してください")


def _check_target(manifest: Manifest, stores: list[Store], key: bytes) -> None:
    if manifest.key_id != key_id(key):
        raise BackupError("バックアップの鍵が違います（BACKUP_ENCRYPTION_KEY を、バックアップを取ったときの鍵にしてください）")
    if manifest.backend != _backend(stores):
        raise BackupError(f"{manifest.backend} のバックアップは {_backend(stores)} には復元できません")
    wanted = {s.name for s in stores}
    if set(manifest.stores) != wanted:
        raise BackupError(f"バックアップの中身（{', '.join(sorted(manifest.stores))}）と復元先"
                          f"（{', '.join(sorted(wanted))}）が合いません")


async def _decrypt_all(directory: Path, manifest: Manifest, stores: list[Store], key: bytes, into: Path) -> dict[str, Path]:
    _check_target(manifest, stores, key)
    plain: dict[str, Path] = {}
    for name, entry in manifest.stores.items():
        target = into / f"{name}.plain"
        try:
            sha = await asyncio.to_thread(decrypt_file, key, directory / str(entry["file"]), target)
        except FileNotFoundError:
            raise BackupError(f"{directory / str(entry['file'])} がありません") from None
        except BackupCipherError as exc:
            raise BackupError(str(exc)) from None
        if sha != entry["sha256"]:
            raise BackupError(f"{name} のチェックサムが目録と一致しません（バックアップが壊れています）")
        plain[name] = target
    return plain


async def _refuse_running(stores: list[Store]) -> None:
    main = stores[0]
    if main.sqlite:
        holder = RunLock(RunLock.path_for(main.path)).holder()
        if holder is not None:
            raise BackupError(f"サービスが動いています（プロセス {holder}）。止めてから復元してください")
        return
    sessions = await store_io.other_sessions(main)
    if sessions:
        raise BackupError("データベースに他の接続があります（" + ", ".join(sorted(set(sessions)))
                          + "）。サービスを止めてから復元してください")


async def restore(directory: Path, stores: list[Store], key: bytes) -> Manifest:
    """Replace the stores with the backup in ``directory`` and migrate them forward."""
    manifest = Manifest.read(directory)
    _check_schema(manifest)
    _check_target(manifest, stores, key)
    await _refuse_running(stores)
    with tempfile.TemporaryDirectory(prefix="madoguchi-restore-") as scratch:
        plain = await _decrypt_all(directory, manifest, stores, key, Path(scratch))
        try:
            for store in stores:
                await asyncio.to_thread(store_io.restore, store, plain[store.name])
        except StoreError as exc:
            raise BackupError(f"復元に失敗しました: {exc}") from exc
    inbox = next((s.url for s in stores if s.name == "inbox"), stores[0].url)
    await asyncio.to_thread(upgrade, stores[0].url, inbox)
    return manifest


@dataclass
class Verified:
    directory: Path
    tables: dict[str, dict[str, tuple[int, str]]]

    def summary(self) -> str:
        parts = []
        for name, tables in self.tables.items():
            rows = sum(count for count, _ in tables.values())
            parts.append(f"{name}: {len(tables)} 表 {rows} 行")
        return "、".join(parts)


async def verify(directory: Path, stores: list[Store], key: bytes) -> Verified:
    """Restore ``directory`` into a scratch location (a temporary file or database) and read it back."""
    manifest = Manifest.read(directory)
    _check_schema(manifest)
    tables: dict[str, dict[str, tuple[int, str]]] = {}
    with tempfile.TemporaryDirectory(prefix="madoguchi-verify-") as scratch:
        plain = await _decrypt_all(directory, manifest, stores, key, Path(scratch))
        for store in stores:
            target = await _scratch_store(store, Path(scratch))
            try:
                await asyncio.to_thread(store_io.restore, target, plain[store.name])
                tables[store.name] = await store_io.digest(target)
            except StoreError as exc:
                raise BackupError(f"{store.name} を試しに復元できませんでした: {exc}") from exc
            finally:
                await store_io.drop_scratch(target)
    return Verified(directory, tables)


async def _scratch_store(store: Store, scratch: Path) -> Store:
    if store.sqlite:
        return Store(store.name, f"sqlite+aiosqlite:///{scratch / (store.name + '.db')}")
    return await store_io.create_scratch_database(store)


def latest(dest: Path) -> Path:
    found = generations(dest)
    if not found:
        raise BackupError(f"{dest} にバックアップがありません")
    return found[-1]
