"""Facilities as content (``content/<town>/facilities.yml``) and seeding them into the database.

The file format (one entry per facility) — times are ``H:MM-H:MM`` (``14:00-翌10:00`` past midnight)::

    facilities:
      - code: arena                      # stable key
        name: …
        category: arena                  # arena, gymnasium, budokan, field, park, multipurpose, campsite, tennis, dog_run
        location: [35.001, 135.002]      # latitude, longitude
        hours: {weekday: "9:00-21:00", saturday: …, sunday: …, holiday: …}
        closed: {weekly: [mon], holidays: false, year_end: true, moves_after_holiday: true}
        policy: {opens_months: 2, opens_at: "9:00", closes_hours: 24, change_deadline_hours: 72, …}
        frames: [{time: "9:00-12:00", label: 午前, days: [weekday]}]
        areas: [{code: north, name: 北側}]
        units:
          - {code: whole, name: 全面, areas: [north, south], fees: [{time: "9:00-17:00", per_hour: {resident: 800, outside: 1600}}]}
        equipment: [{code: light, name: 照明, kind: attached, quantity: 1, unit_label: 式, fee: 500, per: hour, unit: whole}]
        purposes: [バレーボール, …]
        calendar: [{date: 2026-12-06, kind: blocked, time: "9:00-17:00", reason: 町民バレーボール大会}]

Fee tables give an amount per resident type (``resident``, ``student``, ``worker``, ``outside``;
``all`` for everyone without an amount of their own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.facilities.models import (
    CALENDAR_KINDS,
    DAY_TYPES,
    FEE_PER_HOUR,
    FEE_PER_USE,
    FRAMES,
    FREE,
    GRID_MINUTES,
    RESIDENT_TYPES,
    UNIT_KINDS,
    VISIBILITIES,
    Area,
    CalendarDay,
    Equipment,
    Facility,
    FeeRule,
    Frame,
    OpeningHours,
    Purpose,
    Unit,
    UnitArea,
)
from civic.urls import https_problem

WEEKDAY_CODES = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_TIME = re.compile(r"^\s*(翌)?(\d{1,2}):(\d{2})\s*$")


class ContentError(ValueError):
    """A content file that cannot be loaded; the message names the facility and the field."""


def parse_minute(text: str, where: str) -> int:
    m = _TIME.match(str(text))
    if not m:
        raise ContentError(f"{where}: 時刻は H:MM で書いてください（{text!r}）")
    minute = int(m.group(2)) * 60 + int(m.group(3)) + (24 * 60 if m.group(1) else 0)
    if minute % GRID_MINUTES:
        raise ContentError(f"{where}: 時刻は{GRID_MINUTES}分単位にしてください（{text!r}）")
    return minute


def parse_range(text: str, where: str) -> tuple[int, int]:
    parts = str(text).replace("〜", "-").replace("～", "-").split("-")
    if len(parts) != 2:
        raise ContentError(f"{where}: 時間帯は H:MM-H:MM で書いてください（{text!r}）")
    start, end = parse_minute(parts[0], where), parse_minute(parts[1], where)
    if end <= start:
        end += 24 * 60 if end < start else 0
    if end <= start:
        raise ContentError(f"{where}: 終了が開始より前です（{text!r}）")
    return start, end


def _day_types(values: Any, where: str) -> list[str]:
    out = list(values or [])
    bad = [v for v in out if v not in DAY_TYPES]
    if bad:
        raise ContentError(f"{where}: 曜日区分は {', '.join(DAY_TYPES)} のいずれかです（{bad}）")
    return out


def _amounts(value: Any, where: str) -> dict[str | None, int]:
    if isinstance(value, int):
        return {None: value} if value else {}
    if not isinstance(value, dict):
        raise ContentError(f"{where}: 金額は数値か、利用者区分ごとの表で書いてください")
    out: dict[str | None, int] = {}
    for key, amount in value.items():
        if key != "all" and key not in RESIDENT_TYPES:
            raise ContentError(f"{where}: 利用者区分 {key!r} はありません（{', '.join(RESIDENT_TYPES)}, all）")
        out[None if key == "all" else key] = int(amount)
    return out


@dataclass
class SeedResult:
    created: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def read_facilities_file(path: Path | str) -> dict[str, Any]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or not isinstance(data.get("facilities"), list):
        raise ContentError(f"{path}: facilities: の一覧がありません")
    return data


async def seed_facilities(session: AsyncSession, data: dict[str, Any], now: datetime) -> SeedResult:
    """Create every facility of ``data`` whose code is not in the database yet (idempotent)."""
    result = SeedResult()
    holidays = set((await session.exec(select(col(CalendarDay.day)).where(
        col(CalendarDay.facility_id).is_(None), CalendarDay.kind == "holiday"))).all())
    for d in data.get("town_holidays") or []:
        day = _date(d["date"], "town_holidays")
        if day not in holidays:  # seeding again (every start of the service) adds no second row
            holidays.add(day)
            session.add(CalendarDay(day=day, kind="holiday", reason=d.get("reason", "")))
    existing = set((await session.exec(select(Facility.code))).all())
    for spec in data["facilities"]:
        code = spec.get("code")
        if not code:
            raise ContentError("facilities: code のない施設があります")
        if code in existing:
            result.skipped.append(code)
            continue
        result.created[code] = await _seed_one(session, spec, now)
    return result


def _date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ContentError(f"{where}: 日付は YYYY-MM-DD で書いてください（{value!r}）") from None


async def _seed_one(session: AsyncSession, spec: dict[str, Any], now: datetime) -> int:
    code = spec["code"]
    w = f"facilities[{code}]"
    closed = spec.get("closed") or {}
    policy = spec.get("policy") or {}
    lat, lon = (spec.get("location") or [None, None])[:2]
    try:
        weekly = [WEEKDAY_CODES[d] for d in closed.get("weekly") or []]
    except KeyError as exc:
        raise ContentError(f"{w}.closed.weekly: 曜日は mon〜sun で書いてください（{exc}）") from None
    for key in ("thumbnail_url", "guide_url"):
        if spec.get(key) and (problem := https_problem(spec[key], max_length=500)):
            raise ContentError(f"{w}.{key}: {problem}")
    f = Facility(
        code=code, name=spec["name"], kana=spec.get("kana", ""), category=spec.get("category", "other"),
        address=spec.get("address", ""), latitude=lat, longitude=lon, phone=spec.get("phone", ""),
        description=(spec.get("description") or "").strip(), thumbnail_url=spec.get("thumbnail_url"),
        guide_url=spec.get("guide_url"), display_order=int(spec.get("display_order", 0)),
        visibility=spec.get("visibility", "public"), terms=(spec.get("terms") or "").strip(),
        weekly_closed_days=weekly, closed_day_moves_after_holiday=bool(closed.get("moves_after_holiday", True)),
        closed_on_holidays=bool(closed.get("holidays", False)), closed_year_end=bool(closed.get("year_end", True)),
        booking_opens_months=int(policy.get("opens_months", 2)),
        booking_opens_on_first=bool(policy.get("opens_on_first", False)),
        booking_opens_minute=parse_minute(policy.get("opens_at", "9:00"), f"{w}.policy.opens_at"),
        booking_closes_hours=int(policy.get("closes_hours", 24)),
        change_deadline_hours=int(policy.get("change_deadline_hours", 72)),
        cancel_deadline_hours=int(policy.get("cancel_deadline_hours", 72)),
        citizen_can_change=bool(policy.get("citizen_can_change", True)),
        citizen_can_cancel=bool(policy.get("citizen_can_cancel", True)),
        max_active_per_booker=policy.get("max_active", 4), max_per_day_per_booker=policy.get("max_per_day", 1),
        waitlist_enabled=bool(policy.get("waitlist", True)), offer_hours=int(policy.get("offer_hours", 24)),
        reminder_enabled=bool(policy.get("reminder", True)), created_at=now, updated_at=now)
    if f.visibility not in ("public", "private"):
        raise ContentError(f"{w}.visibility: public か private です")
    session.add(f)
    await session.flush()
    fid = f.id
    assert fid is not None
    for day_type, text in (spec.get("hours") or {}).items():
        _day_types([day_type], f"{w}.hours")
        o, c = parse_range(text, f"{w}.hours.{day_type}")
        session.add(OpeningHours(facility_id=fid, day_type=day_type, open_minute=o, close_minute=c))
    areas: dict[str, int] = {}
    for a in spec.get("areas") or []:
        area = Area(facility_id=fid, code=a["code"], name=a.get("name", a["code"]))
        session.add(area)
        await session.flush()
        areas[a["code"]] = area.id or 0
    units: dict[str, int] = {}
    for order, u in enumerate(spec.get("units") or []):
        units[u["code"]] = await _seed_unit(session, fid, u, order, areas, f"{w}.units[{u['code']}]")
    for i, fr in enumerate(spec.get("frames") or []):
        s, e = parse_range(fr["time"], f"{w}.frames[{i}]")
        session.add(Frame(facility_id=fid, unit_id=_ref(units, fr.get("unit"), f"{w}.frames[{i}].unit"),
                          day_types=_day_types(fr.get("days"), f"{w}.frames[{i}].days"),
                          start_minute=s, end_minute=e, label=fr.get("label", "")))
    for i, eq in enumerate(spec.get("equipment") or []):
        per = eq.get("per", FEE_PER_USE)
        if per not in (FEE_PER_USE, FEE_PER_HOUR):
            raise ContentError(f"{w}.equipment[{i}].per: use か hour です")
        session.add(Equipment(facility_id=fid, unit_id=_ref(units, eq.get("unit"), f"{w}.equipment[{i}].unit"),
                              code=eq["code"], name=eq["name"], kind=eq.get("kind", "equipment"),
                              quantity=int(eq.get("quantity", 1)), unit_label=eq.get("unit_label", "個"),
                              fee=int(eq.get("fee", 0)), fee_per=per, display_order=i))
    for i, name in enumerate(spec.get("purposes") or []):
        session.add(Purpose(facility_id=fid, name=name, display_order=i))
    for i, c in enumerate(spec.get("calendar") or []):
        where = f"{w}.calendar[{i}]"
        if c.get("kind") not in CALENDAR_KINDS:
            raise ContentError(f"{where}.kind: {', '.join(CALENDAR_KINDS)} のいずれかです")
        start: int | None = None
        end: int | None = None
        if c.get("time"):
            start, end = parse_range(c["time"], where)
        session.add(CalendarDay(facility_id=fid, unit_id=_ref(units, c.get("unit"), f"{where}.unit"),
                                day=_date(c["date"], where), kind=c["kind"], start_minute=start, end_minute=end,
                                reason=c.get("reason", "")))
    await session.flush()
    return fid


def _ref(units: dict[str, int], code: str | None, where: str) -> int | None:
    if code is None:
        return None
    if code not in units:
        raise ContentError(f"{where}: 室場 {code!r} がありません")
    return units[code]


async def _seed_unit(session: AsyncSession, fid: int, u: dict[str, Any], order: int, areas: dict[str, int],
                     where: str) -> int:
    mode = u.get("mode", FRAMES)
    if mode not in (FRAMES, FREE):
        raise ContentError(f"{where}.mode: frames か free です")
    if u.get("kind", "room") not in UNIT_KINDS:
        raise ContentError(f"{where}.kind: {', '.join(UNIT_KINDS)} のいずれかです")
    visibility = u.get("visibility", "public")
    if visibility not in VISIBILITIES:
        raise ContentError(f"{where}.visibility: {', '.join(VISIBILITIES)} のいずれかです")
    unit = Unit(facility_id=fid, code=u["code"], name=u["name"], kind=u.get("kind", "room"),
                description=(u.get("description") or "").strip(), capacity=u.get("capacity"),
                min_people=int(u.get("min_people", 1)), visibility=visibility, booking_mode=mode,
                slot_minutes=int(u.get("slot_minutes", 60)), min_minutes=u.get("min_minutes"),
                max_minutes=u.get("max_minutes"), approval_required=bool(u.get("approval_required", False)),
                allowed_attributes=list(u.get("allowed_attributes") or []),
                activity_required=bool(u.get("activity_required", False)), display_order=order)
    if unit.slot_minutes % GRID_MINUTES:
        raise ContentError(f"{where}.slot_minutes: {GRID_MINUTES}分の倍数にしてください")
    session.add(unit)
    await session.flush()
    codes = u.get("areas")
    if not codes:  # a unit that shares nothing still occupies an area of its own
        own = Area(facility_id=fid, code=u["code"], name=u["name"])
        session.add(own)
        await session.flush()
        area_ids = [own.id]
    else:
        missing = [c for c in codes if c not in areas]
        if missing:
            raise ContentError(f"{where}.areas: エリア {missing} がありません")
        area_ids = [areas[c] for c in codes]
    for aid in area_ids:
        session.add(UnitArea(unit_id=unit.id or 0, area_id=aid or 0))
    for i, fee in enumerate(u.get("fees") or []):
        fw = f"{where}.fees[{i}]"
        s, e = parse_range(fee.get("time", "0:00-24:00"), fw)
        per_hour = _amounts(fee.get("per_hour", 0), f"{fw}.per_hour")
        flat = _amounts(fee.get("flat", 0), f"{fw}.flat")
        for rt in sorted(set(per_hour) | set(flat), key=lambda k: k or ""):
            session.add(FeeRule(unit_id=unit.id or 0, resident_type=rt,
                                day_types=_day_types(fee.get("days"), f"{fw}.days"), start_minute=s, end_minute=e,
                                per_hour=per_hour.get(rt, per_hour.get(None, 0)), flat=flat.get(rt, flat.get(None, 0)),
                                label=fee.get("label", "")))
    for i, name in enumerate(u.get("purposes") or []):
        session.add(Purpose(facility_id=fid, unit_id=unit.id, name=name, display_order=i))
    return unit.id or 0
