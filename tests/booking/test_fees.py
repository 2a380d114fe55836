"""Fees by resident type, day type and time band; equipment per use and per hour (pure, no database)."""

from __future__ import annotations

from datetime import UTC, datetime

from civic.booking.fees import fee_lines
from civic.facilities.catalogue import FacilityBundle
from civic.facilities.models import Equipment, Facility, FeeRule, Unit

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def bundle() -> tuple[FacilityBundle, Unit]:
    f = Facility(id=1, code="f", name="f", category="c", created_at=NOW, updated_at=NOW)
    unit = Unit(id=1, facility_id=1, code="u", name="グラウンド")
    b = FacilityBundle(f, units=[unit])
    b.fees[1] = [
        FeeRule(unit_id=1, resident_type=None, start_minute=0, end_minute=17 * 60, per_hour=500),
        FeeRule(unit_id=1, resident_type=None, start_minute=17 * 60, end_minute=24 * 60, per_hour=800),
        FeeRule(unit_id=1, resident_type="outside", start_minute=0, end_minute=24 * 60, per_hour=1500),
        FeeRule(unit_id=1, resident_type=None, day_types=["holiday"], start_minute=0, end_minute=24 * 60, flat=300,
                label="休日加算"),
    ]
    b.equipment = [Equipment(id=5, facility_id=1, code="l", name="照明", fee=700, fee_per="hour", unit_label="式"),
                   Equipment(id=6, facility_id=1, code="b", name="ボール", fee=50, quantity=10, unit_label="個")]
    return b, unit


def total(*args) -> int:
    return sum(line.amount for line in fee_lines(*args))


def test_bands_add_up_across_a_boundary() -> None:
    b, u = bundle()
    assert total(b, u, "weekday", 15 * 60, 19 * 60, "resident", {}) == 2 * 500 + 2 * 800
    assert total(b, u, "weekday", 15 * 60, 19 * 60, "student", {}) == 2 * 500 + 2 * 800


def test_a_resident_type_with_its_own_rules_uses_only_them() -> None:
    b, u = bundle()
    assert total(b, u, "weekday", 15 * 60, 19 * 60, "outside", {}) == 4 * 1500
    assert total(b, u, "holiday", 15 * 60, 19 * 60, "outside", {}) == 4 * 1500  # no holiday rule for outside


def test_day_type_rules_and_flat_amounts() -> None:
    b, u = bundle()
    lines = fee_lines(b, u, "holiday", 9 * 60, 12 * 60, "resident", {})
    assert [line.amount for line in lines] == [1500, 300] and "休日加算" in lines[1].label


def test_equipment_per_hour_and_per_use() -> None:
    b, u = bundle()
    lines = fee_lines(b, u, "weekday", 18 * 60, 20 * 60 + 30, "resident", {5: 1, 6: 4})
    assert [line.amount for line in lines] == [2000, 1750, 200]
    assert lines[1].label.startswith("照明") and "2.5時間" in lines[1].label


def test_a_night_past_midnight_is_charged() -> None:
    b, u = bundle()
    # 22:00–翌2:00: two hours in the evening band, two in the early band of the next day.
    assert total(b, u, "weekday", 22 * 60, 26 * 60, "resident", {}) == 2 * 800 + 2 * 500
