"""Many recurring deliveries at once from a CSV file (国富町 §9(2)(ア)⑨: 500 patterns and more).

One row per delivery, Japanese headers as staff write them in Excel (UTF-8, with or without BOM,
or Shift_JIS as Excel saves it):

    タイトル,本文,画像URL,セグメント,繰り返し,時刻,開始日,終了日,祝日を除く
    燃やすごみ（本町）,明日は燃やすごみの日です。,,本町,毎週 月・木,19:00,2026-12-01,2027-03-31,はい
    資源ごみ,第2・第4金曜は資源ごみです。,,,毎月 第2金曜・第4金曜,7:00,2026/12/1,,
    子育て通信,今月の子育て通信です。,,子育て世帯,毎月 1日・月末,9:00,2026-12-01,,いいえ

``繰り返し``: 毎日 | 毎週 <曜日…> | 毎月 <日…> (``月末`` for the last day) | 毎月 第n<曜日>…
(``最終金曜`` for the last one). ``セグメント``: a saved segment's name or id; empty for everyone.

Every row is checked and every problem reported with its row and column. By default nothing is
created unless every row is right (fix the file and upload it again); ``partial=True`` creates
the good rows and reports the others.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.deliveries.errors import DeliveryProblem
from civic.deliveries.models import EVERYONE, RECURRING, SEGMENT
from civic.deliveries.services import DeliveryDesk, DeliveryInput
from civic.inputs import CsvRowError, csv_rows
from civic.rows import pk
from civic.segments.models import Segment

COLUMNS = ("タイトル", "本文", "画像URL", "セグメント", "繰り返し", "時刻", "開始日", "終了日", "祝日を除く")
REQUIRED = ("タイトル", "繰り返し", "時刻", "開始日")
MAX_ROWS = 5000
WEEKDAYS = {c: i for i, c in enumerate("月火水木金土日")}
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
_NTH = re.compile(r"^(?:第([1-5])|(最終))([月火水木金土日])(?:曜日?)?$")
_DAY = re.compile(r"^(\d{1,2})日?$")
_SPLIT = re.compile(r"[・、,\s]+")


@dataclass(frozen=True)
class RowError:
    row: int  # the line number in the file (the header is line 1)
    column: str
    message: str


@dataclass
class ImportResult:
    rows: int = 0
    created: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DeliveryProblem("invalid", "encoding", "文字コードが読み取れません。UTF-8 か Shift_JIS で保存してください。",
                          "file")


def _fold(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def parse_pattern(text: str) -> dict[str, Any]:
    """``毎週 月・木`` → ``{"kind": "weekly", "weekdays": [0, 3]}`` (ValueError with a Japanese reason)."""
    words = [w for w in _SPLIT.split(_fold(text)) if w]
    if not words:
        raise ValueError("繰り返しを入力してください（例: 毎週 月・木）。")
    head, rest = words[0], words[1:]
    if head == "毎日" and not rest:
        return {"kind": "daily"}
    if head == "毎週":
        days = []
        for w in rest:
            for c in w.replace("曜日", "").replace("曜", ""):
                if c not in WEEKDAYS:
                    raise ValueError(f"曜日「{w}」が読み取れません（月火水木金土日）。")
                days.append(WEEKDAYS[c])
        if not days:
            raise ValueError("毎週の曜日を書いてください（例: 毎週 月・木）。")
        return {"kind": "weekly", "weekdays": sorted(set(days))}
    if head == "毎月" and rest:
        if all(_NTH.match(w) for w in rest):
            nth = []
            for w in rest:
                m = _NTH.match(w)
                assert m
                nth.append((-1 if m[2] else int(m[1]), WEEKDAYS[m[3]]))
            return {"kind": "monthly_nth", "nth": nth}
        days = []
        for w in rest:
            if w in ("月末", "末日"):
                days.append(-1)
                continue
            m = _DAY.match(w)
            if not m or not 1 <= int(m[1]) <= 31:
                raise ValueError(f"「{w}」が読み取れません（例: 毎月 1日・15日・月末、毎月 第2火曜）。")
            days.append(int(m[1]))
        return {"kind": "monthly_day", "days": sorted(set(days))}
    raise ValueError(f"「{text}」が読み取れません（毎日 / 毎週 月・木 / 毎月 1日・月末 / 毎月 第2火曜）。")


def _time(text: str) -> str:
    m = _TIME.match(_fold(text))
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise ValueError("時刻は 7:30 や 19:00 のように書いてください。")
    return f"{int(m[1]):02d}:{m[2]}"


def _date(text: str) -> date:
    m = _DATE.match(_fold(text))
    try:
        if m:
            return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        pass
    raise ValueError("日付は 2026-12-01 や 2026/12/1 のように書いてください。")


def _yes(text: str) -> bool:
    value = _fold(text).lower()
    if value in ("", "いいえ", "no", "0", "false", "×"):
        return False
    if value in ("はい", "yes", "1", "true", "○", "〇"):
        return True
    raise ValueError("「はい」か「いいえ」で書いてください。")


async def import_csv(s: AsyncSession, now: datetime, desk: DeliveryDesk, data: bytes, *, by: str = "",
                     filename: str = "upload.csv", partial: bool = False) -> ImportResult:
    reader = csv_rows(decode(data))
    try:
        headers = [_fold(h) for h in next(reader, [])]
    except CsvRowError as exc:
        raise DeliveryProblem("invalid", "unreadable", exc.message, "file") from None
    missing = [c for c in REQUIRED if c not in headers]
    if missing:
        raise DeliveryProblem("invalid", "columns", f"見出し行に {'・'.join(missing)} の列がありません"
                              f"（列: {'・'.join(COLUMNS)}）。", "file")
    segments = {row.name: row.id for row in (await s.exec(select(Segment))).all()}
    result = ImportResult()
    planned: list[tuple[int, DeliveryInput]] = []
    try:
        for line, values in enumerate(reader, start=2):
            if not values:
                continue  # a blank line
            result.rows += 1
            if result.rows > MAX_ROWS:
                raise DeliveryProblem("invalid", "too_many_rows", f"一度に取り込めるのは{MAX_ROWS}行までです。", "file")
            row = dict(zip(headers, values, strict=False))
            if not any(_fold(v) for v in row.values()):
                continue  # an empty line Excel left at the end
            item = _row(line, row, segments, result)
            if item is not None:
                planned.append((line, item))
    except CsvRowError as exc:  # the rest of the file cannot be read: report the row, create nothing
        result.errors.append(RowError(exc.row, "", exc.message.split(": ", 1)[-1]))
        return result
    valid: list[tuple[int, DeliveryInput]] = []
    for line, item in planned:
        try:
            await desk.check(s, now, item)
            valid.append((line, item))
        except DeliveryProblem as exc:
            result.errors.append(RowError(line, _column_of(exc.field, exc.message), exc.message))
    result.errors.sort(key=lambda e: e.row)
    if result.errors and not partial:
        return result  # nothing created: fix the file and upload it again
    for line, item in valid:
        created = await desk.create(s, now, item, by=by, source="csv", source_ref=f"{filename[:100]}:{line}")
        result.created.append(pk(created))
    return result


def _column_of(field_name: str | None, message: str = "") -> str:
    if not field_name:
        return ""
    parts = field_name.split(".")
    if parts[0] == "rule":
        sub = parts[1] if len(parts) > 1 else ("end" if "終了日" in message else "")
        return {"time": "時刻", "start": "開始日", "end": "終了日", "skip_holidays": "祝日を除く"}.get(sub, "繰り返し")
    return {"title": "タイトル", "messages": "本文", "segment_id": "セグメント"}.get(parts[0], parts[0])


def _row(line: int, row: dict[str, str], segments: dict[str, int | None],
         result: ImportResult) -> DeliveryInput | None:
    errors_before = len(result.errors)

    def fail(column: str, message: str) -> None:
        result.errors.append(RowError(line, column, message))

    title = _fold(row.get("タイトル"))
    if not title:
        fail("タイトル", "タイトルを入力してください。")
    text, image = (row.get("本文") or "").strip(), _fold(row.get("画像URL"))
    messages: list[dict[str, Any]] = []
    if text:
        messages.append({"type": "text", "text": text})
    if image:
        messages.append({"type": "image", "originalContentUrl": image, "previewImageUrl": image})
    if not messages:
        fail("本文", "本文か画像URLのどちらかを入力してください。")
    target, segment_id = EVERYONE, None
    segment = _fold(row.get("セグメント"))
    if segment:
        target = SEGMENT
        segment_id = segments.get(segment)
        if segment_id is None and segment.isdigit() and int(segment) in segments.values():
            segment_id = int(segment)
        if segment_id is None:
            fail("セグメント", f"セグメント「{segment}」がありません（名前かIDで指定してください）。")
    rule: dict[str, Any] = {}
    for column, key, parse in (("繰り返し", None, parse_pattern), ("時刻", "time", _time), ("開始日", "start", _date),
                               ("終了日", "end", _date), ("祝日を除く", "skip_holidays", _yes)):
        value = row.get(column, "")
        if not _fold(value) and column in ("終了日", "祝日を除く"):
            continue
        try:
            parsed = parse(value)
        except ValueError as exc:
            fail(column, str(exc))
            continue
        if key is None:
            assert isinstance(parsed, dict)  # the parsers with no key return several fields
            rule.update(parsed)
        else:
            rule[key] = parsed.isoformat() if isinstance(parsed, date) else parsed
    if len(result.errors) > errors_before:
        return None
    return DeliveryInput(title=title[:100], messages=messages, target=target, segment_id=segment_id,
                         timing=RECURRING, rule=rule)


TEMPLATE = ",".join(COLUMNS) + "\r\n" + \
    "燃やすごみ（本町）,明日は燃やすごみの日です。,,本町,毎週 月・木,19:00,2026-12-01,2027-03-31,はい\r\n"
