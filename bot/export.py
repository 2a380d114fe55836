"""``python -m bot export DIR``: everything the town's service holds, for a hand-over to another
vendor (国富町 仕様書 §9(4)(キ)): every table of the main database and of the inbox store, as CSV
(UTF-8 with BOM, CRLF: opens in Excel; cells that would start a formula are prefixed with ``'``) and
as JSON Lines (the exact values), with a README (Japanese and English) describing the formats and
every column, and a manifest (time, schema revision, row counts, SHA-256 of every file).

Encrypted columns are written decrypted: it is the town's data, and the next vendor has no key of
ours. The directory is therefore as sensitive as the database itself; it is created readable by
its owner only, and the command says so.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.inbox.models import INBOX_METADATA
from bot.schema import load_metadata
from civic.clock import Clock
from civic.database import Database
from civic.stats.csvfile import BOM, csv_line
from civic.types import EncryptedBytes, EncryptedText, UTCDateTime

WARNING_JA = ("警告: この書き出しには、暗号化して保存している個人データ（氏名・電話番号・発言内容など）が"
              "復号された状態で含まれます。町の情報セキュリティポリシーに従って厳重に管理し、"
              "引き継ぎが終わったら確実に消去してください。")
WARNING_EN = ("WARNING: this export contains personal data that is encrypted at rest (names, phone numbers, what "
              "citizens wrote) in DECRYPTED form. Handle it under the town's security policy and destroy it "
              "once the hand-over is done.")
PARTITION = 1000


class ExportError(Exception):
    pass


@dataclass
class Exported:
    directory: Path
    tables: dict[str, int] = field(default_factory=dict)


#: How each column type is written, for the README (first match wins: EncryptedText is a Text).
_KINDS: list[tuple[type, str]] = [
    (EncryptedText, "text (encrypted at rest; exported decrypted / 保存時は暗号化、ここでは復号済み)"),
    (EncryptedBytes, "binary (encrypted at rest; exported decrypted, base64) / バイナリ（保存時は暗号化、ここでは復号済み・base64）"),
    (UTCDateTime, "date-time, ISO 8601 UTC / 日時（ISO 8601、UTC）"),
    (sa.Boolean, "boolean: true/false"),
    (sa.JSON, "JSON"),
    (sa.LargeBinary, "binary, base64 / バイナリ（base64）"),
    (sa.Date, "date, YYYY-MM-DD / 日付"),
    (sa.Float, "number / 数値"),
    (sa.Integer, "integer / 整数"),
]


def _kind(column: sa.Column) -> str:
    return next((label for kind, label in _KINDS if isinstance(column.type, kind)), "text / 文字列")


def _value(value: Any) -> Any:
    """A JSON value: date-times as ISO 8601, bytes as base64."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return _value(value)


async def _revision(db: Database) -> str | None:
    async with db.read() as session:
        conn = await session.connection()
        if not await conn.run_sync(lambda sync: sa.inspect(sync).has_table("alembic_version")):
            return None
        return ", ".join((await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalars())


def _private(path: Path) -> None:
    os.chmod(path, 0o700 if path.is_dir() else 0o600)


async def _table(db: Database, table: sa.Table, out: Path, store: str, files: dict[str, str]) -> int:
    names = [c.name for c in table.columns]
    order = list(table.primary_key.columns) or [table.c[names[0]]]
    csv_path, json_path = out / "csv" / f"{table.name}.csv", out / "json" / f"{table.name}.jsonl"
    rows = 0
    with csv_path.open("w", encoding="utf-8", newline="") as csv_file, json_path.open("w", encoding="utf-8") as lines:
        _private(csv_path)
        _private(json_path)
        csv_file.write(BOM + csv_line(names))
        async with db.read() as session:
            conn = await session.connection()
            result = await conn.stream(sa.select(table).order_by(*order))
            async for part in result.partitions(PARTITION):
                for row in part:
                    values = row._mapping
                    csv_file.write(csv_line([_cell(values[n]) for n in names]))
                    lines.write(json.dumps({n: _value(values[n]) for n in names}, ensure_ascii=False) + "\n")
                    rows += 1
    for path in (csv_path, json_path):
        files[str(path.relative_to(out))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return rows


def _readme(tables: list[tuple[str, sa.Table]], counts: dict[str, int], revision: str | None, at: str) -> str:
    parts = [f"""# Madoguchi data export / 窓口 データ書き出し

{WARNING_JA}

{WARNING_EN}

書き出し日時 / exported at: {at}（UTC） — スキーマ / schema revision: {revision or "-"}

## 日本語

町のサービスが保存しているすべてのデータを、別の事業者へ引き継ぐために書き出したものです（国富町 仕様書
§9(4)(キ)）。表（テーブル）ごとに次の2つのファイルがあります。

- `csv/<表>.csv` — UTF-8（BOM 付き）、改行 CRLF、1行目が列名。Excel でそのまま開けます。`=` `+` `-` `@`
  などで始まる文字列は、表計算ソフトが数式として実行しないよう先頭に `'` を付けています（数値は除く）。
  真偽値は `true` / `false`、日時は ISO 8601（UTC）、JSON の列は JSON の文字列です。
- `json/<表>.jsonl` — 1行に1件の JSON（JSON Lines）。値は加工していない正確な値です。システムへの取り込みには
  こちらを使ってください。

`manifest.json` に書き出し日時、スキーマのリビジョン、表ごとの件数、各ファイルの SHA-256 があります。
「受信イベント」（`webhook_event`）は受信用の保存先（SQLite では別ファイル）の表です。
暗号化して保存している列（下の一覧で encrypted と書いた列）は復号して書き出しています。

## English

Every table the service keeps, exported for a hand-over to another vendor. Each table has two files:

- `csv/<table>.csv` — UTF-8 with BOM, CRLF, a header row; opens in Excel. Text cells starting with
  `=`, `+`, `-`, `@` (and their full-width forms) are prefixed with `'` so that spreadsheets do not run
  them as formulas (numbers are left alone). Booleans are `true`/`false`, date-times ISO 8601 in UTC,
  JSON columns hold JSON text.
- `json/<table>.jsonl` — one JSON object per line with the exact values: use these to import.

`manifest.json` lists the export time, the schema revision (Alembic), the row count of every table
and the SHA-256 of every file. `webhook_event` comes from the inbox store (a separate file on SQLite).
Columns encrypted at rest are exported decrypted.

## 表と列 / Tables and columns
"""]
    for store, table in tables:
        parts.append(f"\n### {table.name} ({counts[table.name]} rows{', inbox store' if store == 'inbox' else ''})\n\n"
                     "| column | type |\n|---|---|\n")
        parts.extend(f"| {c.name} | {_kind(c)} |\n" for c in table.columns)
    return "".join(parts)


def _prepare(directory: Path) -> None:
    if directory.exists() and any(directory.iterdir()):
        raise ExportError(f"{directory} は空ではありません。新しいディレクトリを指定してください。")
    for sub in (directory, directory / "csv", directory / "json"):
        sub.mkdir(parents=True, exist_ok=True)
        _private(sub)


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    _private(path)


async def export_all(db: Database, inbox: Database, directory: Path, clock: Clock) -> Exported:
    """Write every table of both stores into ``directory`` (new or empty)."""
    _prepare(directory)
    tables = [("main", t) for t in load_metadata().sorted_tables] + [("inbox", t) for t in INBOX_METADATA.sorted_tables]
    done = Exported(directory)
    files: dict[str, str] = {}
    for store, table in tables:
        done.tables[table.name] = await _table(inbox if store == "inbox" else db, table, directory, store, files)
    at = clock.now().isoformat()
    revision = await _revision(db)
    manifest = {"exported_at": at, "schema_revision": revision, "inbox_schema_revision": await _revision(inbox),
                "decrypted": True, "warning": WARNING_EN, "tables": done.tables, "sha256": files}
    _write(directory / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    _write(directory / "README.md", _readme(tables, done.tables, revision, at))
    return done
