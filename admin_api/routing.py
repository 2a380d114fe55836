"""Declaring staff API operations once: route, permission, request/response models, OpenAPI.

Each feature owns an ``ApiRouter`` (one per feature, like aiogram's routers) and declares
operations with ``@router.route(...)``. The router checks the permission, parses and validates the
query string and JSON body into pydantic models (errors name the field, in Japanese), turns the
return value into JSON, and describes all of it in the OpenAPI document (``admin_api.openapi``),
so the document and the routes cannot drift apart.

Times: every date-time in a JSON answer is ISO 8601 in Japan time with its offset
(``2026-12-01T09:00:00+09:00``), whatever the model holds (the database keeps UTC); ``_dump`` applies
the rule once for every route.

Every successful operation that changes something (POST/PUT/PATCH/DELETE) lands in the operation
log: handlers call ``await call.audit(session, action, target, before=…, after=…)`` inside their
transaction; if a handler does not, the framework writes a generic entry afterwards as a safety net.

Reads of personal data are recorded too (小郡市 8(2)c コ, PIA): a GET declared with
``personal="bookings"`` writes one ``read.bookings`` entry (who, when, which path and query, from
where) after it answers successfully — when the caller saw the data as it is, that is when they hold
``personal.view``. A masked read (a role without ``personal.view``: pseudonyms, masked text) leaves no
entry. A route that shows personal data to everyone it admits, unmasked (a report's photo), says
``personal_always=True``: every successful read is recorded. ``tests/admin_api/test_personal_reads.py``
makes sure every GET whose answer carries personal data is declared so.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from aiohttp import web
from pydantic import AfterValidator, BaseModel, ValidationError
from pydantic_core import to_jsonable_python

from admin_api.auth import Principal, mark_public, principal_of
from admin_api.errors import ApiError, from_validation_error
from admin_api.keys import ADMIN_CONTEXT, BODY_LIMIT, REDACTOR
from civic.clock import TOKYO
from civic.inputs import RefusedJson, loads_json
from civic.staff.privacy import PERSONAL_PERMISSION, mask_text

if TYPE_CHECKING:
    from admin_api.context import AdminContext
    from civic.staff.audit import Auditor

JSON_CT = "application/json"
CSV_CT = "text/csv"
PNG_CT = "image/png"
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_INT_MAX = 2**31 - 1  # the largest id every backend's INTEGER column holds
_INT_MIN = -(2**31)


@dataclass
class Call:
    """What a handler receives besides the request: who is calling and the validated input."""

    request: web.Request
    principal: Principal | None
    body: Any = None
    query: Any = None
    audited: bool = False

    def path_int(self, name: str) -> int:
        raw = self.request.match_info[name]
        try:
            value = int(raw)
        except ValueError:
            value = -1
        if not 0 <= value <= _INT_MAX:
            raise ApiError(404, "not_found", f"{name} が正しくありません: {raw[:20]}", name)
        return value

    @property
    def ctx(self) -> AdminContext:
        """What the views depend on (database, clock, services…), as the service built it once."""
        context = self.request.config_dict.get(ADMIN_CONTEXT)
        if context is None:
            raise RuntimeError("create_admin_app(..., context=AdminContext(...)) was not given a context")
        return context

    @property
    def auditor(self) -> Auditor | None:
        context = self.request.config_dict.get(ADMIN_CONTEXT)
        return context.auditor if context is not None else None

    @property
    def remote(self) -> str | None:
        return self.request.remote

    @property
    def personal(self) -> bool:
        """Whether the caller may see personal data as it is (``personal.view``)."""
        return self.principal is not None and self.principal.can(PERSONAL_PERMISSION)

    def redact(self, text: str | None) -> str | None:
        """Free text a citizen wrote, as the caller may see it: names, phone numbers, e-mail addresses
        and such masked unless they hold ``personal.view``."""
        if self.personal or not text:
            return text
        redactor = self.request.config_dict.get(REDACTOR)
        return redactor(text) if redactor is not None else mask_text(text)

    async def audit(self, session: Any, action: str, target: str, *, before: Any = None,
                    after: Any = None) -> None:
        """Write the change's one operation-log entry in ``session`` (the transaction of the change itself)."""
        auditor = self.auditor
        if auditor is not None:
            await auditor.record(session, self.principal, action, target, before, after, self.remote)
        self.audited = True


CallHandler = Callable[[Call], Awaitable[Any]]


@dataclass
class Operation:
    method: str
    path: str
    handler: CallHandler
    summary: str
    permission: str | None
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: Any = None  # a pydantic model, list[Model], or None (no body)
    status: int = 200
    produces: str | tuple[str, ...] = JSON_CT  # several: a file that may be PNG or JPEG
    public: bool = False
    operation_id: str = ""
    #: Raw request bodies (uploads) of these media types, handed to the handler as bytes.
    consumes: tuple[str, ...] = ()
    #: Further error statuses this operation may answer with, and what they mean.
    errors: dict[int, str] = field(default_factory=dict)
    description: str = ""
    #: What personal data a GET answers with (``read.<personal>`` in the operation log), or "".
    personal: str = ""
    #: The answer is never masked: every successful read is recorded, not only ``personal.view`` holders'.
    personal_always: bool = False
    #: The fields of a ``multipart/form-data`` body (its OpenAPI schema), when ``consumes`` takes one.
    form: dict[str, Any] | None = None


def _dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return to_jsonable_python(in_japan_time(value.model_dump(mode="python")))
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value


def _japan_if_naive(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=TOKYO)


#: A date-time input; one written without an offset (``2026-12-01T09:00``) is Japan time.
JapanDateTime = Annotated[datetime, AfterValidator(_japan_if_naive)]


def in_japan_time(value: Any) -> Any:
    """Date-times (naive ones are UTC, as stored) turned to Asia/Tokyo, anywhere in ``value``."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(TOKYO)
    if isinstance(value, dict):
        return {k: in_japan_time(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [in_japan_time(v) for v in value]
    return value


@dataclass
class ApiRouter:
    tag: str
    operations: list[Operation] = field(default_factory=list)
    description: str = ""

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        permission: str | None,  # None: any logged-in staff member (unless public)
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: Any = None,
        status: int = 200,
        produces: str | tuple[str, ...] = JSON_CT,
        public: bool = False,
        consumes: tuple[str, ...] = (),
        errors: dict[int, str] | None = None,
        description: str = "",
        personal: str = "",
        personal_always: bool = False,
        form: dict[str, Any] | None = None,
    ) -> Callable[[CallHandler], CallHandler]:
        if (personal or personal_always) and (method.upper() != "GET" or public or not personal):
            raise ValueError(f"{method} {path}: personal= marks a GET for logged-in staff, naming what it reads")

        def register(handler: CallHandler) -> CallHandler:
            self.operations.append(
                Operation(method.upper(), path, handler, summary, permission, self.tag, body, query,
                          response, status, produces, public, operation_id=handler.__name__,
                          consumes=consumes, errors=dict(errors or {}), description=description,
                          personal=personal, personal_always=personal_always, form=form)
            )
            return handler

        return register

    def include(self, other: ApiRouter) -> None:
        """Serve ``other``'s operations as this router's (one feature declared in two modules)."""
        self.operations.extend(other.operations)

    def add_to(self, app: web.Application) -> None:
        for op in self.operations:
            app.router.add_route(op.method, op.path, _wrap(op))


def _check_text(value: Any, path: str = "") -> None:
    """JSON may carry NUL or lone surrogates, which no database column can store: refuse them here.
    (Recursive, but bodies are at most ``civic.inputs.MAX_DEPTH`` deep.)"""
    if isinstance(value, str):
        if "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value):
            raise ApiError(422, "invalid", "使用できない文字（NUL など）が含まれています。", path or None)
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_text(k, path)
            _check_text(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_text(v, f"{path}.{i}" if path else str(i))


def _check_ints(value: Any, path: str = "") -> None:
    """Every integer of a validated body or query must fit the database's INTEGER columns: a field
    the schema leaves unbounded (an id, an amount, an order) is refused here, naming it, rather than
    overflowing in the database (PostgreSQL: ±2³¹, SQLite: ±2⁶³)."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, int) and not isinstance(value, bool):
        if not _INT_MIN <= value <= _INT_MAX:
            raise ApiError(422, "invalid", f"値が範囲外です（{_INT_MIN}〜{_INT_MAX} の整数で入力してください）。",
                           path or None)
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_ints(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list | tuple | set | frozenset):
        for i, v in enumerate(value):
            _check_ints(v, f"{path}.{i}" if path else str(i))


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "too_large", f"送信されたデータが大きすぎます（{limit // (1024 * 1024)} MB まで）。")


async def _read_body(request: web.Request) -> bytes:
    limit = request.config_dict.get(BODY_LIMIT)
    if limit and (request.content_length or 0) > limit:
        raise _too_large(limit)
    data = await request.read()
    if limit and len(data) > limit:
        raise _too_large(limit)
    return data


async def _read_json(request: web.Request) -> Any:
    if not request.can_read_body:
        raise ApiError(400, "body_required", "リクエスト本文（JSON）が必要です。")
    try:
        data = loads_json(await _read_body(request))
    except RefusedJson as exc:
        if exc.reason == "invalid":
            raise ApiError(400, "invalid_json", "リクエスト本文が正しい JSON ではありません。") from None
        raise ApiError(413 if exc.reason == "too_large" else 400, exc.reason, exc.message) from None
    _check_text(data)
    return data


async def _read_raw(request: web.Request, media: tuple[str, ...]) -> bytes:
    if request.content_type not in media:
        raise ApiError(415, "unsupported_media_type",
                       f"ファイルの種類が対応していません（{request.content_type or '不明'}）。"
                       f"使える種類: {', '.join(media)}")
    data = await _read_body(request)
    if not data:
        raise ApiError(400, "body_required", "ファイルが空です。")
    return data


def _wrap(op: Operation) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        principal = None if op.public else principal_of(request)
        if principal is not None and op.permission:
            principal.require(op.permission)
        call = Call(request, principal)
        _check_text(dict(request.match_info))  # path parameters too: ``/attributes/{key}`` with a NUL
        try:
            if op.query is not None:
                query = dict(request.query)
                _check_text(query)
                call.query = op.query.model_validate(query)
                _check_ints(call.query)
            if op.consumes:
                call.body = await _read_raw(request, op.consumes)
            elif op.body is not None:
                call.body = op.body.model_validate(await _read_json(request))
                _check_ints(call.body)
        except ValidationError as exc:
            raise from_validation_error(exc) from None
        result = await op.handler(call)
        if op.method in MUTATING and not op.public and not call.audited:
            await _audit_fallback(op, call)
        if op.personal and (call.personal or op.personal_always):
            await _record_read(op, call)
        if isinstance(result, web.StreamResponse):
            return result
        if op.response is None and result is None:
            return web.Response(status=204 if op.status == 200 else op.status)
        return web.json_response(
            _dump(result), status=op.status, dumps=lambda o: json.dumps(o, ensure_ascii=False)
        )

    handler.__name__ = op.handler.__name__
    return mark_public(handler) if op.public else handler


async def _audit_fallback(op: Operation, call: Call) -> None:
    auditor = call.auditor
    if auditor is None:
        return
    body = call.body.model_dump(mode="json") if isinstance(call.body, BaseModel) else None
    target = f"{op.tag}:{call.request.path}"
    async with call.ctx.db.write() as session:
        await auditor.record(session, call.principal, f"{op.tag}.{op.operation_id}", target, None, body, call.remote)


async def _record_read(op: Operation, call: Call) -> None:
    """``read.<what>``: who read which personal data (the path and query: which booking, which day,
    what was searched for), when and from where. The query is kept in the entry's encrypted snapshot."""
    auditor = call.auditor
    if auditor is None:
        return
    request = call.request
    target = op.personal + (":" + "/".join(request.match_info.values()) if request.match_info else "")
    async with call.ctx.db.write() as session:
        await auditor.record(session, call.principal, f"read.{op.personal}", target, None,
                             {"path": request.path, "query": dict(request.query)}, call.remote)
