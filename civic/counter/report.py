"""The operations report (小郡市 spec (4) j) and the export of finished 届書 for the resident-registry
side (§(4) i: the RPA reads it; the scenario itself is the town's purchase).

Report: counts and mean reception time (作成 → 完了) by day, month, hour of the day (Japan time), by
the document read (``source``: qr, ocr:<kind>, typed), by kind and by origin town.

Export format (one record per 届書; CSV columns = the JSON keys, one row per member)::

    number, kind, kind_label, finished_at (ISO, +09:00), head, moved_on, origin, new_postal_code,
    new_address, old_postal_code, old_address, member (1..), name, kana, birth_date, sex,
    relationship, nationality, resident_code, individual_number, stay_status, stay_period,
    stay_until, card_number
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.clock import TOKYO
from civic.counter.forms import DONE, KINDS
from civic.counter.models import CounterForm

EXPORT_COLUMNS = ("number", "kind", "kind_label", "finished_at", "head", "moved_on", "origin", "new_postal_code",
                  "new_address", "old_postal_code", "old_address", "member", "name", "kana", "birth_date", "sex",
                  "relationship", "nationality", "resident_code", "individual_number", "stay_status", "stay_period",
                  "stay_until", "card_number")


async def _finished(session: AsyncSession, start: datetime | None, end: datetime | None) -> list[CounterForm]:
    stmt = select(CounterForm).where(CounterForm.status == DONE)
    if start is not None:
        stmt = stmt.where(CounterForm.created_at >= start)
    if end is not None:
        stmt = stmt.where(CounterForm.created_at < end)
    return list((await session.exec(stmt.order_by(col(CounterForm.id)))).all())


async def report(session: AsyncSession, start: datetime | None, end: datetime | None) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, dict[str, list[float]]] = {k: defaultdict(list) for k in
                                                 ("daily", "monthly", "hourly", "source", "kind", "origin")}
    for form in await _finished(session, start, end):
        assert form.finished_at is not None
        made = form.created_at.astimezone(TOKYO)
        minutes = (form.finished_at - form.created_at).total_seconds() / 60
        for key, value in (("daily", made.strftime("%Y-%m-%d")), ("monthly", made.strftime("%Y-%m")),
                           ("hourly", f"{made.hour:02d}時"), ("source", form.source),
                           ("kind", KINDS.get(form.kind, form.kind)), ("origin", form.origin or "（なし）")):
            groups[key][value].append(minutes)
    return {key: [{"key": k, "count": len(v), "mean_minutes": round(sum(v) / len(v), 1)}
                  for k, v in sorted(rows.items())] for key, rows in groups.items()}


async def export_rows(session: AsyncSession, start: datetime | None, end: datetime | None) -> list[dict[str, str]]:
    rows = []
    for form in await _finished(session, start, end):
        doc = json.loads(form.data)
        h = doc["household"]
        base = {"number": form.number, "kind": form.kind, "kind_label": KINDS[form.kind],
                "finished_at": form.finished_at.astimezone(TOKYO).isoformat() if form.finished_at else "",
                "head": h["head"], "moved_on": h["moved_on"], "origin": h["origin"],
                "new_postal_code": h["new_address"]["postal_code"], "new_address": h["new_address"]["text"],
                "old_postal_code": h["old_address"]["postal_code"], "old_address": h["old_address"]["text"]}
        for i, m in enumerate(doc["members"], start=1):
            rows.append({**base, "member": str(i), **{k: m.get(k, "") for k in EXPORT_COLUMNS[12:]}})
    return rows


def as_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return "\ufeff" + out.getvalue()  # BOM: Excel opens it as UTF-8
