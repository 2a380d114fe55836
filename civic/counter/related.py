"""Related application forms filled from a 届書 (小郡市 spec §(4) c–g, §(5) o, r, w).

The town provides each form as an Excel file, ``content/<town>/counter/related/<key>.xlsx``, and beside
it ``<key>.json`` saying which cell takes which item of the 届書 (a JSON mapping, so the town's own
sheet is used as it is):

```json
{"title": "住民票の写し等交付申請書", "roles": ["admin", "counter"],
 "cells": {"C4": "today", "C6": "applicant.name", "C7": "household.new_address", "F12": "copies", "C13": "purpose"},
 "rows": {"first": 16, "max": 6, "columns": {"B": "name", "E": "birth_wareki", "H": "relationship"}}}
```

``roles`` are the staff roles that may make the form (§(5) w; none listed: anyone who may write 届書).
Items: ``today``, ``number``, ``kind``, ``copies``, ``purpose``, ``household.<head|phone|origin|moved_on|
new_address|new_postal_code|old_address|members>``, ``applicant.<any member item>`` (plus ``birth_wareki``,
``age``), and in ``rows`` the same items of each member. The filled sheet is kept as xlsx and drawn
as a PDF (cells, borders, merged cells; IPAmj明朝); both also in a masked version without 個人番号,
住民票コード and 在留カード番号.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from civic.counter.checks import age_on
from civic.counter.forms import KINDS, FormProblem
from civic.counter.pdf import MASK, _font
from civic.procedures.dates import wareki

MASKED_ITEMS = ("resident_code", "individual_number", "card_number")


@dataclass(frozen=True)
class RelatedTemplate:
    key: str
    title: str
    path: Path
    cells: dict[str, str]
    roles: tuple[str, ...] = ()
    rows: dict[str, Any] = field(default_factory=dict)

    def allowed(self, role: str) -> bool:
        return not self.roles or role in self.roles


def load_templates(directory: Path) -> dict[str, RelatedTemplate]:
    out = {}
    for mapping in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        sheet = mapping.with_suffix(".xlsx")
        if not sheet.is_file():
            continue
        raw = json.loads(mapping.read_text(encoding="utf-8"))
        out[mapping.stem] = RelatedTemplate(mapping.stem, str(raw["title"]), sheet,
                                            {str(k): str(v) for k, v in raw.get("cells", {}).items()},
                                            tuple(raw.get("roles", ())), dict(raw.get("rows", {})))
    return out


@dataclass(frozen=True)
class Request:
    applicant: int = 0
    copies: int = 1
    purpose: str = ""


def _member_item(member: dict[str, str], item: str, today: date, masked: bool) -> str:
    if item in MASKED_ITEMS and masked and member.get(item):
        return MASK
    born = member.get("birth_date") or ""
    if item == "birth_wareki":
        return wareki(date.fromisoformat(born)) if born else ""
    if item == "age":
        return f"{age_on(date.fromisoformat(born), today)}歳" if born else ""
    return str(member.get(item, ""))


def value_of(item: str, doc: dict[str, Any], *, number: str, request: Request, today: date, masked: bool) -> str:
    household, members = doc["household"], doc["members"]
    scope, _, name = item.partition(".")
    if scope == "applicant":
        return _member_item(members[request.applicant], name, today, masked)
    if scope == "household":
        if name in ("new_address", "old_address"):
            return str(household.get(name, {}).get("text", ""))
        if name == "new_postal_code":
            return str(household.get("new_address", {}).get("postal_code", ""))
        if name == "moved_on":
            return wareki(date.fromisoformat(household["moved_on"])) if household.get("moved_on") else ""
        if name == "members":
            return f"{len(members)}人"
        return str(household.get(name, ""))
    simple = {"today": wareki(today), "number": number, "kind": KINDS.get(doc["kind"], doc["kind"]),
              "copies": f"{request.copies}通", "purpose": request.purpose}
    if item not in simple:
        raise FormProblem("template", "invalid", f"様式の項目 {item} は使えません。")
    return simple[item]


def fill(template: RelatedTemplate, doc: dict[str, Any], *, number: str, request: Request, today: date,
         masked: bool) -> Any:
    """The template's workbook with the cells filled (openpyxl ``Workbook``)."""
    from openpyxl import load_workbook

    if not 0 <= request.applicant < len(doc["members"]):
        raise FormProblem("applicant", "invalid", "申請者（世帯員の番号）が届書にありません。")
    book = load_workbook(template.path)
    sheet = book.worksheets[0]
    for ref, item in template.cells.items():
        sheet[ref] = value_of(item, doc, number=number, request=request, today=today, masked=masked)
    rows = template.rows
    if rows:
        for i, member in enumerate(doc["members"][: int(rows.get("max", 10))]):
            for column, item in rows.get("columns", {}).items():
                sheet[f"{column}{int(rows['first']) + i}"] = _member_item(member, item, today, masked)
    return book


def as_xlsx(book: Any) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def as_pdf(book: Any, title: str) -> bytes:
    """The sheet drawn on A4: column widths, row heights, borders, merged cells and text as Excel sets them."""
    from openpyxl.utils import get_column_letter
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    sheet = book.worksheets[0]
    font = _font()
    widths = [(sheet.column_dimensions[get_column_letter(c)].width or 8.43) * 7.0 * 0.75
              for c in range(1, sheet.max_column + 1)]
    heights = [sheet.row_dimensions[r].height or 15.0 for r in range(1, sheet.max_row + 1)]
    page_w, page_h = A4
    scale = min(1.0, (page_w - 20 * mm) / sum(widths), (page_h - 20 * mm) / sum(heights))
    xs = [10 * mm + sum(widths[:i]) * scale for i in range(len(widths) + 1)]
    ys = [page_h - 10 * mm - sum(heights[:i]) * scale for i in range(len(heights) + 1)]
    spans = {(m.min_row, m.min_col): (m.max_row, m.max_col) for m in sheet.merged_cells.ranges}
    inside = {(r, c) for m in sheet.merged_cells.ranges for r in range(m.min_row, m.max_row + 1)
              for c in range(m.min_col, m.max_col + 1)} - set(spans)
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle(title)
    for row in sheet.iter_rows():
        for cell in row:
            r, c = cell.row, cell.column
            if (r, c) in inside:
                continue
            r2, c2 = spans.get((r, c), (r, c))
            x0, x1, y0, y1 = xs[c - 1], xs[c2], ys[r - 1], ys[r2]
            sides = cell.border
            pdf.setLineWidth(0.6)
            for style, line in ((sides.top, (x0, y0, x1, y0)), (sides.bottom, (x0, y1, x1, y1)),
                                (sides.left, (x0, y0, x0, y1)), (sides.right, (x1, y0, x1, y1))):
                if style is not None and style.style:
                    pdf.line(*line)
            if cell.value in (None, ""):
                continue
            size = float(cell.font.size or 11) * scale
            pdf.setFont(font, size)
            text = str(cell.value)
            middle = (y0 + y1) / 2 - size / 3
            if cell.alignment.horizontal == "center":
                pdf.drawCentredString((x0 + x1) / 2, middle, text)
            else:
                pdf.drawString(x0 + 2, middle, text)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def make(template: RelatedTemplate, doc: dict[str, Any], *, number: str, request: Request, today: date
         ) -> dict[str, bytes]:
    """Full and masked xlsx and PDF of one related form."""
    out = {}
    for masked in (False, True):
        book = fill(template, doc, number=number, request=request, today=today, masked=masked)
        suffix = "_masked" if masked else ""
        out["xlsx" + suffix] = as_xlsx(book)
        out["pdf" + suffix] = as_pdf(book, template.title)
    return out
