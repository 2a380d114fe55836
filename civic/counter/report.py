"""The operations report (小郡市 spec (4) j) and the export of finished 届書 for the resident-registry
side (§(4) i: the RPA reads it; the scenario itself is the town's purchase).

Report: counts and mean reception time (作成 → 完了) by day, month, hour of the day (Japan time), by
the document read (``source``: qr, ocr:<kind>, typed), by kind, by origin town and by department (担当課,
``civic.counter.departments``): per 課 the 届書 that concerned it (its kind, or a related form made from
it), with ``todoke`` (its 届出) and ``related`` (its related forms) beside the count.

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
from civic.counter.departments import Departments
from civic.counter.forms import DONE, KINDS
from civic.counter.models import CounterDocument, CounterForm

#: ``counter_document.kind`` of a related form's PDF (its xlsx twin is not counted again).
RELATED_PDF = "related"

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


def _mean(minutes: list[float]) -> float:
    return round(sum(minutes) / len(minutes), 1)


async def _related_made(session: AsyncSession, form_ids: list[int], titles: dict[str, str]
                        ) -> dict[int, list[str | None]]:
    """Form id → the template keys of the related forms made from it (the PDF of each; only the columns
    needed). A row without its key (none matched a title when ``counter_0003`` filled them) is matched by
    its label as before."""
    out: dict[int, list[str | None]] = defaultdict(list)
    for chunk in (form_ids[i:i + 500] for i in range(0, len(form_ids), 500)):
        rows = await session.exec(select(CounterDocument.form_id, CounterDocument.template, CounterDocument.label)
                                  .where(CounterDocument.kind == RELATED_PDF, col(CounterDocument.form_id).in_(chunk)))
        for form_id, template, label in rows.all():
            out[form_id].append(template or template_of(label, titles))
    return out


def template_of(label: str, titles: dict[str, str]) -> str | None:
    """The template a related form was made from by its label 「<title>（<applicant>）」 (the longest title
    that fits): how rows made before ``counter_document.template`` existed are matched."""
    found = [title for title in titles if label.startswith(title + "（")]
    return titles[max(found, key=len)] if found else None


async def report(session: AsyncSession, start: datetime | None, end: datetime | None,
                 departments: Departments | None = None, titles: dict[str, str] | None = None
                 ) -> dict[str, list[dict[str, Any]]]:
    """``titles``: related form title → template key (for the related forms stored without their key)."""
    departments, titles = departments or Departments(), titles or {}
    groups: dict[str, dict[str, list[float]]] = {k: defaultdict(list) for k in
                                                 ("daily", "monthly", "hourly", "source", "kind", "origin")}
    per_department: dict[str, dict[str, Any]] = {}
    forms = await _finished(session, start, end)
    related = await _related_made(session, [f.id for f in forms if f.id is not None], titles)
    for form in forms:
        assert form.finished_at is not None
        made = form.created_at.astimezone(TOKYO)
        minutes = (form.finished_at - form.created_at).total_seconds() / 60
        for key, value in (("daily", made.strftime("%Y-%m-%d")), ("monthly", made.strftime("%Y-%m")),
                           ("hourly", f"{made.hour:02d}時"), ("source", form.source),
                           ("kind", KINDS.get(form.kind, form.kind)), ("origin", form.origin or "（なし）")):
            groups[key][value].append(minutes)
        touched: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
        todoke = departments.of_kind(form.kind)
        touched[todoke] = (1, 0)
        for template in related.get(form.id or 0, []):
            name = departments.of_related(template)
            touched[name] = (touched[name][0], touched[name][1] + 1)
        for name, (n_todoke, n_related) in touched.items():
            row = per_department.setdefault(name, {"minutes": [], "todoke": 0, "related": 0})
            row["minutes"].append(minutes)
            row["todoke"] += n_todoke
            row["related"] += n_related
    out: dict[str, list[dict[str, Any]]] = {
        key: [{"key": k, "count": len(v), "mean_minutes": _mean(v)} for k, v in sorted(rows.items())]
        for key, rows in groups.items()}
    order = {name: i for i, name in enumerate(departments.order)}
    out["department"] = [{"key": name, "count": len(row["minutes"]), "mean_minutes": _mean(row["minutes"]),
                          "todoke": row["todoke"], "related": row["related"]}
                         for name, row in sorted(per_department.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))]
    return out


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
