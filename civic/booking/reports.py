"""Staff lists: search, daily and monthly lists, yearly counts by condition (表3 no.23–24).

CSV is UTF-8 with a BOM (Excel opens it correctly). Names and phone numbers are encrypted at rest,
so a search by them filters in memory after the database has narrowed by facility, dates and status.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.booking.ledger import equipment_of
from civic.booking.messages import WEEKDAYS, hm
from civic.booking.models import CONFIRMED, PENDING, STATUS_LABELS, Reservation
from civic.clock import tokyo
from civic.facilities.catalogue import Catalogue, load_catalogue
from civic.facilities.csvio import to_csv
from civic.facilities.models import RESIDENT_TYPE_LABELS
from civic.staff.privacy import mask_value

SOURCE_LABELS = {"liff": "LINE（予約画面）", "chat": "LINE（トーク）", "counter": "窓口", "waitlist": "キャンセル待ち"}
SCAN_LIMIT = 5000


@dataclass
class Filters:
    facility_id: int | None = None
    unit_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    statuses: Sequence[str] = ()
    #: 予約番号, LINE userId, or part of the applicant's name or phone number.
    query: str | None = None
    source: str | None = None
    #: 予約番号 only (a search by someone who may not look people up by their personal data).
    number: str | None = None
    #: Only these facilities (staff limited to some facilities, 表3 no.2); ``None``: every facility.
    facility_ids: Collection[int] | None = None


def _where(filters: Filters) -> list[ColumnElement[bool]]:
    w: list[ColumnElement[bool]] = []
    if filters.facility_id is not None:
        w.append(col(Reservation.facility_id) == filters.facility_id)
    if filters.facility_ids is not None:
        w.append(col(Reservation.facility_id).in_(sorted(filters.facility_ids)))
    if filters.unit_id is not None:
        w.append(col(Reservation.unit_id) == filters.unit_id)
    if filters.date_from is not None:
        w.append(col(Reservation.day) >= filters.date_from)
    if filters.date_to is not None:
        w.append(col(Reservation.day) <= filters.date_to)
    if filters.statuses:
        w.append(col(Reservation.status).in_(list(filters.statuses)))
    if filters.source:
        w.append(col(Reservation.source) == filters.source)
    if filters.number is not None:
        w.append(col(Reservation.number) == filters.number.strip())
    return w


async def search(session: AsyncSession, filters: Filters, *, limit: int = 100,
                 offset: int = 0) -> tuple[list[Reservation], int]:
    """Reservations matching the filters, by date and time; and how many match in all."""
    where = _where(filters)
    order = (col(Reservation.day), col(Reservation.start_minute), col(Reservation.id))
    q = (filters.query or "").strip()
    if not q:
        total = (await session.exec(select(func.count()).select_from(Reservation).where(*where))).one()
        rows = (await session.exec(select(Reservation).where(*where).order_by(*order).offset(offset).limit(limit))).all()
        return list(rows), total
    exact = (await session.exec(select(Reservation).where(
        *where, (col(Reservation.number) == q) | (col(Reservation.channel_user_id) == q)).order_by(*order))).all()
    if exact:
        return list(exact)[offset:offset + limit], len(exact)
    scanned = (await session.exec(select(Reservation).where(*where).order_by(*order).limit(SCAN_LIMIT))).all()
    needle = q.replace(" ", "").replace("　", "").replace("-", "")
    hits = [r for r in scanned
            if needle in (r.applicant_name or "").replace(" ", "").replace("　", "")
            or (needle.isdigit() and needle in (r.applicant_phone or "").replace("-", ""))]
    return hits[offset:offset + limit], len(hits)


LIST_HEADER = ["予約番号", "状態", "利用日", "曜日", "開始", "終了", "施設", "室場", "申請者", "電話番号", "利用者区分",
               "人数", "利用目的", "活動内容", "備品・附属設備", "使用料", "受付方法", "受付日時", "取消・不承認の理由"]


async def list_csv(session: AsyncSession, filters: Filters, *,
                   redact: Callable[[str | None], str | None] | None = None) -> str:
    """The daily or monthly list (当日／月間分の予約一覧) as CSV. With ``redact`` (staff who may not
    see personal data) the applicant's name and phone are masked and free text goes through it."""
    rows, _ = await search(session, filters, limit=SCAN_LIMIT)
    catalogue = await load_catalogue(session, {r.facility_id for r in rows})
    equipment = await equipment_of(session, [r.id for r in rows if r.id is not None])
    return to_csv(LIST_HEADER, (_row(r, catalogue, equipment.get(r.id or 0, {}), redact) for r in rows))


def _row(r: Reservation, catalogue: Catalogue, equipment: dict[int, int],
         redact: Callable[[str | None], str | None] | None) -> list:
    bundle = catalogue.facilities.get(r.facility_id)
    unit = bundle.unit(r.unit_id) if bundle else None
    items = {e.id: e for e in bundle.equipment} if bundle else {}
    eq = "、".join(f"{items[e].name}×{q}{items[e].unit_label}" for e, q in sorted(equipment.items()) if e in items)
    name, phone, activity, reason = r.applicant_name, r.applicant_phone, r.activity, r.cancel_reason
    purpose: str | None = r.purpose
    if redact is not None:
        name, phone = mask_value(name), mask_value(phone)
        purpose, activity, reason = redact(purpose), redact(activity), redact(reason)
    return [r.number, STATUS_LABELS.get(r.status, r.status), r.day.isoformat(), WEEKDAYS[r.day.weekday()],
            hm(r.start_minute), hm(r.end_minute), bundle.facility.name if bundle else r.facility_id,
            unit.name if unit else r.unit_id, name, phone,
            RESIDENT_TYPE_LABELS.get(r.resident_type, r.resident_type), r.people, purpose, activity, eq, r.fee,
            SOURCE_LABELS.get(r.source, r.source), tokyo(r.created_at).strftime("%Y-%m-%d %H:%M"), reason]


def fiscal_year_span(year: int) -> tuple[date, date]:
    """年度: April 1 of ``year`` to March 31 of the next year."""
    return date(year, 4, 1), date(year + 1, 3, 31)


GROUPS = ("facility", "unit", "month", "purpose", "resident_type", "source", "status", "weekday")
GROUP_LABELS = {"facility": "施設", "unit": "室場", "month": "月", "purpose": "利用目的", "resident_type": "利用者区分",
                "source": "受付方法", "status": "状態", "weekday": "曜日"}


async def counts(session: AsyncSession, fiscal_year: int, group_by: Sequence[str], filters: Filters,
                 ) -> list[tuple[tuple[str, ...], int, int, int]]:
    """(group labels, 件数, 延べ人数, 使用料合計) per group, for one fiscal year (表3 no.23)."""
    start, end = fiscal_year_span(fiscal_year)
    chosen = Filters(filters.facility_id, filters.unit_id, max(start, filters.date_from or start),
                     min(end, filters.date_to or end), filters.statuses or (CONFIRMED, PENDING), None, filters.source,
                     facility_ids=filters.facility_ids)
    rows = (await session.exec(select(Reservation).where(*_where(chosen)))).all()
    catalogue = await load_catalogue(session, {r.facility_id for r in rows})
    n: Counter = Counter()
    people: defaultdict = defaultdict(int)
    fees: defaultdict = defaultdict(int)
    for r in rows:
        key = tuple(_label(r, g, catalogue) for g in group_by)
        n[key] += 1
        people[key] += r.people
        fees[key] += r.fee
    return [(k, n[k], people[k], fees[k]) for k in sorted(n)]


def _label(r: Reservation, group: str, catalogue: Catalogue) -> str:
    bundle = catalogue.facilities.get(r.facility_id)
    if group == "facility":
        return bundle.facility.name if bundle else str(r.facility_id)
    if group == "unit":
        unit = bundle.unit(r.unit_id) if bundle else None
        return f"{bundle.facility.name} {unit.name}" if bundle and unit else str(r.unit_id)
    if group == "month":
        return f"{r.day.year}-{r.day.month:02d}"
    if group == "resident_type":
        return RESIDENT_TYPE_LABELS.get(r.resident_type, r.resident_type)
    if group == "source":
        return SOURCE_LABELS.get(r.source, r.source)
    if group == "status":
        return STATUS_LABELS.get(r.status, r.status)
    if group == "weekday":
        return f"{r.day.weekday()}{WEEKDAYS[r.day.weekday()]}"
    return r.purpose or "（未記入）"


def counts_csv(group_by: Sequence[str], table: list[tuple[tuple[str, ...], int, int, int]]) -> str:
    header = [GROUP_LABELS[g] for g in group_by] + ["件数", "延べ利用人数", "使用料合計"]
    body = [[*k, c, p, f] for k, c, p, f in table]
    total = ["合計"] + [""] * (len(group_by) - 1) + [sum(t[1] for t in table), sum(t[2] for t in table),
                                                    sum(t[3] for t in table)]
    return to_csv(header, [*body, total] if group_by else body)
