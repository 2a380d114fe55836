"""Staff search (also by encrypted name), daily/monthly lists and yearly counts as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from civic.booking import reports
from civic.booking.services import BookingService
from civic.database import Database
from tests.booking.town import SATURDAY, build_town, citizen


@pytest.fixture
async def booked(db: Database):
    town = await build_town(db)
    svc = BookingService(db, town.clock)
    a = await svc.reserve(town.request("gym.half-a"), citizen("U1", name="山田 花子"))
    b = await svc.reserve(town.request("gym.half-b", purpose="バドミントン", people=6),
                          citizen("U2", name="佐藤 一郎", phone="080-2222-3333", resident_type="outside"))
    c = await svc.reserve(town.request("tennis.c1", day=date(2026, 12, 12), time="9:00-10:00", people=4),
                          citizen("U3", name="鈴木 美咲"))
    await svc.cancel(citizen("U3"), c.number)
    return town, a, b, c


def parse(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


async def test_search_by_number_name_phone_and_filters(booked) -> None:
    town, a, b, c = booked
    async with town.db.read() as s:
        rows, total = await reports.search(s, reports.Filters(query=a.number))
        assert total == 1 and rows[0].number == a.number
        rows, _ = await reports.search(s, reports.Filters(query="佐藤"))
        assert [r.number for r in rows] == [b.number]
        rows, _ = await reports.search(s, reports.Filters(query="08022223333"))
        assert [r.number for r in rows] == [b.number]
        rows, total = await reports.search(s, reports.Filters(facility_id=town.facilities["gym"]))
        assert total == 2
        rows, total = await reports.search(s, reports.Filters(statuses=["cancelled"]))
        assert [r.number for r in rows] == [c.number]
        rows, total = await reports.search(s, reports.Filters(date_from=date(2026, 12, 6)))
        assert [r.number for r in rows] == [c.number]


async def test_daily_list_csv(booked) -> None:
    town, a, b, _ = booked
    async with town.db.read() as s:
        text = await reports.list_csv(s, reports.Filters(date_from=SATURDAY, date_to=SATURDAY))
    rows = parse(text)
    assert rows[0][:4] == ["予約番号", "状態", "利用日", "曜日"]
    record = dict(zip(rows[0], rows[2], strict=True))
    assert record["予約番号"] == b.number and record["申請者"] == "佐藤 一郎" and record["利用者区分"] == "町外"
    assert record["開始"] == "9:00" and record["使用料"] == "2400" and record["受付方法"] == "LINE（トーク）"


async def test_yearly_counts_by_condition(booked) -> None:
    town, *_ = booked
    async with town.db.read() as s:
        table = await reports.counts(s, 2026, ["facility", "purpose"], reports.Filters())
        assert table == [(("テスト体育館", "バドミントン"), 1, 6, 2400), (("テスト体育館", "バレーボール"), 1, 10, 1200)]
        cancelled = await reports.counts(s, 2026, ["status"], reports.Filters(statuses=["cancelled"]))
        assert cancelled == [(("取消",), 1, 4, 400)]
        assert await reports.counts(s, 2025, ["facility"], reports.Filters()) == []
    rows = parse(reports.counts_csv(["facility", "purpose"], table))
    assert rows[0] == ["施設", "利用目的", "件数", "延べ利用人数", "使用料合計"]
    assert rows[-1] == ["合計", "", "2", "16", "3600"]
