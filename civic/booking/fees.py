"""使用料 (表3 no.25): a unit's fee by resident type, day type and time band, plus equipment fees."""

from __future__ import annotations

from collections.abc import Mapping

from civic.booking.messages import hm, yen
from civic.booking.types import FeeLine
from civic.facilities.catalogue import FacilityBundle
from civic.facilities.models import FEE_PER_HOUR, RESIDENT_TYPE_LABELS, Equipment, FeeRule, Unit

DAY = 24 * 60


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _rules_for(rules: list[FeeRule], resident_type: str, day_type: str) -> list[FeeRule]:
    """The resident type's own rules if it has any, else the general ones; filtered by day type."""
    own = [r for r in rules if r.resident_type == resident_type]
    chosen = own if own else [r for r in rules if r.resident_type is None]
    return [r for r in chosen if not r.day_types or day_type in r.day_types]


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def unit_fee_lines(bundle: FacilityBundle, unit: Unit, day_type: str, start: int, end: int,
                   resident_type: str) -> list[FeeLine]:
    """Fee lines of the unit itself. Bands repeat every day, so a night past midnight is charged too."""
    lines: list[FeeLine] = []
    who = RESIDENT_TYPE_LABELS.get(resident_type, resident_type)
    for rule in _rules_for(bundle.fees.get(unit.id or 0, []), resident_type, day_type):
        minutes = 0
        for offset in range(0, max(1, _ceil_div(end, DAY))):
            minutes += _overlap(start, end, rule.start_minute + offset * DAY, rule.end_minute + offset * DAY)
        if minutes <= 0:
            continue
        amount = _ceil_div(rule.per_hour * minutes, 60) + rule.flat
        if amount == 0:
            continue
        band = rule.label or f"{hm(rule.start_minute)}〜{hm(rule.end_minute)}"
        detail = f"{yen(rule.per_hour)}/時間×{minutes / 60:g}時間" if rule.per_hour else ""
        if rule.flat:
            detail = f"{detail}＋{yen(rule.flat)}" if detail else yen(rule.flat)
        lines.append(FeeLine(f"{unit.name} {band}（{who}）{detail}", amount))
    return lines


def equipment_fee_lines(bundle: FacilityBundle, unit: Unit, equipment: Mapping[int, int],
                        minutes: int) -> list[FeeLine]:
    items = {e.id: e for e in bundle.equipment_for(unit.id or 0)}
    lines: list[FeeLine] = []
    for eid, qty in sorted(equipment.items()):
        item = items.get(eid)
        if item is None or qty <= 0:
            continue
        if item.fee_per == FEE_PER_HOUR:
            detail = f"{yen(item.fee)}/時間×{qty}{item.unit_label}×{minutes / 60:g}時間"
        else:
            detail = f"{yen(item.fee)}×{qty}{item.unit_label}"
        lines.append(FeeLine(f"{item.name}（{detail}）", equipment_fee(item, qty, minutes)))
    return lines


def equipment_fee(item: Equipment, quantity: int, minutes: int) -> int:
    if item.fee_per == FEE_PER_HOUR:
        return _ceil_div(item.fee * quantity * minutes, 60)
    return item.fee * quantity


def fee_lines(bundle: FacilityBundle, unit: Unit, day_type: str, start: int, end: int,
              resident_type: str, equipment: Mapping[int, int]) -> list[FeeLine]:
    return (unit_fee_lines(bundle, unit, day_type, start, end, resident_type)
            + equipment_fee_lines(bundle, unit, equipment, end - start))
