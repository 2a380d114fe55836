"""Request and response models of the facility and booking staff API (one place, one OpenAPI)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from admin_api.fields import DisplayOrder, Offset
from civic.facilities.models import UNIT_KINDS
from civic.urls import https_url

TIME = r"^(翌)?\d{1,2}:\d{2}$"
RANGE = r"^(翌)?\d{1,2}:\d{2}\s*[-〜～]\s*(翌)?\d{1,2}:\d{2}$"
DayType = Literal["weekday", "saturday", "sunday", "holiday"]
ResidentType = Literal["resident", "student", "worker", "outside"]
STRICT = ConfigDict(extra="forbid")
#: A thumbnail or guide page shown to citizens: https only (no javascript:, data:, http:).
HttpsUrl = Annotated[str, Field(max_length=500, description="https:// で始まる URL"), AfterValidator(https_url)]


def hm(minute: int) -> str:
    return f"翌{(minute - 1440) // 60}:{minute % 60:02d}" if minute > 1440 else f"{minute // 60}:{minute % 60:02d}"


def span(start: int, end: int) -> str:
    return f"{hm(start)}-{hm(end)}"


def patch_of(model: type[BaseModel], name: str) -> type[BaseModel]:
    """The same fields, all optional: a PATCH body (only the fields sent are changed)."""
    fields: dict[str, Any] = {}
    for k, f in model.model_fields.items():
        annotation: Any = f.annotation  # a model field's type (pydantic types it ``type[Any] | None``)
        kind = Annotated[annotation | None, *f.metadata] if f.metadata else annotation | None
        fields[k] = (kind, Field(default=None, description=f.description))
    return create_model(name, __config__=STRICT, **fields)


# ---- facilities ------------------------------------------------------------------------------

class FacilityIn(BaseModel):
    model_config = STRICT
    code: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$",
                      description="半角英小文字・数字・-_（CSV や設定ファイルで使う施設コード）")
    name: str = Field(min_length=1, max_length=100)
    kana: str = Field(default="", max_length=200)
    category: str = Field(min_length=1, max_length=40)
    address: str = Field(default="", max_length=200)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    phone: str = Field(default="", max_length=40)
    description: str = Field(default="", max_length=4000)
    thumbnail_url: HttpsUrl | None = None
    guide_url: HttpsUrl | None = None
    display_order: DisplayOrder = 0
    visibility: Literal["public", "private"] = "public"
    terms: str = Field(default="", max_length=8000)
    weekly_closed_days: list[int] = Field(default_factory=list, description="0=月 … 6=日")
    closed_day_moves_after_holiday: bool = True
    closed_on_holidays: bool = False
    closed_year_end: bool = True
    booking_opens_months: int = Field(default=2, ge=0, le=24)
    booking_opens_on_first: bool = False
    booking_opens_at: str = Field(default="9:00", pattern=TIME)
    booking_closes_hours: int = Field(default=24, ge=0, le=24 * 60)
    change_deadline_hours: int = Field(default=72, ge=0, le=24 * 365)
    cancel_deadline_hours: int = Field(default=72, ge=0, le=24 * 365)
    citizen_can_change: bool = True
    citizen_can_cancel: bool = True
    max_active_per_booker: int | None = Field(default=4, ge=1)
    max_per_day_per_booker: int | None = Field(default=1, ge=1)
    waitlist_enabled: bool = True
    offer_hours: int = Field(default=24, ge=1, le=24 * 14)
    reminder_enabled: bool = True


FacilityPatch = patch_of(FacilityIn, "FacilityPatch")


class FacilityKindOut(BaseModel):
    code: str = Field(description="施設の分類（施設の category）")
    label: str = Field(description="職員・住民向けの呼び方（町の town.yml、なければ code のまま）")
    facilities: int = Field(description="この分類の施設の数（見られる施設のうち）")


class FacilityOut(FacilityIn):
    model_config = ConfigDict(extra="ignore")
    thumbnail_url: str | None = None  # as stored: an output is never refused
    guide_url: str | None = None
    id: int
    updated_at: datetime


class AreaIn(BaseModel):
    model_config = STRICT
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=100)


AreaPatch = patch_of(AreaIn, "AreaPatch")


class AreaOut(AreaIn):
    id: int
    facility_id: int
    own_unit_id: int | None = Field(default=None, description=(
        "共有エリアを指定しなかった室場のために自動で作ったエリアなら、その室場の ID（ほかの室場とは共有していない）"))


def unit_kind(value: str) -> str:
    if value not in UNIT_KINDS:
        raise ValueError(f"種類は {'・'.join(UNIT_KINDS)} のいずれかです（{value}）")
    return value


class UnitIn(BaseModel):
    model_config = STRICT
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=100)
    kind: Annotated[str, AfterValidator(unit_kind)] = Field(
        default="room", json_schema_extra={"enum": list(UNIT_KINDS)},
        description="種類: " + "、".join(f"{k}＝{v}" for k, v in UNIT_KINDS.items()))
    description: str = Field(default="", max_length=4000)
    capacity: int | None = Field(default=None, ge=1)
    min_people: int = Field(default=1, ge=1)
    visibility: Literal["public", "availability", "private"] = "public"
    booking_mode: Literal["frames", "free"] = "frames"
    slot_minutes: int = Field(default=60, ge=15, le=24 * 60)
    min_minutes: int | None = Field(default=None, ge=15)
    max_minutes: int | None = Field(default=None, ge=15)
    approval_required: bool = False
    allowed_attributes: list[str] = Field(default_factory=list)
    activity_required: bool = False
    display_order: DisplayOrder = 0
    area_ids: list[int] = Field(default_factory=list,
                                description="共有する物理エリア。空なら室場専用のエリアを自動で作ります")


UnitPatch = patch_of(UnitIn, "UnitPatch")


class UnitOut(UnitIn):
    kind: str = "room"  # as stored: an output is never refused
    id: int
    facility_id: int


class HoursIn(BaseModel):
    model_config = STRICT
    weekday: str | None = Field(default=None, pattern=RANGE)
    saturday: str | None = Field(default=None, pattern=RANGE)
    sunday: str | None = Field(default=None, pattern=RANGE)
    holiday: str | None = Field(default=None, pattern=RANGE)


class FrameIn(BaseModel):
    model_config = STRICT
    time: str = Field(pattern=RANGE, description="例 9:00-12:00、日をまたぐ枠は 14:00-翌10:00")
    label: str = Field(default="", max_length=40)
    unit_id: int | None = None
    day_types: list[DayType] = Field(default_factory=list)


FramePatch = patch_of(FrameIn, "FramePatch")


class FrameOut(FrameIn):
    id: int
    facility_id: int


class FeeRuleIn(BaseModel):
    model_config = STRICT
    resident_type: ResidentType | None = None
    day_types: list[DayType] = Field(default_factory=list)
    time: str = Field(default="0:00-24:00", pattern=RANGE)
    per_hour: int = Field(default=0, ge=0)
    flat: int = Field(default=0, ge=0)
    label: str = Field(default="", max_length=40)


FeeRulePatch = patch_of(FeeRuleIn, "FeeRulePatch")


class FeeRuleOut(FeeRuleIn):
    id: int
    unit_id: int


class EquipmentIn(BaseModel):
    model_config = STRICT
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["equipment", "attached"] = "equipment"
    unit_id: int | None = None
    quantity: int = Field(default=1, ge=0)
    unit_label: str = Field(default="個", min_length=1, max_length=10)
    fee: int = Field(default=0, ge=0)
    fee_per: Literal["use", "hour"] = "use"
    display_order: DisplayOrder = 0
    active: bool = True


EquipmentPatch = patch_of(EquipmentIn, "EquipmentPatch")


class EquipmentOut(EquipmentIn):
    id: int
    facility_id: int


class PurposeIn(BaseModel):
    model_config = STRICT
    name: str = Field(min_length=1, max_length=60)
    unit_id: int | None = None
    display_order: DisplayOrder = 0


PurposePatch = patch_of(PurposeIn, "PurposePatch")


class PurposeOut(PurposeIn):
    id: int
    facility_id: int


class FacilityDetail(BaseModel):
    facility: FacilityOut
    areas: list[AreaOut]
    units: list[UnitOut]
    hours: HoursIn
    frames: list[FrameOut]
    fees: list[FeeRuleOut]
    equipment: list[EquipmentOut]
    purposes: list[PurposeOut]


class CalendarDayIn(BaseModel):
    model_config = STRICT
    facility_id: int | None = Field(default=None, description="空なら町全体（祝日の追加のみ）")
    unit_id: int | None = None
    day: date
    kind: Literal["holiday", "closed", "blocked", "open"]
    time: str | None = Field(default=None, pattern=RANGE, description="空なら終日")
    reason: str = Field(default="", max_length=200)


class CalendarDayOut(CalendarDayIn):
    id: int


class CalendarQuery(BaseModel):
    model_config = STRICT
    facility_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


class CalendarImportOut(BaseModel):
    created: int
    skipped: int


class HolidayQuery(BaseModel):
    model_config = STRICT
    year: int = Field(ge=2000, le=2100)


class HolidayOut(BaseModel):
    day: date
    name: str
    source: Literal["national", "town"]


# ---- bookings --------------------------------------------------------------------------------

class BookingQuery(BaseModel):
    model_config = STRICT
    facility_id: int | None = None
    unit_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    status: str | None = Field(default=None, description="カンマ区切り（pending,confirmed,offered,cancelled,rejected,expired）")
    q: str | None = Field(default=None, max_length=100, description=(
        "予約番号・LINEユーザーID・申請者名・電話番号（個人情報の閲覧権限 personal.view がなければ予約番号のみ）"))
    source: Literal["liff", "chat", "counter", "waitlist"] | None = None
    limit: int = Field(default=100, ge=1, le=500)
    offset: Offset = 0


class FeeLineOut(BaseModel):
    label: str
    amount: int


class ReservedItemOut(BaseModel):
    equipment_id: int
    name: str
    quantity: int
    unit_label: str
    fee: int


class ReservationOut(BaseModel):
    id: int
    number: str
    status: str
    status_label: str
    facility_id: int
    facility_name: str
    unit_id: int
    unit_name: str
    day: date
    time: str
    start_minute: int
    end_minute: int
    channel_user_id: str | None
    applicant_name: str | None
    applicant_phone: str | None
    resident_type: str
    people: int
    purpose: str
    activity: str | None
    fee: int
    fee_breakdown: list[FeeLineOut]
    equipment: list[ReservedItemOut]
    source: str
    staff_id: int | None
    staff_note: str | None
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None
    cancelled_by: str | None
    cancel_reason: str | None
    offer_expires_at: datetime | None


class ReservationPage(BaseModel):
    total: int
    items: list[ReservationOut]


class EquipmentWanted(BaseModel):
    model_config = STRICT
    equipment_id: int
    quantity: int = Field(ge=1)


class ProxyBookingIn(BaseModel):
    """窓口受付: staff book on someone's behalf (the booking window, blocked periods and quotas do not apply)."""

    model_config = STRICT
    unit_id: int
    day: date
    time: str = Field(pattern=RANGE, description="例 9:00-12:00")
    people: int = Field(ge=1)
    purpose: str = Field(default="", max_length=60)
    activity: str | None = Field(default=None, max_length=1000)
    equipment: list[EquipmentWanted] = Field(default_factory=list)
    resident_type: ResidentType = "resident"
    applicant_name: str = Field(min_length=1, max_length=100)
    applicant_phone: str | None = Field(default=None, max_length=40)
    channel_user_id: str | None = Field(default=None, max_length=64, description="LINEで通知する場合の利用者ID")
    staff_note: str | None = Field(default=None, max_length=1000)


class ChangeIn(BaseModel):
    """Only the fields sent change; ``reason`` is required and sent to the citizen."""

    model_config = STRICT
    unit_id: int | None = None
    day: date | None = None
    time: str | None = Field(default=None, pattern=RANGE)
    people: int | None = Field(default=None, ge=1)
    purpose: str | None = Field(default=None, max_length=60)
    activity: str | None = Field(default=None, max_length=1000)
    equipment: list[EquipmentWanted] | None = None
    resident_type: ResidentType | None = None
    staff_note: str | None = Field(default=None, max_length=1000)
    reason: str = Field(min_length=1, max_length=500)


class ReasonIn(BaseModel):
    model_config = STRICT
    reason: str = Field(min_length=1, max_length=500)


class QuoteOut(BaseModel):
    fee: int
    lines: list[FeeLineOut]
    problems: list[str]


class MonthQuery(BaseModel):
    model_config = STRICT
    unit_id: int
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")


class DayMarkOut(BaseModel):
    day: date
    mark: str
    state: str
    free: int
    total: int
    bookable_online: bool
    note: str


class DayQuery(BaseModel):
    model_config = STRICT
    unit_id: int
    day: date


class SlotOut(BaseModel):
    unit_id: int
    unit_name: str
    day: date
    time: str
    start_minute: int
    end_minute: int
    label: str
    status: str


class ListQuery(BaseModel):
    model_config = STRICT
    day: date | None = Field(default=None, description="当日分（YYYY-MM-DD）")
    month: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}$", description="月間分（YYYY-MM）")
    facility_id: int | None = None
    status: str | None = None


class CountsQuery(BaseModel):
    model_config = STRICT
    fiscal_year: int = Field(ge=2000, le=2100, description="年度（4月〜翌3月）")
    group_by: str = Field(default="facility", description="facility,unit,month,purpose,resident_type,source,status,weekday をカンマ区切りで2つまで")
    facility_id: int | None = None
    status: str | None = None
    source: Literal["liff", "chat", "counter", "waitlist"] | None = None


class WaitlistQuery(BaseModel):
    model_config = STRICT
    facility_id: int | None = None
    status: str | None = Field(default="waiting")


class WaitlistOut(BaseModel):
    id: int
    facility_id: int
    unit_id: int
    day: date
    time: str
    channel_user_id: str
    applicant_name: str | None
    people: int
    status: str
    reservation_id: int | None
    created_at: datetime


class BookerIn(BaseModel):
    model_config = STRICT
    channel_user_id: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    group_name: str | None = Field(default=None, max_length=100)
    resident_type: ResidentType | None = None
    attributes: list[str] = Field(default_factory=list, description="職員が確認した属性（例 registered_group）")
    note: str | None = Field(default=None, max_length=1000)


BookerPatch = patch_of(BookerIn, "BookerPatch")


class BookerOut(BookerIn):
    id: int
    created_at: datetime
    updated_at: datetime


class BookerQuery(BaseModel):
    model_config = STRICT
    q: str | None = Field(default=None, max_length=100, description=(
        "LINEユーザーID・氏名・電話番号・団体名（personal.view がなければ一覧に表示される仮名のみ）"))
    limit: int = Field(default=100, ge=1, le=500)
