"""Staff API for road-damage reports: list and filter, GeoJSON for a map, detail with photo and
possible duplicates, status changes (受付 → 対応中 → 完了, 対応不可 / 重複) with a note, each
pushed to the reporter in LINE.

Permissions: ``reports.read`` (read), ``reports.manage`` (status changes), ``reports.publish`` (approve
the description published through Open311). Without ``personal.view``
what the reporter wrote and the staff notes are shown with names, phone numbers and such masked.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from aiohttp import web
from pydantic import BaseModel, Field
from sqlmodel import col, select

from admin_api import report_template_views
from admin_api.downloads import csv_response
from admin_api.errors import ApiError
from admin_api.fields import Offset
from admin_api.routing import ApiRouter, Call, JapanDateTime
from civic.clock import tokyo
from civic.reports.models import STATUS_LABELS, STATUSES, Report
from civic.reports.services import (
    ReportError,
    Staff,
    approve_publication,
    change_status,
    history,
    photo_bytes,
    photo_of,
    possible_duplicates,
    withdraw_publication,
)
from civic.rows import pk
from civic.staff.privacy import Redactor
from civic.stats.csvfile import csv_text

Status = Literal["received", "in_progress", "done", "rejected", "duplicate"]


def photo_url(call: Call, report_id: int) -> str:
    path = call.ctx.reports.photo_path
    return path(report_id) if path else f"/admin/api/v1/reports/{report_id}/photo"


def public_text(call: Call, text: str | None) -> str | None:
    """``text`` with personal data removed, as proposed for publication (the service's redactor finds names too)."""
    return (call.ctx.reports.redact or Redactor())(text)


class MapQuery(BaseModel):
    status: Status | None = Field(default=None, description="状態で絞り込み")
    category: str | None = Field(default=None, max_length=32, description="種類（コード）で絞り込み")
    since: JapanDateTime | None = Field(default=None, description="この日時以降に受け付けたもの（時差の記載がなければ日本時間）")
    until: JapanDateTime | None = Field(default=None, description="この日時より前に受け付けたもの（時差の記載がなければ日本時間）")
    open_only: bool = Field(default=False, description="受付・対応中のみ")
    area: str | None = Field(default=None, max_length=80, description="住所にこの文字を含むもの（地区名など）")
    department: str | None = Field(default=None, max_length=80, description="担当課で絞り込み（空文字は未割り当て）")


class ReportQuery(MapQuery):
    limit: int = Field(default=50, ge=1, le=500)
    offset: Offset = 0


class ReportSummary(BaseModel):
    id: int
    receipt_no: str
    category: str
    category_label: str
    status: Status
    status_label: str
    description: str
    address: str
    latitude: float
    longitude: float
    has_photo: bool
    department: str = Field(description="担当課（空文字は未割り当て）")
    created_at: datetime
    updated_at: datetime


class ReportPage(BaseModel):
    total: int
    items: list[ReportSummary]


class StatusChangeOut(BaseModel):
    from_status: str | None
    to_status: str
    to_label: str
    note: str
    staff_name: str
    notified: bool
    at: datetime


class ReportDetail(ReportSummary):
    location_source: str
    channel: str
    duplicate_of: int | None
    photo_url: str | None
    history: list[StatusChangeOut]
    possible_duplicates: list[ReportSummary]
    public_description: str | None = Field(description="公開（Open311）が承認された説明文。null は未承認")
    public_approved_by: str | None
    public_approved_at: datetime | None
    suggested_public_description: str = Field(description="氏名・電話番号・メールアドレスなどを伏せた説明文（承認の下書き）")


class PublicationIn(BaseModel):
    description: str | None = Field(default=None, max_length=1000, description=(
        "公開する説明文。省略すると、氏名・電話番号・メールアドレスなどを伏せた説明文を公開します"))


class StatusChangeIn(BaseModel):
    status: Status = Field(description="新しい状態")
    note: str = Field(default="", max_length=1000, description="通報者へのお知らせにも載る一言")
    duplicate_of: int | None = Field(default=None, ge=1, description="重複とする場合の元の通報 ID")


class AssignmentIn(BaseModel):
    department: str = Field(max_length=80, description="担当課の名前。空文字で割り当てを外します")


class MapSettingsOut(BaseModel):
    tile_url: str = Field(description="背景地図のタイル（{z}/{x}/{y}）。既定は地理院タイル（MAP_TILE_URL で変更）")
    attribution: str
    attribution_url: str
    max_zoom: int
    center_latitude: float | None = Field(description="町の中心（通報がないときの地図の中心）")
    center_longitude: float | None


class CategoryOut(BaseModel):
    code: str
    label: str


router = ApiRouter("reports")
router.include(report_template_views.router)  # 回答テンプレート (issue #16)



def summary(r: Report, call: Call) -> ReportSummary:
    assert r.id is not None
    return ReportSummary(
        id=r.id, receipt_no=r.receipt_no or "", category=r.category, category_label=call.ctx.reports.categories.get(r.category, r.category),
        status=r.status, status_label=STATUS_LABELS.get(r.status, r.status),
        description=call.redact(r.description) or "",
        address=r.address, latitude=r.latitude, longitude=r.longitude, has_photo=r.has_photo,
        department=r.department, created_at=r.created_at, updated_at=r.updated_at)


def filtered(query: Any, q: MapQuery) -> Any:
    if q.status:
        query = query.where(Report.status == q.status)
    if q.category:
        query = query.where(Report.category == q.category)
    if q.open_only:
        query = query.where(col(Report.status).in_(("received", "in_progress")))
    if q.since:
        query = query.where(col(Report.created_at) >= q.since)
    if q.until:
        query = query.where(col(Report.created_at) < q.until)
    if q.area:
        query = query.where(col(Report.address).contains(q.area.strip(), autoescape=True))
    if q.department is not None:
        query = query.where(Report.department == q.department.strip())
    return query


def checked_range(q: MapQuery) -> None:
    if q.since and q.until and q.since >= q.until:
        raise ApiError(422, "invalid_range", "since は until より前の日時にしてください。", "since")


async def detail(session: Any, report: Report, call: Call) -> ReportDetail:
    steps = await history(session, pk(report))
    dupes = await possible_duplicates(session, report) if report.status in ("received", "in_progress") else []
    return ReportDetail(
        **summary(report, call).model_dump(), location_source=report.location_source, channel=report.channel,
        duplicate_of=report.duplicate_of, photo_url=photo_url(call, pk(report)) if report.has_photo else None,
        history=[StatusChangeOut(from_status=h.from_status, to_status=h.to_status,
                                 to_label=STATUS_LABELS.get(h.to_status, h.to_status), note=call.redact(h.note) or "",
                                 staff_name=h.staff_name, notified=h.notified, at=h.at) for h in steps],
        possible_duplicates=[summary(d, call) for d in dupes], public_description=report.public_description,
        public_approved_by=report.public_approved_by, public_approved_at=report.public_approved_at,
        suggested_public_description=public_text(call, report.description) or "")


async def load(session: Any, report_id: int) -> Report:
    report = await session.get(Report, report_id)
    if report is None:
        raise ApiError(404, "not_found", f"通報 {report_id} は見つかりません。", "id")
    return report


@router.route("GET", "/reports/categories", summary="通報の種類の一覧", permission="reports.read",
              response=list[CategoryOut])
async def list_report_categories(call: Call) -> list[CategoryOut]:
    return [CategoryOut(code=k, label=v) for k, v in call.ctx.reports.categories.items()]


@router.route("GET", "/reports/map", summary="通報の地図の設定（背景地図のタイルと町の中心）", permission="reports.read",
              response=MapSettingsOut)
async def report_map_settings(call: Call) -> MapSettingsOut:
    tiles, center = call.ctx.reports.tiles, call.ctx.reports.center
    return MapSettingsOut(
        tile_url=tiles.url if tiles else "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png",
        attribution=tiles.attribution if tiles else "出典：国土地理院（地理院タイル）",
        attribution_url=tiles.attribution_url if tiles else "https://maps.gsi.go.jp/development/ichiran.html",
        max_zoom=tiles.max_zoom if tiles else 18,
        center_latitude=center[0] if center else None, center_longitude=center[1] if center else None)


@router.route("GET", "/reports", personal="reports", summary="通報の一覧（絞り込み・新しい順）", permission="reports.read",
              query=ReportQuery, response=ReportPage)
async def list_reports(call: Call) -> ReportPage:
    q: ReportQuery = call.query
    checked_range(q)
    database = call.ctx.db
    async with database.read() as s:
        total = (await s.exec(filtered(select(sa.func.count()).select_from(Report), q))).one()
        rows = (await s.exec(filtered(select(Report), q).order_by(col(Report.created_at).desc(), col(Report.id).desc())
                             .limit(q.limit).offset(q.offset))).all()
    return ReportPage(total=int(total), items=[summary(r, call) for r in rows])


@router.route("GET", "/reports/geojson", summary="地図表示用の GeoJSON（FeatureCollection）",
              permission="reports.read", query=MapQuery, response=dict)
async def reports_geojson(call: Call) -> web.Response:
    checked_range(call.query)
    database = call.ctx.db
    async with database.read() as s:
        rows = (await s.exec(filtered(select(Report), call.query).order_by(col(Report.id)).limit(5000))).all()
    features = [{
        "type": "Feature", "id": r.id,
        "geometry": {"type": "Point", "coordinates": [r.longitude, r.latitude]},
        "properties": {"receipt_no": r.receipt_no, "category": r.category,
                       "category_label": call.ctx.reports.categories.get(r.category, r.category), "status": r.status,
                       "status_label": STATUS_LABELS.get(r.status, r.status), "created_at": tokyo(r.created_at).isoformat(),
                       "has_photo": r.has_photo, "department": r.department},
    } for r in rows]
    body = {"type": "FeatureCollection", "features": features}
    return web.Response(text=json.dumps(body, ensure_ascii=False), content_type="application/geo+json")


@router.route("GET", r"/reports/{id:\d+}", personal="reports", summary="通報の詳細（履歴・重複の可能性）", permission="reports.read",
              response=ReportDetail)
async def get_report(call: Call) -> ReportDetail:
    database = call.ctx.db
    async with database.read() as s:
        return await detail(s, await load(s, call.path_int("id")), call)


@router.route("GET", r"/reports/{id:\d+}/photo", personal="report_photo", personal_always=True, summary="通報の写真（JPEG、位置情報などのメタデータは削除済み）",
              permission="reports.read", response=bytes, produces="image/jpeg")
async def get_report_photo(call: Call) -> web.Response:
    database = call.ctx.db
    async with database.read() as s:
        report = await load(s, call.path_int("id"))
        row = await photo_of(s, pk(report))
    if row is None:
        raise ApiError(404, "not_found", "この通報には写真がありません。", "id")
    return web.Response(body=photo_bytes(row), content_type=row.content_type,
                        headers={"Cache-Control": "private, no-store"})


@router.route("POST", r"/reports/{id:\d+}/status", summary="状態の変更（通報者に LINE でお知らせ）",
              permission="reports.manage", body=StatusChangeIn, response=ReportDetail)
async def change_report_status(call: Call) -> ReportDetail:
    body: StatusChangeIn = call.body
    principal = call.principal
    staff = Staff(principal.staff_id if principal else None, principal.display_name if principal else "")
    database = call.ctx.db
    try:
        async with database.write() as s:
            report, _ = await change_status(s, call.path_int("id"), body.status, note=body.note, staff=staff,
                                            now=call.ctx.clock.now(), notifier=call.ctx.reports.notifier,
                                            duplicate_of=body.duplicate_of, town=call.ctx.reports.town)
            out = await detail(s, report, call)
            await call.audit(s, "reports.status", f"report:{report.id}", after=body)
    except ReportError as exc:
        raise ApiError(404 if exc.code == "not_found" else 422, exc.code, exc.message, exc.field) from None
    return out


@router.route("PUT", r"/reports/{id:\d+}/publication", summary="説明文の公開を承認（Open311）",
              permission="reports.publish", body=PublicationIn, response=ReportDetail,
              description="承認した説明文だけが Open311 の requests.json に載ります（OPEN311_DESCRIPTIONS=approved）。"
                          "説明文を省略すると、氏名・電話番号・メールアドレスなどを伏せたものを承認します。")
async def approve_report_publication(call: Call) -> ReportDetail:
    staff = Staff(call.principal.staff_id if call.principal else None,
                  call.principal.display_name if call.principal else "")
    database = call.ctx.db
    try:
        async with database.write() as s:
            report = await load(s, call.path_int("id"))
            before = {"public_description": report.public_description}
            text = call.body.description if call.body.description is not None else public_text(call, report.description)
            report = await approve_publication(s, pk(report), text=text or "", staff=staff,
                                               now=call.ctx.clock.now())
            await call.audit(s, "reports.publish", f"report:{report.id}", before=before,
                             after={"public_description": report.public_description})
            return await detail(s, report, call)
    except ReportError as exc:
        raise ApiError(404 if exc.code == "not_found" else 422, exc.code, exc.message, exc.field) from None


@router.route("DELETE", r"/reports/{id:\d+}/publication", summary="説明文の公開の承認を取り消す（Open311）",
              permission="reports.publish", response=ReportDetail)
async def withdraw_report_publication(call: Call) -> ReportDetail:
    database = call.ctx.db
    async with database.write() as s:
        report = await load(s, call.path_int("id"))
        before = {"public_description": report.public_description}
        report = await withdraw_publication(s, pk(report))
        await call.audit(s, "reports.unpublish", f"report:{report.id}", before=before,
                         after={"public_description": None})
        return await detail(s, report, call)



CSV_COLUMNS = ["受付番号", "受付日時", "種類", "状態", "担当課", "住所", "緯度", "経度", "写真", "説明", "最終更新"]


@router.route("GET", "/reports.csv", personal="reports", summary="通報の一覧（CSV、絞り込みは一覧と同じ）",
              permission="reports.read", query=MapQuery, response=str, produces="text/csv")
async def reports_csv(call: Call) -> web.Response:
    checked_range(call.query)
    async with call.ctx.db.read() as s:
        rows = (await s.exec(filtered(select(Report), call.query).order_by(col(Report.id)).limit(20000))).all()
    out = [summary(r, call) for r in rows]
    text = csv_text(CSV_COLUMNS, ([o.receipt_no, f"{tokyo(o.created_at):%Y-%m-%d %H:%M}", o.category_label, o.status_label,
                                   o.department, o.address, f"{o.latitude:.6f}", f"{o.longitude:.6f}",
                                   "あり" if o.has_photo else "なし", o.description, f"{tokyo(o.updated_at):%Y-%m-%d %H:%M}"]
                                  for o in out))
    return csv_response(f"reports-{tokyo(call.ctx.clock.now()):%Y%m%d-%H%M}.csv", text.encode("utf-8"))


@router.route("PUT", r"/reports/{id:\d+}/department", summary="担当課の割り当て（空文字で外す）",
              permission="reports.manage", body=AssignmentIn, response=ReportDetail)
async def assign_report_department(call: Call) -> ReportDetail:
    department = call.body.department.strip()
    async with call.ctx.db.write() as s:
        report = await load(s, call.path_int("id"))
        before = {"department": report.department}
        report.department = department
        report.updated_at = call.ctx.clock.now()
        s.add(report)
        await s.flush()
        await call.audit(s, "reports.assign", f"report:{report.id}", before=before, after={"department": department})
        return await detail(s, report, call)


__all__ = ["STATUSES", "router"]
