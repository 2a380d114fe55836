"""Reports: submit, find possible duplicates, change status (and tell the reporter), read back.

Every function takes the caller's session, so a report, its photo, its history and the
notification to the reporter commit together (or not at all).
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from datetime import datetime

from geopy.distance import geodesic
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.clock import TOKYO
from civic.notify import CitizenNotifier, Notice
from civic.reports.models import (
    DUPLICATE,
    OPEN_STATUSES,
    RECEIVED,
    STATUS_LABELS,
    TRANSITIONS,
    Report,
    ReportPhoto,
    ReportStatusChange,
)
from civic.reports.photos import CleanPhoto

DUPLICATE_RADIUS_M = 30.0


#: The notice a reporter gets when staff change their report's status.
STATUS_CHANGED = "report.status_changed"


class ReportError(ValueError):
    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


@dataclass(frozen=True)
class Staff:
    id: int | None
    name: str


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic distance in metres (WGS-84, geopy)."""
    return float(geodesic(a, b).meters)


async def store_draft_photo(session: AsyncSession, owner: str, photo: CleanPhoto, now: datetime) -> ReportPhoto:
    row = ReportPhoto(owner=owner, width=photo.width, height=photo.height, size=len(photo.jpeg),
                      data=base64.b64encode(photo.jpeg).decode("ascii"), created_at=now)
    session.add(row)
    await session.flush()
    return row


async def discard_draft_photo(session: AsyncSession, photo_id: int | None, owner: str) -> None:
    if photo_id is None:
        return
    row = await session.get(ReportPhoto, photo_id)
    if row is not None and row.report_id is None and row.owner == owner:
        await session.delete(row)


async def purge_draft_photos(session: AsyncSession, older_than: datetime) -> int:
    """Drafts of reports never submitted (the citizen left or the flow timed out)."""
    rows = (await session.exec(select(ReportPhoto).where(
        col(ReportPhoto.report_id).is_(None), col(ReportPhoto.created_at) < older_than))).all()
    for row in rows:
        await session.delete(row)
    return len(rows)


def photo_bytes(row: ReportPhoto) -> bytes:
    return base64.b64decode(row.data)


async def submit_report(
    session: AsyncSession, *, category: str, description: str, latitude: float, longitude: float,
    address: str = "", location_source: str = "line", channel: str = "production",
    reporter: str | None = None, citizen_id: int | None = None, photo_id: int | None = None, now: datetime,
) -> Report:
    report = Report(category=category, description=description.strip()[:1000], latitude=latitude,
                    longitude=longitude, address=address[:200], location_source=location_source,
                    channel=channel, reporter=reporter, citizen_id=citizen_id, created_at=now, updated_at=now)
    session.add(report)
    await session.flush()
    assert report.id is not None
    report.receipt_no = f"{now.astimezone(TOKYO).year}-{report.id:05d}"
    if photo_id is not None:
        photo = await session.get(ReportPhoto, photo_id)
        if photo is not None and photo.report_id is None and (reporter is None or photo.owner == reporter):
            photo.report_id = report.id
            report.has_photo = True
            session.add(photo)
    session.add(report)
    session.add(ReportStatusChange(report_id=report.id, from_status=None, to_status=RECEIVED,
                                   note="LINE から受付", at=now))
    return report


async def possible_duplicates(session: AsyncSession, report: Report, radius_m: float = DUPLICATE_RADIUS_M) -> list[Report]:
    """Open reports of the same category within ``radius_m`` of this one, nearest first."""
    dlat = radius_m / 111_320.0 * 1.5
    dlon = dlat / max(0.01, math.cos(math.radians(report.latitude)))
    rows = (await session.exec(select(Report).where(
        Report.category == report.category, col(Report.status).in_(OPEN_STATUSES), Report.id != report.id,
        col(Report.latitude).between(report.latitude - dlat, report.latitude + dlat),
        col(Report.longitude).between(report.longitude - dlon, report.longitude + dlon),
    ))).all()
    near = [(distance_m((report.latitude, report.longitude), (r.latitude, r.longitude)), r) for r in rows]
    return [r for d, r in sorted(near, key=lambda p: (p[0], p[1].id or 0)) if d <= radius_m]


def status_message(report: Report, to_status: str, note: str, town: str = "") -> str:
    head = f"【{town}】" if town else ""
    lines = [f"{head}受付番号 {report.receipt_no} の通報の状況が「{STATUS_LABELS[to_status]}」になりました。"]
    if to_status == DUPLICATE:
        lines.append("同じ場所の通報をすでにお受けしており、あわせて対応いたします。")
    if note.strip():
        lines.append(f"担当者より：{note.strip()}")
    lines.append("ご協力ありがとうございます。")
    return "\n".join(lines)


async def change_status(
    session: AsyncSession, report_id: int, to_status: str, *, note: str = "", staff: Staff,
    now: datetime, notifier: CitizenNotifier | None = None, duplicate_of: int | None = None, town: str = "",
) -> tuple[Report, ReportStatusChange]:
    report = await session.get(Report, report_id, with_for_update=True)
    if report is None:
        raise ReportError("not_found", f"通報 {report_id} は見つかりません。", "id")
    if to_status not in TRANSITIONS:
        raise ReportError("invalid_status", f"状態 {to_status} はありません。", "status")
    if to_status not in TRANSITIONS[report.status]:
        raise ReportError("invalid_transition",
                          f"「{STATUS_LABELS[report.status]}」から「{STATUS_LABELS[to_status]}」には変更できません。",
                          "status")
    if to_status == DUPLICATE:
        if duplicate_of is None or duplicate_of == report.id or await session.get(Report, duplicate_of) is None:
            raise ReportError("duplicate_of_required", "重複とする場合は、元の通報の番号（duplicate_of）を指定してください。",
                              "duplicate_of")
        report.duplicate_of = duplicate_of
    change = ReportStatusChange(report_id=report_id, from_status=report.status, to_status=to_status,
                                note=note.strip()[:1000], staff_id=staff.id, staff_name=staff.name, at=now)
    report.status = to_status
    report.updated_at = now
    session.add(report)
    if notifier is not None and report.reporter:
        await notifier.notify(session, Notice(report.reporter, STATUS_CHANGED,
                                              status_message(report, to_status, note, town), channel=report.channel))
        change.notified = True
    session.add(change)
    await session.flush()
    return report, change


async def history(session: AsyncSession, report_id: int) -> list[ReportStatusChange]:
    return list((await session.exec(select(ReportStatusChange).where(ReportStatusChange.report_id == report_id)
                                    .order_by(col(ReportStatusChange.at), col(ReportStatusChange.id)))).all())


async def photo_of(session: AsyncSession, report_id: int) -> ReportPhoto | None:
    return (await session.exec(select(ReportPhoto).where(ReportPhoto.report_id == report_id)
                               .order_by(col(ReportPhoto.id)))).first()


async def approve_publication(session: AsyncSession, report_id: int, *, text: str, staff: Staff,
                              now: datetime) -> Report:
    """A staff member approves ``text`` (the description, personal data removed) for publication."""
    report = await session.get(Report, report_id, with_for_update=True)
    if report is None:
        raise ReportError("not_found", f"通報 {report_id} は見つかりません。", "id")
    if not text.strip():
        raise ReportError("invalid", "公開する説明文を入力してください（公開しない場合は承認を取り消してください）。",
                          "description")
    report.public_description = text.strip()[:1000]
    report.public_approved_by, report.public_approved_at = staff.name[:100], now
    session.add(report)
    return report


async def withdraw_publication(session: AsyncSession, report_id: int) -> Report:
    report = await session.get(Report, report_id, with_for_update=True)
    if report is None:
        raise ReportError("not_found", f"通報 {report_id} は見つかりません。", "id")
    report.public_description = report.public_approved_by = report.public_approved_at = None
    session.add(report)
    return report
