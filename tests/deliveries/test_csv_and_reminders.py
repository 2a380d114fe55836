"""Bulk recurring schedules from CSV (500+ rows, per-row errors) and date-relative reminders."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select

from civic.attributes import services as attributes
from civic.clock import FrozenClock
from civic.database import Database
from civic.deliveries.csv_import import RowError, import_csv, parse_pattern
from civic.deliveries.models import Delivery
from civic.deliveries.services import DeliveryDesk
from civic.segments import services as segments
from tests.attributes.support import NOW, install_demo
from tests.deliveries.conftest import Line
from tests.deliveries.test_sending import create, dispatcher

HEADER = "タイトル,本文,画像URL,セグメント,繰り返し,時刻,開始日,終了日,祝日を除く\r\n"
PATTERNS = ["毎週 月・木", "毎月 1日・15日・月末", "毎月 第2火曜・最終金曜", "毎日", "毎週 土曜日"]


async def _segment(db: Database) -> int:
    await install_demo(db)
    async with db.write() as s:
        row = await segments.create_segment(s, NOW, name="本町", filter_data={
            "type": "choice", "attribute": "area", "values": ["honmachi"]})
    return row.id  # type: ignore[return-value]


async def test_five_hundred_and_more_rows_at_once(db: Database) -> None:
    segment_id = await _segment(db)
    lines = [f"ごみの日{i},明日は収集日です（{i}）。,,{'本町' if i % 2 else ''},{PATTERNS[i % 5]},{7 + i % 12}:00,"
             f"2026-12-01,{'2027-03-31' if i % 3 else ''},{'はい' if i % 4 == 0 else ''}\r\n" for i in range(520)]
    data = ("\ufeff" + HEADER + "".join(lines)).encode()
    async with db.write() as s:
        result = await import_csv(s, NOW, DeliveryDesk(), data, by="delivery", filename="gomi.csv")
    assert result.errors == [] and result.rows == 520 and len(result.created) == 520
    async with db.read() as s:
        rows = (await s.exec(select(Delivery).order_by(Delivery.id))).all()
    assert len(rows) == 520 and all(r.status == "active" and r.next_due_at is not None for r in rows)
    assert rows[1].segment_id == segment_id and rows[0].segment_id is None
    assert json.loads(rows[0].rule)["skip_holidays"] is True and rows[2].source_ref == "gomi.csv:4"
    assert json.loads(rows[2].rule)["nth"] == [[-1, 4], [2, 1]]


async def test_every_bad_row_is_reported_and_nothing_is_created(db: Database) -> None:
    await _segment(db)
    body = (HEADER
            + "正しい行,本文,,,毎週 月,7:00,2026-12-01,,\r\n"
            + ",本文,,,毎週 月,7:00,2026-12-01,,\r\n"  # no title
            + "曜日,本文,,,毎週 月曜・祝,7:00,2026-12-01,,\r\n"
            + "時刻,本文,,,毎日,25:00,2026-12-01,,\r\n"
            + "セグメント,本文,,どこにもない,毎日,7:00,2026-12-01,,\r\n"
            + "期間,本文,,,毎日,7:00,2026-12-01,2026-11-01,\r\n"
            + "画像,,http://insecure.example/a.png,,毎日,7:00,2026-12-01,,\r\n"
            + "終わった,本文,,,毎日,7:00,2020-01-01,2020-12-31,\r\n"
            + ",,,,,,,,\r\n")
    data = body.encode("cp932")  # as Excel saves it
    async with db.write() as s:
        result = await import_csv(s, NOW, DeliveryDesk(), data)
    assert [(e.row, e.column) for e in result.errors] == [
        (3, "タイトル"), (4, "繰り返し"), (5, "時刻"), (6, "セグメント"), (7, "終了日"), (8, "本文"), (9, "繰り返し")]
    assert "どこにもない" in result.errors[3].message and "https" in result.errors[5].message
    assert result.created == []
    async with db.read() as s:
        assert (await s.exec(sa.select(sa.func.count()).select_from(Delivery))).one()[0] == 0
    async with db.write() as s:  # partial: the good row goes in, the others are reported
        result = await import_csv(s, NOW, DeliveryDesk(), data, partial=True)
    assert len(result.created) == 1 and len(result.errors) == 7
    assert isinstance(result.errors[0], RowError)


def test_patterns_read_as_staff_write_them() -> None:
    assert parse_pattern("毎週　月・木") == {"kind": "weekly", "weekdays": [0, 3]}
    assert parse_pattern("毎月 1日、月末") == {"kind": "monthly_day", "days": [-1, 1]}
    assert parse_pattern("毎月 第１水曜 最終日曜") == {"kind": "monthly_nth", "nth": [(1, 2), (-1, 6)]}


async def test_reminders_go_n_days_after_each_registered_date(db: Database, line: Line) -> None:
    await install_demo(db)
    clock = FrozenClock(NOW)  # 2026-11-21 10:00 JST
    users = await line.citizens(db, 4)
    async with db.write() as s:
        ids = [r[0] for r in (await s.exec(sa.text("SELECT id FROM citizen ORDER BY id"))).all()]
        births = {0: ["2026-08-24"], 1: ["2026-08-25", "2023-01-01"], 2: ["2026-08-24", "2026-08-26"], 3: []}
        for i, dates in births.items():
            await attributes.set_values(s, NOW, ids[i], {"children_birth_dates": dates})
    await create(db, clock, title="3か月健診のご案内", messages=[{"type": "text", "text": "3か月健診のご案内です。"}],
                 timing="reminder", rule={"attribute": "children_birth_dates", "offset": 90, "time": "10:30",
                                          "start": "2026-11-01"})
    sender = dispatcher(db, clock, line)
    early, received = [], []
    for day in range(4):  # 22, 23, 24 November 10:30 (and the 21st, today)
        clock.set(NOW + timedelta(days=day, minutes=29))  # a minute before the reminder's time
        await sender.tick()
        early.append([len(line.sim.messages(u)) for u in users])
        clock.set(NOW + timedelta(days=day, minutes=30))
        await sender.tick()
        received.append([len(line.sim.messages(u)) for u in users])
    # 2026-08-24 + 90 days = 2026-11-22; 08-25 → 11-23; 08-26 → 11-24. Twins' dates: one message.
    assert received == [[0, 0, 0, 0], [1, 0, 1, 0], [1, 1, 1, 0], [1, 1, 2, 0]]
    assert early == [[0, 0, 0, 0], *received[:-1]]  # nothing goes before 10:30 on its day
    assert {m["text"] for u in users for m in line.sim.messages(u)} == {"3か月健診のご案内です。"}
