"""Declaring staff API operations once: route, permission, request/response models, OpenAPI.

Each feature owns an ``ApiRouter`` (one per feature, like aiogram's routers) and declares
operations with ``@router.route(...)``. The router checks the permission, parses and validates the
query string and JSON body into pydantic models (errors name the field, in Japanese), turns the
return value into JSON, and describes all of it in the OpenAPI document, so the document and the
routes cannot drift apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel, TypeAdapter, ValidationError

from admin_api.auth import Principal, principal_of
from admin_api.errors import ApiError, from_validation_error

JSON_CT = "application/json"


@dataclass
class Call:
    """What a handler receives besides the request: who is calling and the validated input."""

    request: web.Request
    principal: Principal | None
    body: Any = None
    query: Any = None

    def path_int(self, name: str) -> int:
        raw = self.request.match_info[name]
        try:
            return int(raw)
        except ValueError:
            raise ApiError(404, "not_found", f"{name} が正しくありません: {raw}", name) from None

    @property
    def remote(self) -> str | None:
        return self.request.remote


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
    produces: str = JSON_CT
    public: bool = False
    operation_id: str = ""


def _dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value


@dataclass
class ApiRouter:
    tag: str
    operations: list[Operation] = field(default_factory=list)

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        permission: str | None,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: Any = None,
        status: int = 200,
        produces: str = JSON_CT,
        public: bool = False,
    ) -> Callable[[CallHandler], CallHandler]:
        def register(handler: CallHandler) -> CallHandler:
            self.operations.append(
                Operation(method.upper(), path, handler, summary, permission, self.tag, body, query,
                          response, status, produces, public, operation_id=handler.__name__)
            )
            return handler

        return register

    def add_to(self, app: web.Application) -> None:
        for op in self.operations:
            app.router.add_route(op.method, op.path, _wrap(op))


async def _read_json(request: web.Request) -> Any:
    if not request.can_read_body:
        raise ApiError(400, "body_required", "リクエスト本文（JSON）が必要です。")
    try:
        return json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid_json", "リクエスト本文が正しい JSON ではありません。") from None


def _wrap(op: Operation) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        principal = None if op.public else principal_of(request)
        if principal is not None and op.permission:
            principal.require(op.permission)
        call = Call(request, principal)
        try:
            if op.query is not None:
                call.query = op.query.model_validate(dict(request.query))
            if op.body is not None:
                call.body = op.body.model_validate(await _read_json(request))
        except ValidationError as exc:
            raise from_validation_error(exc) from None
        result = await op.handler(call)
        if isinstance(result, web.StreamResponse):
            return result
        if op.response is None and result is None:
            return web.Response(status=204 if op.status == 200 else op.status)
        return web.json_response(
            _dump(result), status=op.status, dumps=lambda o: json.dumps(o, ensure_ascii=False)
        )

    handler.__name__ = op.handler.__name__
    return handler


# ---- OpenAPI ---------------------------------------------------------------------------------

_PARAM = re.compile(r"\{([^}:]+)(?::([^}]+))?\}")
_ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "field"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": ["string", "null"]},
            },
        }
    },
}


def _schema_of(annotation: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """A model becomes a named component (``$ref``); other annotations are described inline."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        schema = annotation.model_json_schema(ref_template="#/components/schemas/{model}")
        defs.update(schema.pop("$defs", {}))
        defs[annotation.__name__] = schema
        return {"$ref": f"#/components/schemas/{annotation.__name__}"}
    schema = TypeAdapter(annotation).json_schema(ref_template="#/components/schemas/{model}")
    defs.update(schema.pop("$defs", {}))
    return schema


def openapi_document(routers: list[ApiRouter], *, prefix: str, title: str, version: str) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    components: dict[str, Any] = {"Error": _ERROR_SCHEMA}
    for router in routers:
        for op in router.operations:
            oa_path = prefix + _PARAM.sub(lambda m: "{" + m.group(1) + "}", op.path)
            parameters = []
            for m in _PARAM.finditer(op.path):
                is_int = m.group(2) is not None and m.group(2).strip() in {r"\d+", "[0-9]+"}
                parameters.append({
                    "name": m.group(1), "in": "path", "required": True,
                    "schema": {"type": "integer", "minimum": 0} if is_int else {"type": "string"},
                })
            if op.query is not None:
                qschema = op.query.model_json_schema()
                required = set(qschema.get("required", []))
                for name, prop in qschema.get("properties", {}).items():
                    parameters.append({"name": name, "in": "query", "required": name in required,
                                       "schema": prop})
            entry: dict[str, Any] = {
                "operationId": op.operation_id,
                "summary": op.summary,
                "tags": [op.tag],
                "parameters": parameters,
                "responses": {},
            }
            if op.permission:
                entry["x-permission"] = op.permission
            if op.public:
                entry["security"] = []
            if op.body is not None:
                entry["requestBody"] = {
                    "required": True,
                    "content": {JSON_CT: {"schema": _schema_of(op.body, components)}},
                }
            ok: dict[str, Any] = {"description": "成功"}
            if op.response is not None:
                ok["content"] = {op.produces: {"schema": (
                    _schema_of(op.response, components) if op.produces == JSON_CT else {"type": "string"}
                )}}
            entry["responses"][str(op.status if op.response is not None or op.status != 200 else 204)] = ok
            errors = {"400": "リクエストが正しくありません", "422": "入力値が正しくありません",
                      "404": "見つかりません", "409": "競合しています"}
            if not op.public:
                errors.update({"401": "認証が必要です", "403": "権限がありません"})
            for code, text in errors.items():
                entry["responses"][code] = {
                    "description": text,
                    "content": {JSON_CT: {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
            paths.setdefault(oa_path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


