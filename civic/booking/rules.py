"""The reservation rules, as a chain (after LibreBooking's ``ReservationValidationRule``s).

Each rule looks at a ``RuleContext`` and returns the violations it finds; the service runs the
whole chain and refuses with every violation at once, so a citizen can fix everything in one go.
Staff proxy bookings (窓口受付) skip the rules marked ``citizen_only``: visibility, who may book,
the booking window, blocked periods (一般利用不可), quotas and the terms.
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.booking import messages as msg
from civic.booking.models import HOLDING, Reservation
from civic.booking.occupancy import equipment_shortfall
from civic.booking.types import Booker, BookingRequest, Violation, local_datetime
from civic.facilities.calendar import FacilityCalendar
from civic.facilities.catalogue import FacilityBundle
from civic.facilities.models import AVAILABILITY_ONLY, FREE, PRIVATE, RESIDENT_TYPES, Facility, Unit


def booking_opens_at(facility: Facility, day: date) -> datetime:
    """When online booking for ``day`` opens (e.g. 2 months before, at 9:00)."""
    months = day.year * 12 + day.month - 1 - facility.booking_opens_months
    y, m = divmod(months, 12)
    m += 1
    d = 1 if facility.booking_opens_on_first else min(day.day, _calendar.monthrange(y, m)[1])
    return local_datetime(date(y, m, d), facility.booking_opens_minute)


def booking_closes_at(facility: Facility, starts_at: datetime) -> datetime:
    return starts_at - timedelta(hours=facility.booking_closes_hours)


@dataclass
class RuleContext:
    session: AsyncSession
    bundle: FacilityBundle
    unit: Unit
    calendar: FacilityCalendar
    request: BookingRequest
    booker: Booker
    now: datetime
    #: When changing a reservation: the one being changed (excluded from quotas and stock).
    existing: Reservation | None = None


class Rule:
    citizen_only = False

    async def check(self, ctx: RuleContext) -> list[Violation]:
        raise NotImplementedError


class UnitOpenToCitizens(Rule):
    citizen_only = True

    async def check(self, ctx: RuleContext) -> list[Violation]:
        if ctx.unit.visibility == PRIVATE or ctx.bundle.facility.visibility == PRIVATE:
            return [Violation("not_bookable", "この施設はご予約いただけません。", "unit_id")]
        if ctx.unit.visibility == AVAILABILITY_ONLY:
            return [Violation("counter_only",
                              "この施設はLINEからの予約を受け付けていません。施設の窓口でお申し込みください。",
                              "unit_id")]
        return []


class WhoMayBook(Rule):
    citizen_only = True

    async def check(self, ctx: RuleContext) -> list[Violation]:
        allowed = set(ctx.unit.allowed_attributes or ())
        if not allowed:
            return []
        have = set(ctx.booker.attributes) | {ctx.booker.resident_type}
        if have & allowed:
            return []
        return [Violation("not_eligible", "この施設は登録された団体など、利用資格のある方のみご予約いただけます。",
                          "unit_id")]


class ValidTimes(Rule):
    """Fixed frames must be booked as they are; free intervals align to the unit's step and hours."""

    async def check(self, ctx: RuleContext) -> list[Violation]:
        r, unit = ctx.request, ctx.unit
        if r.end_minute <= r.start_minute or r.start_minute < 0 or r.start_minute >= 24 * 60:
            return [Violation("bad_time", "開始時刻と終了時刻を確かめてください。", "start_minute")]
        if unit.booking_mode == FREE:
            opening = ctx.calendar.plan(r.day, unit.id).open_range
            if opening is None:
                return []  # OpenThatDay says it is closed
            step = unit.slot_minutes
            out = []
            if (r.start_minute - opening[0]) % step or (r.end_minute - r.start_minute) % step:
                out.append(Violation("bad_time", f"ご利用時間は{step}分単位でお選びください。", "start_minute"))
            if r.start_minute < opening[0] or r.end_minute > opening[1]:
                out.append(Violation("outside_hours",
                                     f"開館時間（{msg.hm(opening[0])}〜{msg.hm(opening[1])}）内でお選びください。",
                                     "start_minute"))
            length = r.end_minute - r.start_minute
            if unit.min_minutes and length < unit.min_minutes:
                out.append(Violation("too_short", f"{unit.min_minutes}分以上でお申し込みください。", "end_minute"))
            if unit.max_minutes and length > unit.max_minutes:
                out.append(Violation("too_long", f"1回のご利用は{unit.max_minutes}分までです。", "end_minute"))
            return out
        frames = ctx.bundle.frames_for(unit, ctx.calendar.day_type(r.day))
        if (r.start_minute, r.end_minute) not in {(s, e) for s, e, _ in frames}:
            return [Violation("no_such_frame", "ご指定の時間帯は予約枠にありません。枠の一覧からお選びください。",
                              "start_minute")]
        return []


class OpenThatDay(Rule):
    async def check(self, ctx: RuleContext) -> list[Violation]:
        r = ctx.request
        state = ctx.calendar.interval_state(r.day, r.start_minute, r.end_minute, ctx.unit.id)
        if state == "closed":
            return [Violation("closed", "その日時は休館日（または利用できない時間）です。", "day")]
        if state == "blocked" and not ctx.booker.is_staff:
            return [Violation("blocked", "その日時は行事などのため一般のご利用ができません。", "day")]
        return []


class NotInThePast(Rule):
    async def check(self, ctx: RuleContext) -> list[Violation]:
        if ctx.request.starts_at <= ctx.now:
            return [Violation("past", "過ぎた日時はご予約いただけません。", "day")]
        return []


class BookingWindow(Rule):
    citizen_only = True

    async def check(self, ctx: RuleContext) -> list[Violation]:
        f, r = ctx.bundle.facility, ctx.request
        if r.starts_at <= ctx.now:
            return []  # NotInThePast says it
        opens = booking_opens_at(f, r.day)
        if ctx.now < opens:
            return [Violation("not_open_yet", f"この日のご予約は{msg.at_label(opens)}から受け付けます。", "day")]
        if ctx.now > booking_closes_at(f, r.starts_at):
            return [Violation("closed_online",
                              f"ご利用の{f.booking_closes_hours}時間前を過ぎたため、LINEからの予約は締め切りました。"
                              "施設へお電話でご相談ください。", "day")]
        return []


class People(Rule):
    async def check(self, ctx: RuleContext) -> list[Violation]:
        n, unit = ctx.request.people, ctx.unit
        if n < max(1, unit.min_people):
            return [Violation("too_few_people", f"ご利用人数は{max(1, unit.min_people)}人以上でお申し込みください。",
                              "people")]
        if unit.capacity and n > unit.capacity:
            return [Violation("too_many_people", f"{unit.name}の定員は{unit.capacity}人です。", "people")]
        return []


class PurposeAllowed(Rule):
    async def check(self, ctx: RuleContext) -> list[Violation]:
        allowed = ctx.bundle.purposes_for(ctx.unit.id or 0)
        if allowed and ctx.request.purpose not in allowed:
            return [Violation("purpose", "利用目的を次の中からお選びください: " + "、".join(allowed), "purpose")]
        return []


class ActivityGiven(Rule):
    async def check(self, ctx: RuleContext) -> list[Violation]:
        if ctx.unit.activity_required and not (ctx.request.activity or "").strip():
            return [Violation("activity", "活動内容をご記入ください。", "activity")]
        return []


class ResidentTypeKnown(Rule):
    async def check(self, ctx: RuleContext) -> list[Violation]:
        if ctx.booker.resident_type not in RESIDENT_TYPES:
            return [Violation("resident_type", "利用者区分（町内在住・在学・在勤・町外）をお選びください。",
                              "resident_type")]
        return []


class TermsAccepted(Rule):
    citizen_only = True

    async def check(self, ctx: RuleContext) -> list[Violation]:
        if ctx.existing is not None:
            return []  # accepted when the reservation was made
        if ctx.bundle.facility.terms.strip() and not ctx.request.terms_accepted:
            return [Violation("terms", "利用上の遵守事項をご確認のうえ、同意してください。", "terms_accepted")]
        return []


class EquipmentAvailable(Rule):
    """Only the unit's or facility's items, within stock at that time (表3 no.9–10, 21)."""

    async def check(self, ctx: RuleContext) -> list[Violation]:
        r = ctx.request
        items = {e.id: e for e in ctx.bundle.equipment_for(ctx.unit.id or 0)}
        out = []
        for eid, qty in r.equipment.items():
            if eid not in items:
                out.append(Violation("equipment_unknown", "この施設では貸し出していない備品が含まれています。",
                                     f"equipment.{eid}"))
            elif qty < 1:
                out.append(Violation("equipment_quantity", f"{items[eid].name}の数量を確かめてください。",
                                     f"equipment.{eid}"))
        if out:
            return out
        return await equipment_shortfall(ctx.session, ctx.bundle, ctx.unit.id or 0, r.equipment, r.starts_at,
                                         r.ends_at, exclude_id=ctx.existing.id if ctx.existing else None)


class Quota(Rule):
    """Upcoming bookings per citizen per facility, and per day (LibreBooking's quotas)."""

    citizen_only = True

    async def check(self, ctx: RuleContext) -> list[Violation]:
        f, who = ctx.bundle.facility, ctx.booker.channel_user_id
        if who is None or (f.max_active_per_booker is None and f.max_per_day_per_booker is None):
            return []
        base: list[ColumnElement[bool]] = [
            col(Reservation.facility_id) == f.id, col(Reservation.channel_user_id) == who,
            col(Reservation.status).in_(HOLDING), col(Reservation.ends_at) > ctx.now]
        if ctx.existing is not None:
            base.append(col(Reservation.id) != ctx.existing.id)
        out = []
        if f.max_active_per_booker is not None:
            active = (await ctx.session.exec(select(func.count()).where(*base))).one()
            if active >= f.max_active_per_booker:
                out.append(Violation("quota", f"{f.name}のご予約は同時に{f.max_active_per_booker}件までです。", None))
        if f.max_per_day_per_booker is not None:
            same_day = (await ctx.session.exec(
                select(func.count()).where(*base, Reservation.day == ctx.request.day))).one()
            if same_day >= f.max_per_day_per_booker:
                out.append(Violation("quota_day", f"{f.name}のご予約は1日{f.max_per_day_per_booker}件までです。", "day"))
        return out


#: The chain, in the order a citizen would want to hear about problems.
RULES: tuple[Rule, ...] = (
    UnitOpenToCitizens(), WhoMayBook(), NotInThePast(), ValidTimes(), OpenThatDay(), BookingWindow(),
    ResidentTypeKnown(), People(), PurposeAllowed(), ActivityGiven(), TermsAccepted(), Quota(),
    EquipmentAvailable(),
)


async def check_all(ctx: RuleContext, rules: tuple[Rule, ...] = RULES) -> list[Violation]:
    out: list[Violation] = []
    for rule in rules:
        if rule.citizen_only and ctx.booker.is_staff:
            continue
        out.extend(await rule.check(ctx))
    return out
