"""Calendar CSV import (all or nothing, errors by line) and the facility information CSV (Excel-friendly)."""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlmodel import select

from civic.database import Database
from civic.facilities.catalogue import load_catalogue
from civic.facilities.csvio import export_facilities_csv, export_units_csv, import_calendar_csv
from civic.facilities.models import CalendarDay
from tests.booking.town import build_town

GOOD = ("\ufeff日付,施設コード,室場コード,区分,時間帯,理由\r\n"
        "2026-12-20,gym,,休館,,床のワックスがけ\r\n"
        "2026/12/21,gym,half-a,利用不可,9:00-12:00,小学校の授業\r\n"
        "2026-08-14,,,祝日,,町の休日\r\n")


async def test_import_then_skip_duplicates(db: Database) -> None:
    await build_town(db)
    async with db.write() as s:
        result = await import_calendar_csv(s, GOOD)
    assert (result.created, result.skipped, result.errors) == (3, 0, [])
    async with db.read() as s:
        rows = {(c.day, c.kind): c for c in (await s.exec(select(CalendarDay))).all()}
    blocked = rows[(date(2026, 12, 21), "blocked")]
    assert (blocked.start_minute, blocked.end_minute, blocked.unit_id is not None) == (540, 720, True)
    assert rows[(date(2026, 8, 14), "holiday")].facility_id is None
    async with db.write() as s:
        again = await import_calendar_csv(s, GOOD)
    assert (again.created, again.skipped) == (0, 3)


async def test_errors_name_the_line_and_nothing_is_imported(db: Database) -> None:
    await build_town(db)
    bad = GOOD + "2026-13-01,gym,,休館,,\r\n2026-12-22,nowhere,,休館,,\r\n2026-12-23,gym,,お休み,,\r\n2026-12-24,,,休館,,\r\n"
    async with db.write() as s:
        result = await import_calendar_csv(s, bad)
    assert result.created == 0 and len(result.errors) == 4
    assert result.errors[0].startswith("5行目") and "日付" in result.errors[0]
    assert "nowhere" in result.errors[1] and "区分" in result.errors[2] and "施設コード" in result.errors[3]
    async with db.read() as s:
        assert (await s.exec(select(CalendarDay).where(CalendarDay.reason == "床のワックスがけ"))).all() == []


async def test_facility_csv_is_excel_friendly(db: Database) -> None:
    await build_town(db)
    async with db.read() as s:
        catalogue = await load_catalogue(s)
    text = export_facilities_csv(catalogue)
    assert text.startswith("\ufeff") and "\r\n" in text
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header, gym = rows[0], rows[1]
    assert header[:3] == ["施設コード", "施設名", "よみ"] and len(rows) == 4
    record = dict(zip(header, gym, strict=True))
    assert record["施設名"] == "テスト体育館" and record["定休日"] == "月" and record["開館時間（祝日）"] == "9:00-17:00"
    assert "全面" in record["室場"] and "ネット（2組）" in record["備品・附属設備"] and record["緯度"] == "35.0"
    units = list(csv.reader(io.StringIO(export_units_csv(catalogue).lstrip("\ufeff"))))
    half = next(r for r in units if r[3] == "半面A")
    assert half[5] == "北側" and half[7] == "公開"
    assert next(r for r in units if r[3] == "会議室")[7] == "空き状況のみ公開"
