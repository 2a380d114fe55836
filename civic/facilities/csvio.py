"""CSV for staff: the calendar import (表3 no.5) and the facility information export (表3 no.4).

Every CSV we write is Excel-friendly: UTF-8 with a BOM and CRLF line ends. Imports accept UTF-8
(with or without BOM) and the column names in Japanese or English.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.facilities.catalogue import Catalogue
from civic.facilities.content import ContentError, parse_range
from civic.facilities.models import (
    CAL_BLOCKED,
    CAL_CLOSED,
    CAL_HOLIDAY,
    CAL_OPEN,
    DAY_TYPES,
    CalendarDay,
    Facility,
    Unit,
)
from civic.inputs import CsvRowError, csv_rows
from civic.stats.csvfile import csv_text

BOM = "\ufeff"


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Excel-friendly CSV through the one shared writer (formula cells neutralised)."""
    return csv_text(header, rows)


KIND_WORDS = {
    "休館": CAL_CLOSED, "休館日": CAL_CLOSED, "closed": CAL_CLOSED,
    "利用不可": CAL_BLOCKED, "一般利用不可": CAL_BLOCKED, "blocked": CAL_BLOCKED,
    "祝日": CAL_HOLIDAY, "休日": CAL_HOLIDAY, "holiday": CAL_HOLIDAY,
    "開館": CAL_OPEN, "臨時開館": CAL_OPEN, "open": CAL_OPEN,
}
COLUMNS = {
    "date": ("日付", "date"), "facility": ("施設コード", "facility", "facility_code"),
    "unit": ("室場コード", "unit", "unit_code"), "kind": ("区分", "kind"),
    "time": ("時間帯", "time"), "reason": ("理由", "reason", "備考"),
}


@dataclass
class CalendarImport:
    created: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def _column(header: list[str], name: str) -> int | None:
    for alias in COLUMNS[name]:
        if alias in header:
            return header.index(alias)
    return None


async def import_calendar_csv(session: AsyncSession, text: str) -> CalendarImport:
    """Rows ``日付,施設コード,室場コード,区分,時間帯,理由``; all or nothing.

    ``施設コード`` empty means the whole town (for 祝日); ``時間帯`` empty means the whole day
    (``9:00-12:00`` otherwise); 区分 is 休館 / 利用不可 / 祝日 / 臨時開館. Rows already present are skipped.
    """
    result = CalendarImport()
    try:
        rows = list(csv_rows(text.lstrip(BOM)))
    except CsvRowError as exc:  # a cell over the size limit, a broken quote: nothing is imported
        result.errors.append(exc.message)
        return result
    if not rows:
        result.errors.append("CSV が空です。")
        return result
    header = [h.strip() for h in rows[0]]
    idx = {name: _column(header, name) for name in COLUMNS}
    if idx["date"] is None or idx["kind"] is None:
        result.errors.append("1行目に「日付」と「区分」の列が必要です。")
        return result
    facilities = {f.code: f.id for f in (await session.exec(select(Facility))).all()}
    units = {(u.facility_id, u.code): u.id for u in (await session.exec(select(Unit))).all()}
    existing = {(c.facility_id, c.unit_id, c.day, c.kind, c.start_minute, c.end_minute)
                for c in (await session.exec(select(CalendarDay))).all()}
    new: list[CalendarDay] = []

    def cell(row: list[str], name: str) -> str:
        i = idx[name]
        return row[i].strip() if i is not None and i < len(row) else ""

    for line, row in enumerate(rows[1:], start=2):
        if not any(v.strip() for v in row):
            continue
        try:
            day = date.fromisoformat(cell(row, "date").replace("/", "-"))
        except ValueError:
            result.errors.append(f"{line}行目: 日付は YYYY-MM-DD（または YYYY/MM/DD）で書いてください（{cell(row, 'date')}）。")
            continue
        kind = KIND_WORDS.get(cell(row, "kind"))
        if kind is None:
            result.errors.append(f"{line}行目: 区分は 休館・利用不可・祝日・臨時開館 のいずれかです（{cell(row, 'kind')}）。")
            continue
        fcode, ucode = cell(row, "facility"), cell(row, "unit")
        fid = facilities.get(fcode) if fcode else None
        if fcode and fid is None:
            result.errors.append(f"{line}行目: 施設コード {fcode} の施設がありません。")
            continue
        if fid is None and kind != CAL_HOLIDAY:
            result.errors.append(f"{line}行目: 休館・利用不可・臨時開館には施設コードが必要です。")
            continue
        uid = units.get((fid, ucode)) if ucode and fid is not None else None
        if ucode and uid is None:
            result.errors.append(f"{line}行目: 室場コード {ucode} が施設 {fcode} にありません。")
            continue
        start = end = None
        if cell(row, "time"):
            try:
                start, end = parse_range(cell(row, "time"), f"{line}行目")
            except ContentError as exc:
                result.errors.append(f"{exc}。")
                continue
        key = (fid, uid, day, kind, start, end)
        if key in existing:
            result.skipped += 1
            continue
        existing.add(key)
        new.append(CalendarDay(facility_id=fid, unit_id=uid, day=day, kind=kind, start_minute=start,
                               end_minute=end, reason=cell(row, "reason")[:200]))
    if result.errors:
        return result
    for c in new:
        session.add(c)
    await session.flush()
    result.created = len(new)
    return result


def _hm(minute: int) -> str:
    return f"{minute // 60}:{minute % 60:02d}"


WEEKDAY_NAMES = "月火水木金土日"
DAY_TYPE_LABELS = {"weekday": "平日", "saturday": "土曜", "sunday": "日曜", "holiday": "祝日"}


def export_facilities_csv(catalogue: Catalogue) -> str:
    header = ["施設コード", "施設名", "よみ", "種別", "住所", "緯度", "経度", "電話番号", "表示順", "公開",
              *[f"開館時間（{DAY_TYPE_LABELS[d]}）" for d in DAY_TYPES], "定休日", "年末年始休館",
              "予約受付開始", "受付締切（時間前）", "変更期限（時間前）", "取消期限（時間前）", "利用者による取消",
              "室場", "備品・附属設備", "利用目的", "施設案内URL", "説明"]
    rows = []
    for b in catalogue.ordered():
        f = b.facility
        hours = [f"{_hm(h.open_minute)}-{_hm(h.close_minute)}" if (h := b.hours.get(d)) else "休館" for d in DAY_TYPES]
        opens = (f"{f.booking_opens_months}か月前の{'1日' if f.booking_opens_on_first else '同日'}"
                 f" {_hm(f.booking_opens_minute)}")
        units = "、".join(u.name for u in b.units)
        equipment = "、".join(f"{e.name}（{e.quantity}{e.unit_label}）" for e in b.equipment if e.active)
        rows.append([f.code, f.name, f.kana, f.category, f.address, f.latitude, f.longitude, f.phone, f.display_order,
                     "公開" if f.visibility == "public" else "非公開", *hours,
                     "・".join(WEEKDAY_NAMES[d] for d in f.weekly_closed_days) or "なし",
                     "あり" if f.closed_year_end else "なし", opens, f.booking_closes_hours, f.change_deadline_hours,
                     f.cancel_deadline_hours, "可" if f.citizen_can_cancel else "不可", units, equipment,
                     "、".join(sorted({p.name for p in b.purposes})), f.guide_url, f.description])
    return to_csv(header, rows)


def export_units_csv(catalogue: Catalogue) -> str:
    visibility = {"public": "公開", "availability": "空き状況のみ公開", "private": "非公開"}
    header = ["施設コード", "施設名", "室場コード", "室場名", "種類", "共有エリア", "定員", "公開区分", "予約方式",
              "承認", "予約できる利用者"]
    rows = []
    for b in catalogue.ordered():
        area_names = {a.id: a.name for a in b.areas}
        for u in b.units:
            rows.append([b.facility.code, b.facility.name, u.code, u.name, u.kind,
                         "・".join(area_names.get(a, "") for a in sorted(b.areas_of(u.id or 0))), u.capacity,
                         visibility.get(u.visibility, u.visibility),
                         "固定枠" if u.booking_mode == "frames" else f"{u.slot_minutes}分単位",
                         "要承認" if u.approval_required else "", "・".join(u.allowed_attributes) or "制限なし"])
    return to_csv(header, rows)
