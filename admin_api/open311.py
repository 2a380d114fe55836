"""Open311 GeoReport v2 (JSON), so a town's existing tools can read (and file) reports.

Mount ``create_open311_app(...)`` at ``/open311/v2``:

* ``GET  /services.json`` — our report categories as services;
* ``GET  /requests.json`` — filters ``service_request_id`` (comma-separated), ``service_code``,
  ``status`` (open / closed), ``start_date`` / ``end_date`` (ISO 8601); newest first, ≤ 1000;
* ``GET  /requests/{id}.json`` — one request (in a list, as the spec says);
* ``POST /requests.json`` — file a request (form-encoded or JSON; needs an ``api_key``).

Our richer states map to Open311's two at the edge (as FixMyStreet does): 受付 / 対応中 → open;
完了 / 対応不可 / 重複 → closed, with the latest staff note as ``status_notes``.

What citizens wrote often holds a phone number, an address or a name, and a report's location may
be someone's home, so reading is governed by the town (``Open311Policy``, from ``OPEN311_*``
settings): requests are not published at all unless the town turns it on; reading needs an
``api_key`` unless the town makes it public; a description is published only as a staff member
approved it (``PUT /admin/api/v1/reports/{id}/publication``), or — if the town chooses — with names,
phone numbers and e-mail addresses removed; categories the town marks private get coordinates
rounded to about 100 m and no address. The reporter's identity is never published; photos only when
the town says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlmodel import col, select

from admin_api.keys import OPEN311
from civic.clock import Clock, tokyo, utc
from civic.database import Database
from civic.inputs import loads_json
from civic.reports.models import OPEN_STATUSES, Report, ReportStatusChange
from civic.reports.services import submit_report
from civic.staff.privacy import Redactor

APPROVED, REDACTED = "approved", "redacted"
#: Decimal places kept of a private category's coordinates (3: about 100 m).
PRIVATE_PLACES = 3


@dataclass(frozen=True)
class Open311Policy:
    """What the town publishes (``.env``: OPEN311_PUBLISH, OPEN311_READ, OPEN311_DESCRIPTIONS,
    OPEN311_PRIVATE_CATEGORIES). The defaults publish nothing."""

    publish: bool = False
    public_read: bool = False
    descriptions: str = APPROVED
    private_categories: frozenset[str] = frozenset()


def open311_status(status: str) -> str:
    return "open" if status in OPEN_STATUSES else "closed"


def _error(status: int, description: str) -> web.Response:
    return web.json_response([{"code": status, "description": description}], status=status,
                             dumps=lambda o: json.dumps(o, ensure_ascii=False))


def _ok(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def _parse_when(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} must be an ISO 8601 date-time, got {value!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{name} needs a time zone (e.g. +09:00)")
    return utc(parsed)


@dataclass(frozen=True)
class Open311:
    """What the Open311 views depend on, built once by ``create_open311_app`` (one key of its app)."""

    db: Database
    clock: Clock
    categories: dict[str, str]
    keys: frozenset[str] = frozenset()
    town: str = ""
    jurisdiction_id: str = ""
    #: Publishes ``media_url`` for reports with a photo (off by default).
    media_base_url: str | None = None
    policy: Open311Policy = field(default_factory=Open311Policy)
    #: Removes personal data from published text (the service's finds names too).
    scrub: Callable[[str | None], str | None] = field(default_factory=Redactor)

    def check_jurisdiction(self, request: web.Request) -> web.Response | None:
        given = request.query.get("jurisdiction_id")
        if given and self.jurisdiction_id and given != self.jurisdiction_id:
            return _error(404, f"jurisdiction_id {given!r} is not served here")
        return None

    def readable(self, request: web.Request) -> web.Response | None:
        if (bad := self.check_jurisdiction(request)) is not None:
            return bad
        if not self.policy.publish:
            return _error(404, "service requests are not published by this server")
        if not self.policy.public_read and (not self.keys or request.query.get("api_key", "") not in self.keys):
            return _error(403, "a valid api_key is required to read service requests")
        return None

    def description_of(self, r: Report) -> str | None:
        if r.public_description:
            return r.public_description
        return (self.scrub(r.description) or None) if self.policy.descriptions == REDACTED else None

    def as_request(self, r: Report, note: str) -> dict[str, Any]:
        private = r.category in self.policy.private_categories
        media = self.media_base_url
        return {
            "service_request_id": str(r.id),
            "status": open311_status(r.status),
            "status_notes": self.scrub(note) or None,
            "service_name": self.categories.get(r.category, r.category),
            "service_code": r.category,
            "description": self.description_of(r),
            "agency_responsible": self.town or None,
            "service_notice": r.receipt_no,
            "requested_datetime": tokyo(r.created_at).isoformat(),  # Japan time, with its offset
            "updated_datetime": tokyo(r.updated_at).isoformat(),
            "expected_datetime": None,
            "address": None if private else (r.address or None),
            "address_id": None,
            "zipcode": None,
            "lat": round(r.latitude, PRIVATE_PLACES) if private else r.latitude,
            "long": round(r.longitude, PRIVATE_PLACES) if private else r.longitude,
            "media_url": f"{media.rstrip('/')}/{r.id}.jpg" if media and r.has_photo else None,
        }



def create_open311_app(
    db: Database, clock: Clock, *, categories: dict[str, str], api_keys: Iterable[str] = (), town: str = "",
    jurisdiction_id: str = "", media_base_url: str | None = None, policy: Open311Policy | None = None,
    redact: Callable[[str | None], str | None] | None = None,
) -> web.Application:
    """The Open311 sub-app: its views are this module's functions, reading ``Open311`` from the app."""
    app = web.Application()
    app[OPEN311] = Open311(db, clock, dict(categories), frozenset(k for k in api_keys if k), town, jurisdiction_id,
                           media_base_url, policy or Open311Policy(), redact or Redactor())
    app.router.add_get("/services.json", services)
    app.router.add_get("/requests.json", list_requests)
    app.router.add_post("/requests.json", create_request)
    app.router.add_get("/requests/{id}.json", get_request)
    return app


async def latest_notes(session: Any, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = (await session.exec(select(ReportStatusChange).where(col(ReportStatusChange.report_id).in_(ids))
                               .order_by(col(ReportStatusChange.at), col(ReportStatusChange.id)))).all()
    notes: dict[int, str] = {}
    for row in rows:
        if row.note and row.from_status is not None:
            notes[row.report_id] = row.note
    return notes


async def services(request: web.Request) -> web.Response:
    o = request.app[OPEN311]
    if (bad := o.check_jurisdiction(request)) is not None:
        return bad
    return _ok([{"service_code": code, "service_name": label, "description": label, "metadata": False,
                 "type": "realtime", "keywords": "", "group": "道路・公園"} for code, label in o.categories.items()])


def _filtered(q: Any) -> Any:
    """The ``Report`` query of ``GET /requests.json``'s filters (``ValueError``: a filter is wrong, said in English)."""
    query = select(Report)
    if q.get("service_request_id"):
        try:
            ids = [int(x) for x in q["service_request_id"].split(",") if x.strip()]
        except ValueError:
            raise ValueError("service_request_id must be comma-separated numbers") from None
        return query.where(col(Report.id).in_(ids))
    if q.get("service_code"):
        query = query.where(col(Report.category).in_(q["service_code"].split(",")))
    status = q.get("status")
    if status:
        wanted = set(status.split(","))
        if not wanted <= {"open", "closed"}:
            raise ValueError("status must be open or closed")
        if wanted == {"open"}:
            query = query.where(col(Report.status).in_(OPEN_STATUSES))
        elif wanted == {"closed"}:
            query = query.where(col(Report.status).not_in(OPEN_STATUSES))
    start, end = _parse_when(q.get("start_date"), "start_date"), _parse_when(q.get("end_date"), "end_date")
    if start:
        query = query.where(col(Report.created_at) >= start)
    if end:
        query = query.where(col(Report.created_at) <= end)
    return query


async def list_requests(request: web.Request) -> web.Response:
    o = request.app[OPEN311]
    if (bad := o.readable(request)) is not None:
        return bad
    try:
        query = _filtered(request.query)
    except ValueError as exc:
        return _error(400, str(exc))
    async with o.db.read() as s:
        rows = (await s.exec(query.order_by(col(Report.created_at).desc(), col(Report.id).desc()).limit(1000))).all()
        notes = await latest_notes(s, [r.id for r in rows])
    return _ok([o.as_request(r, notes.get(r.id, "")) for r in rows])


async def get_request(request: web.Request) -> web.Response:
    o = request.app[OPEN311]
    if (bad := o.readable(request)) is not None:
        return bad
    try:
        report_id = int(request.match_info["id"])
    except ValueError:
        return _error(404, "no such service request")
    async with o.db.read() as s:
        report = await s.get(Report, report_id)
        notes = await latest_notes(s, [report_id]) if report else {}
    if report is None:
        return _error(404, f"service request {report_id} not found")
    return _ok([o.as_request(report, notes.get(report_id, ""))])


async def create_request(request: web.Request) -> web.Response:
    o = request.app[OPEN311]
    if request.content_type == "application/json":
        try:
            form = loads_json(await request.read())
        except ValueError:
            return _error(400, "body is not valid JSON")
        if not isinstance(form, dict):
            return _error(400, "body must be a JSON object")
    else:
        form = dict(await request.post())
    if not o.keys or str(form.get("api_key") or request.query.get("api_key") or "") not in o.keys:
        return _error(403, "a valid api_key is required to create service requests")
    code = str(form.get("service_code") or "")
    if code not in o.categories:
        return _error(400, f"service_code {code!r} is not one of {sorted(o.categories)}")
    try:
        lat, lon = float(form["lat"]), float(form["long"])
    except (KeyError, TypeError, ValueError):
        return _error(400, "lat and long are required (decimal degrees)")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return _error(400, "lat/long out of range")
    description = str(form.get("description") or "")[:1000]
    now = o.clock.now()
    async with o.db.write() as s:
        report = await submit_report(s, category=code, description=description, latitude=lat, longitude=lon,
                                     address=str(form.get("address_string") or "")[:200], location_source="open311",
                                     channel="open311", reporter=None, now=now)
    return _ok([{"service_request_id": str(report.id), "service_notice": report.receipt_no, "account_id": None}],
               status=201)
