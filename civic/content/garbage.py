"""The garbage dictionary in the database, and 5374 CSV in and out.

5374 (https://5374.jp, Code for Kanazawa) is the format many towns publish their sorting data in:

* ``target.csv`` — ``label,name,notice,furigana`` (some towns: ``type`` for ``label``, or a Japanese
  header such as ``分別,品目,注意点,ふりがな``; or no header at all, in that column order);
* ``description.csv`` — ``label,sublabel,description,styles,bgcolor``: the categories;
* ``area_days.csv`` — ``地名,センター,<category>,…``: collection days per area (kept as it is).

Files come as UTF-8 (with or without BOM) or Shift_JIS. A label of ``target.csv`` that
``description.csv`` does not describe becomes a category without description (a warning).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.content.csvtext import column_map, read_rows, write_csv
from civic.content.models import GARBAGE, GarbageCategoryRow, GarbageFile, GarbageItemRow
from civic.content.versions import bump

TARGET, DESCRIPTION, AREA_DAYS, CENTER = "target.csv", "description.csv", "area_days.csv", "center.csv"
SYNONYMS = "synonyms.csv"
FILES = (TARGET, DESCRIPTION, AREA_DAYS)
Mode = Literal["replace", "merge"]

TARGET_ALIASES = {
    "label": ("label", "type", "category", "分別", "分別区分", "区分", "種類", "ゴミの種類", "ごみの種類", "分類"),
    "name": ("name", "品目", "品名", "ゴミの名前", "ごみの名前", "名前", "item"),
    "notice": ("notice", "notes", "note", "注意点", "注意事項", "備考", "出し方", "メモ"),
    "furigana": ("furigana", "reading", "ふりがな", "フリガナ", "よみ", "読み", "よみがな"),
    "synonyms": ("synonyms", "別名", "同義語"),
}
DESCRIPTION_ALIASES = {
    "label": ("label", "type", "分別", "分別区分", "区分", "種類", "ゴミの種類", "ごみの種類", "分類"),
    "sublabel": ("sublabel", "小見出し", "補足", "副題"),
    "description": ("description", "説明", "出し方", "内容"),
    "styles": ("styles", "style", "画像", "アイコン"),
    "bgcolor": ("bgcolor", "color", "背景色", "色"),
}
MAX_ITEMS = 20000


@dataclass
class ImportReport:
    mode: str
    items_added: int = 0
    items_updated: int = 0
    items_total: int = 0
    categories_added: int = 0
    categories_total: int = 0
    areas: int | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _problem(file: str, line: int, message: str) -> dict[str, Any]:
    return {"file": file, "line": line, "message": message}


def _split_synonyms(cell: str) -> list[str]:
    return [s.strip() for s in cell.replace("｜", "|").replace("；", ";").replace(";", "|").split("|") if s.strip()]


def parse_target(text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[dict[str, Any]]]:
    rows = read_rows(text)
    if not rows:
        return [], [_problem(TARGET, 1, "target.csv が空です。")]
    columns = column_map(rows[0][1], TARGET_ALIASES)
    if "label" in columns and "name" in columns:
        rows = rows[1:]
    else:  # no header: 5374's column order
        columns = {"label": 0, "name": 1, "notice": 2, "furigana": 3}
    items, errors = [], []
    for line, cells in rows:
        def cell(name: str, cells: list[str] = cells) -> str:
            i = columns.get(name)
            return cells[i] if i is not None and i < len(cells) else ""

        label, name = cell("label"), cell("name")
        if not name:
            errors.append(_problem(TARGET, line, "品目（name）が空です。"))
        elif not label:
            errors.append(_problem(TARGET, line, f"「{name}」の分別（label）が空です。"))
        elif len(name) > 200 or len(label) > 100:
            errors.append(_problem(TARGET, line, "品目は200文字、分別は100文字までです。"))
        else:
            items.append((line, {"name": name, "category": label, "notes": cell("notice"),
                                 "furigana": cell("furigana")[:200], "synonyms": _split_synonyms(cell("synonyms"))}))
    return items, errors


def parse_description(text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows = read_rows(text)
    if not rows:
        return [], [_problem(DESCRIPTION, 1, "description.csv が空です。")]
    columns = column_map(rows[0][1], DESCRIPTION_ALIASES)
    if "label" in columns:
        rows = rows[1:]
    else:
        columns = {"label": 0, "sublabel": 1, "description": 2, "styles": 3, "bgcolor": 4}
    out, errors = [], []
    for line, cells in rows:
        def cell(name: str, cells: list[str] = cells) -> str:
            i = columns.get(name)
            return cells[i] if i is not None and i < len(cells) else ""

        label = cell("label")
        if not label or len(label) > 100:
            errors.append(_problem(DESCRIPTION, line, "分別（label）が空か、100文字を超えています。"))
            continue
        out.append({"label": label, "sublabel": cell("sublabel"), "description": cell("description"),
                    "styles": cell("styles")[:200], "bgcolor": cell("bgcolor")[:32]})
    return out, errors


def check_area_days(text: str) -> tuple[int, list[dict[str, Any]]]:
    """Areas in ``area_days.csv`` (first column the area, second the center, then one column per category)."""
    rows = read_rows(text)
    if len(rows) < 2:
        return 0, [_problem(AREA_DAYS, 1, "area_days.csv に見出し行と地区の行が必要です。")]
    width = len(rows[0][1])
    if width < 3:
        return 0, [_problem(AREA_DAYS, rows[0][0], "見出し行は「地名,センター,分別…」の形で3列以上必要です。")]
    errors = [_problem(AREA_DAYS, line, "地名が空です。") for line, cells in rows[1:] if not cells[0]]
    return len(rows) - 1 - len(errors), errors


async def _categories(session: AsyncSession) -> dict[str, GarbageCategoryRow]:
    rows = (await session.exec(select(GarbageCategoryRow).order_by(col(GarbageCategoryRow.position)))).all()
    return {r.label: r for r in rows}


async def import_5374(session: AsyncSession, *, target: str, description: str | None = None,
                      area_days: str | None = None, mode: Mode = "replace", now: datetime) -> ImportReport:
    """Import (``replace``: the dictionary becomes the files; ``merge``: items by name and categories by
    label are added or changed, nothing removed). Nothing is written when a file cannot be read at all."""
    report = ImportReport(mode=mode)
    items, errors = parse_target(target)
    report.errors += errors
    descriptions: list[dict[str, Any]] = []
    if description is not None:
        descriptions, errors = parse_description(description)
        report.errors += errors
    if area_days is not None:
        report.areas, errors = check_area_days(area_days)
        report.errors += errors
    if not items:
        report.errors.append(_problem(TARGET, 0, "取り込める品目がありません。"))
        return report
    if len(items) > MAX_ITEMS:
        report.errors.append(_problem(TARGET, 0, f"品目は {MAX_ITEMS} 件までです。"))
        return report
    if mode == "replace":
        await session.exec(delete(GarbageItemRow))
        if description is not None:
            await session.exec(delete(GarbageCategoryRow))
    categories = await _categories(session)
    position = max((c.position for c in categories.values()), default=0)
    for d in descriptions:
        category = categories.get(d["label"])
        if category is None:
            position += 1
            category = categories[d["label"]] = GarbageCategoryRow(position=position, **d)
            report.categories_added += 1
        else:
            for k, v in d.items():
                setattr(category, k, v)
        session.add(category)
    existing: dict[str, GarbageItemRow] = {}
    if mode == "merge":
        existing = {r.name: r for r in (await session.exec(select(GarbageItemRow))).all()}
    seen: set[str] = set()
    for line, values in items:
        if values["name"] in seen:
            report.warnings.append(_problem(TARGET, line, f"「{values['name']}」が重複しています（後の行を使いました）。"))
        seen.add(values["name"])
        label = values["category"]
        if label not in categories:
            position += 1
            categories[label] = GarbageCategoryRow(label=label, position=position)
            session.add(categories[label])
            report.categories_added += 1
            report.warnings.append(_problem(TARGET, line, f"分別「{label}」は description.csv にないため、説明なしの分別として追加しました。"))
        row = existing.get(values["name"])
        if row is None:
            row = existing[values["name"]] = GarbageItemRow(**values)
            report.items_added += 1
        else:
            synonyms = values.pop("synonyms") or row.synonyms
            for k, v in values.items():
                setattr(row, k, v)
            row.synonyms = synonyms
            report.items_updated += 1
        session.add(row)
    if area_days is not None and report.areas:
        await put_file(session, AREA_DAYS, area_days)
    await session.flush()
    report.items_total = int((await session.exec(select(sa.func.count()).select_from(GarbageItemRow))).one())
    report.categories_total = len(categories)
    await bump(session, GARBAGE, now)
    return report


async def put_file(session: AsyncSession, name: str, text: str) -> None:
    row = await session.get(GarbageFile, name)
    if row is None:
        row = GarbageFile(name=name, text=text)
    row.text = text.lstrip("\ufeff")
    session.add(row)


async def file_text(session: AsyncSession, name: str) -> str | None:
    row = await session.get(GarbageFile, name)
    return row.text if row is not None else None


async def list_items(session: AsyncSession, *, q: str = "", category: str = "", limit: int = 200,
                     offset: int = 0) -> tuple[int, list[GarbageItemRow]]:
    query = select(GarbageItemRow)
    if category:
        query = query.where(GarbageItemRow.category == category)
    rows = (await session.exec(query.order_by(col(GarbageItemRow.id)))).all()
    needle = q.strip().lower()
    if needle:
        rows = [r for r in rows if any(needle in t.lower() for t in (r.name, r.furigana, r.notes, *r.synonyms))]
    return len(rows), list(rows[offset:offset + limit])


async def categories(session: AsyncSession) -> list[GarbageCategoryRow]:
    return list((await _categories(session)).values())


async def count_items(session: AsyncSession) -> int:
    return int((await session.exec(select(sa.func.count()).select_from(GarbageItemRow))).one())


@dataclass
class Snapshot:
    """What the bot's dictionary is built from."""

    items: list[GarbageItemRow]
    categories: list[GarbageCategoryRow]
    area_days: str | None
    center: str | None
    synonyms: str | None


async def snapshot(session: AsyncSession) -> Snapshot:
    items = list((await session.exec(select(GarbageItemRow).order_by(col(GarbageItemRow.id)))).all())
    return Snapshot(items, await categories(session), await file_text(session, AREA_DAYS),
                    await file_text(session, CENTER), await file_text(session, SYNONYMS))


async def export(session: AsyncSession, file: str) -> str:
    if file == TARGET:
        items = (await session.exec(select(GarbageItemRow).order_by(col(GarbageItemRow.id)))).all()
        return write_csv(("label", "name", "notice", "furigana", "synonyms"),
                         ([i.category, i.name, i.notes, i.furigana, "|".join(i.synonyms)] for i in items))
    if file == DESCRIPTION:
        return write_csv(("label", "sublabel", "description", "styles", "bgcolor"),
                         ([c.label, c.sublabel, c.description, c.styles, c.bgcolor]
                          for c in await categories(session)))
    return "\ufeff" + (await file_text(session, file) or "")


async def seed(session: AsyncSession, files: dict[str, str], *, now: datetime) -> int:
    """The town's ``garbage/`` files when the dictionary is empty (first start); items seeded.
    ``center.csv`` (closed days) and ``synonyms.csv`` (other ways of writing an item) are kept as files."""
    if await count_items(session) or TARGET not in files:
        return 0
    report = await import_5374(session, target=files[TARGET], description=files.get(DESCRIPTION),
                               area_days=files.get(AREA_DAYS), mode="replace", now=now)
    for name in (CENTER, SYNONYMS):
        if name in files:
            await put_file(session, name, files[name])
    await session.flush()
    return report.items_total


async def ensure_category(session: AsyncSession, label: str) -> None:
    """A category for ``label`` (an item staff moved to a new one): without description until given."""
    if await session.get(GarbageCategoryRow, label) is None:
        top = (await session.exec(select(sa.func.max(GarbageCategoryRow.position)))).one()
        session.add(GarbageCategoryRow(label=label, position=int(top or 0) + 1))
        await session.flush()
