"""The 住民異動届 as a PDF in the town's layout (小郡市 spec (4) a カ, h; (5) d, e, u).

The layout is data: ``FormLayout`` says the paper (A4 or A3), the town's name and title, and the
order of the rows; a town changes its layout by its own JSON (``content/<town>/counter/form.json``).
Text is set in IPAmj明朝 (Debian ``fonts-ipamj-mincho``: the 戸籍統一文字 and 住基ネット統一文字), embedded
as a subset. ``masked=True`` prints the same 届書 with 個人番号 and 住民票コード hidden — the version a role
without ``counter.numbers`` is given (§(5) u, v).

A household too long for the paper (A4 holds 8 members even with every foreign member's extra line of
在留資格 …; a 届書 takes up to 30) goes on to the next page: its title says 「2枚目（続き）」 with the
受付番号, the table's headings are repeated, and 備考・確認番号 come after the last member.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from civic.counter.checks import birth_text
from civic.counter.forms import KINDS, STATUSES
from civic.procedures.dates import wareki

FONT_FILES = ("/usr/share/fonts/truetype/ipamj/ipamjm.ttf", "/usr/share/fonts/opentype/ipafont-mincho/ipam.ttf")
MASK = "＊＊＊＊＊＊＊＊"


@dataclass(frozen=True)
class FormLayout:
    town: str = "みどり町"
    title: str = "住民異動届"
    paper: str = "A4"
    #: Columns of the members' table, in order: (field, heading, width in mm).
    columns: tuple[tuple[str, str, float], ...] = (
        ("name", "氏名", 34), ("kana", "ふりがな", 34), ("birth_text", "生年月日", 50), ("sex", "性別", 10),
        ("relationship", "続柄", 16), ("numbers", "住民票コード／個人番号", 36))
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> FormLayout:
        if not path.is_file():
            return cls()
        raw = json.loads(path.read_text(encoding="utf-8"))
        cols = tuple((str(c[0]), str(c[1]), float(c[2])) for c in raw.get("columns", [])) or cls.columns
        return cls(town=raw.get("town", cls.town), title=raw.get("title", cls.title),
                   paper=raw.get("paper", "A4"), columns=cols)


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    name = "IPAmjMincho"
    if name not in pdfmetrics.getRegisteredFontNames():
        path = next((p for p in FONT_FILES if Path(p).is_file()), None)
        if path is None:
            raise FileNotFoundError("IPAmj明朝が見つかりません（fonts-ipamj-mincho を入れてください）")
        pdfmetrics.registerFont(TTFont(name, path))
    return name


def _wrap(items: list[str], fits: Callable[[str], bool]) -> list[str]:
    """Items joined by 「　」 into lines that fit (an item too long alone is a line of its own)."""
    lines: list[str] = []
    for item in items:
        if lines and fits(f"{lines[-1]}　{item}"):
            lines[-1] = f"{lines[-1]}　{item}"
        else:
            lines.append(item)
    return lines


def render_form(doc: dict[str, Any], *, number: str, status: str, today: date, layout: FormLayout | None = None,
                masked: bool = False) -> bytes:
    from reportlab.lib.pagesizes import A3, A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    layout = layout or FormLayout()
    font = _font()
    size = A3 if layout.paper == "A3" else A4
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=size, invariant=True)
    c.setTitle(f"{layout.title} {number}")
    c.setAuthor(layout.town)
    width, height = size
    left, y = 15 * mm, height - 20 * mm
    h = doc["household"]

    def stamp() -> None:
        """The 受付番号 and state at the top right of every page, and whether its numbers are hidden."""
        c.setFont(font, 9)
        c.drawRightString(width - 15 * mm, y + 6 * mm, f"受付番号 {number}　状態 {STATUSES.get(status, status)}")
        if masked:
            c.drawRightString(width - 15 * mm, y - 6 * mm, "（マスキング済み: 個人番号・住民票コードを伏せています）")

    c.setFont(font, 18)
    c.drawCentredString(width / 2, y, f"{layout.title}（{KINDS[doc['kind']]}）")
    stamp()
    c.drawString(left, y + 6 * mm, f"{layout.town}長　様")
    y -= 14 * mm

    def row(label: str, value: str, *, height_mm: float = 9) -> None:
        nonlocal y
        c.rect(left, y - height_mm * mm, 30 * mm, height_mm * mm)
        c.rect(left + 30 * mm, y - height_mm * mm, width - 30 * mm - 2 * left, height_mm * mm)
        c.setFont(font, 9)
        c.drawString(left + 2 * mm, y - height_mm * mm / 2 - 1.5 * mm, label)
        c.setFont(font, 11)
        c.drawString(left + 32 * mm, y - height_mm * mm / 2 - 2 * mm, value)
        y -= height_mm * mm

    moved = h["moved_on"]
    row("異動日", f"{wareki(date.fromisoformat(moved))}({moved[:4]}年)" if moved else "")
    row("新しい住所", f"〒{h['new_address']['postal_code'][:3]}-{h['new_address']['postal_code'][3:]}　"
        f"{h['new_address']['text']}" if h["new_address"]["postal_code"] else h["new_address"]["text"])
    row("前の住所", h["old_address"]["text"])
    row("転入前の市区町村", h["origin"])
    row("世帯主", h["head"])
    y -= 5 * mm
    bottom, page = 15 * mm, 1

    def headings() -> None:
        nonlocal y
        x = left
        c.setFont(font, 9)
        for _, heading, w in layout.columns:
            c.rect(x, y - 7 * mm, w * mm, 7 * mm)
            c.drawString(x + 1.5 * mm, y - 5 * mm, heading)
            x += w * mm
        y -= 7 * mm

    def next_page() -> None:
        """A household too long for the page goes on: the next page says whose 届書 it continues."""
        nonlocal y, page
        c.showPage()
        page += 1
        y = height - 20 * mm
        c.setFont(font, 12)
        c.drawString(left, y, f"{layout.title}（{KINDS[doc['kind']]}）　{page}枚目（続き）")
        stamp()
        y -= 12 * mm

    line_width = width - 2 * left - 4 * mm
    headings()
    for m in doc["members"]:
        values = dict(m)
        values["birth_text"] = birth_text(date.fromisoformat(m["birth_date"]), today) if m["birth_date"] else ""
        code, number_ = (MASK, MASK) if masked else (m["resident_code"], m["individual_number"])
        values["numbers"] = " / ".join(v for v in (code if m["resident_code"] else "",
                                                   number_ if m["individual_number"] else "") if v)
        extra = [f"国籍・地域 {m['nationality']}"] if m["nationality"] else []
        extra += [f"本籍 {m['honseki']}"] if m["honseki"] else []
        extra += [f"筆頭者 {m['hittousha']}"] if m["hittousha"] else []
        extra += [f"在留資格 {m['stay_status']}"] if m["stay_status"] else []
        extra += [f"在留期間 {m['stay_period']}"] if m["stay_period"] else []
        extra += [f"在留カード等番号 {MASK if masked else m['card_number']}"] if m["card_number"] else []
        lines = _wrap(extra, lambda text: c.stringWidth(text, font, 8) <= line_width)
        if y - (10 + (6 + 4.5 * (len(lines) - 1) if lines else 0)) * mm < bottom:
            next_page()
            headings()
        x = left
        for key, _, w in layout.columns:
            c.rect(x, y - 10 * mm, w * mm, 10 * mm)
            text = str(values.get(key, ""))
            fs = 10.0
            while fs > 5 and c.stringWidth(text, font, fs) > (w - 3) * mm:
                fs -= 0.5
            c.setFont(font, fs)
            c.drawString(x + 1.5 * mm, y - 6.5 * mm, text)
            x += w * mm
        y -= 10 * mm
        if lines:
            c.setFont(font, 8)
            for i, text in enumerate(lines):
                c.drawString(left + 2 * mm, y - 4 * mm - 4.5 * mm * i, text)
            y -= (6 + 4.5 * (len(lines) - 1)) * mm
    if y - (5 + 18 + 9) * mm < bottom:  # 備考 and 確認番号 stay together, after the last member
        next_page()
    y -= 5 * mm
    row("備考", h["remarks"], height_mm=18)
    row("確認番号・メモ", "　".join(v for v in (h["confirmation"], h["memo"]) if v))
    c.showPage()
    c.save()
    return buffer.getvalue()
