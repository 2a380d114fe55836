"""Shelters from a CSV file (issue #22): the town's list of 避難所 as staff keep it in Excel.

Columns (a header row; UTF-8 with or without BOM, or Shift_JIS as Excel saves it):
``code,name,address,latitude,longitude,capacity,kinds,state,occupancy`` — ``code`` names the shelter
(a new code adds one, a known code updates it); ``kinds`` is ``designated`` / ``welfare`` / ``pets``
or 指定避難所 / 福祉避難所 / ペット可, several joined by ``;`` or ``・``; ``state`` (未開設 / 開設 / 混雑 /
満員 / 閉鎖 or not_open / open / crowded / full / closed) and ``occupancy`` may be left empty (kept
as they are; 未開設 and 0 for a new shelter). Every row is checked first: one wrong row and nothing
is saved, and every problem is reported with its line and column.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.disaster.content import seed_shelters
from civic.disaster.models import KIND_LABELS, SHELTER_KINDS, SHELTER_STATES, STATE_LABELS, Shelter
from civic.facilities.models import Facility

COLUMNS = ("code", "name", "address", "latitude", "longitude", "capacity", "kinds", "state", "occupancy")
REQUIRED = ("code", "name", "latitude", "longitude")
TEMPLATE = ",".join(COLUMNS) + "\r\nshelter-chuo-es,みどり町立中央小学校 体育館,みどり町本町1-1,34.9991,134.9982,320," \
    "designated,未開設,0\r\n"
MAX_ROWS = 2000
_KINDS = {**{k: k for k in SHELTER_KINDS}, **{label: k for k, label in KIND_LABELS.items()}}
_STATES = {**{s: s for s in SHELTER_STATES}, **{label: s for s, label in STATE_LABELS.items()}}


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str
    message: str


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    problems: list[RowProblem] = field(default_factory=list)


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp932", errors="replace")


def _number(value: str, kind: type, line: int, column: str, problems: list[RowProblem],
            low: float, high: float) -> Any:
    try:
        number = kind(value)
    except ValueError:
        problems.append(RowProblem(line, column, f"「{value}」は数値ではありません。"))
        return None
    if not low <= number <= high:
        problems.append(RowProblem(line, column, f"{low}〜{high} の範囲で入力してください（{value}）。"))
        return None
    return number


def parse(text: str) -> tuple[list[dict[str, Any]], list[RowProblem]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [RowProblem(1, ",".join(missing), f"見出し行に {', '.join(missing)} の列がありません"
                                                     f"（列: {', '.join(COLUMNS)}）。")]
    entries: list[dict[str, Any]] = []
    problems: list[RowProblem] = []
    seen: set[str] = set()
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        if len(entries) >= MAX_ROWS:
            problems.append(RowProblem(line, "", f"一度に取り込めるのは {MAX_ROWS} 行までです。"))
            break
        for column in REQUIRED:
            if not row.get(column):
                problems.append(RowProblem(line, column, "入力してください。"))
        code = row.get("code", "")
        if code in seen:
            problems.append(RowProblem(line, "code", f"コード「{code}」が2回出てきます。"))
        seen.add(code)
        lat = _number(row["latitude"], float, line, "latitude", problems, -90, 90) if row.get("latitude") else None
        lon = _number(row["longitude"], float, line, "longitude", problems, -180, 180) if row.get("longitude") else None
        capacity = _number(row["capacity"], int, line, "capacity", problems, 0, 100000) if row.get("capacity") else 0
        occupancy = _number(row["occupancy"], int, line, "occupancy", problems, 0, 100000) \
            if row.get("occupancy") else None
        kinds = [k.strip() for k in row.get("kinds", "").replace("・", ";").split(";") if k.strip()] or ["designated"]
        unknown = [k for k in kinds if k not in _KINDS]
        if unknown:
            problems.append(RowProblem(line, "kinds", f"種別「{'・'.join(unknown)}」はありません"
                                                      "（指定避難所・福祉避難所・ペット可）。"))
        state = row.get("state") or None
        if state is not None and state not in _STATES:
            problems.append(RowProblem(line, "state", f"状態「{state}」はありません（未開設・開設・混雑・満員・閉鎖）。"))
        if len(row.get("name", "")) > 100:
            problems.append(RowProblem(line, "name", "名前は100文字以内にしてください。"))
        entries.append({"code": code[:40], "name": row.get("name", ""), "address": row.get("address", ""),
                        "location": [lat, lon], "capacity": capacity or 0,
                        "kinds": list(dict.fromkeys(_KINDS.get(k, k) for k in kinds)),
                        "state": _STATES.get(state) if state else None, "occupancy": occupancy})
    return entries, problems


async def import_shelters(s: AsyncSession, now: datetime, data: bytes, *, by: str) -> ImportResult:
    """Check every row, then add or update the shelters (in the caller's transaction); nothing when a row is wrong."""
    entries, problems = parse(decode(data))
    result = ImportResult(rows=len(entries), problems=problems)
    if problems or not entries:
        return result
    codes = [e["code"] for e in entries]
    known = set((await s.exec(select(Facility.code).where(Facility.code.in_(codes)))).all())  # type: ignore[attr-defined]
    ids = await seed_shelters(s, entries, now)
    for entry, facility_id in zip(entries, ids, strict=True):
        shelter = await s.get(Shelter, facility_id)
        assert shelter is not None
        if entry["state"] is not None:
            shelter.state = entry["state"]
        if entry["occupancy"] is not None:
            shelter.occupancy = entry["occupancy"]
        shelter.updated_at, shelter.updated_by = now, by[:80]
        s.add(shelter)
    result.created = sum(1 for c in codes if c not in known)
    result.updated = len(codes) - result.created
    await s.flush()
    return result
