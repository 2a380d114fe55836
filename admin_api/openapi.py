"""The OpenAPI 3.1 document, built from the same ``Operation`` declarations that serve the routes."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, TypeAdapter

from admin_api.routing import _INT_MAX, JSON_CT, ApiRouter, Operation

_PARAM = re.compile(r"\{([^}:]+)(?::([^}]+))?\}")
_CHOICES = re.compile(r"[A-Za-z0-9_-]+(\|[A-Za-z0-9_-]+)*")
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
_COMMON_ERRORS = {400: "リクエストが正しくありません", 404: "見つかりません", 409: "競合しています",
                  422: "入力値が正しくありません"}


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


def openapi_path(prefix: str, path: str) -> str:
    return prefix + _PARAM.sub(lambda m: "{" + m.group(1) + "}", path)


def _parameters(op: Operation) -> list[dict[str, Any]]:
    parameters = []
    for m in _PARAM.finditer(op.path):
        regex = (m.group(2) or "").strip()
        schema: dict[str, Any] = {"type": "string"}
        if regex in {r"\d+", "[0-9]+"}:
            schema = {"type": "integer", "minimum": 0, "maximum": _INT_MAX}
        elif _CHOICES.fullmatch(regex):
            schema = {"type": "string", "enum": regex.split("|")}
        parameters.append({"name": m.group(1), "in": "path", "required": True, "schema": schema})
    if op.query is not None:
        qschema = op.query.model_json_schema(ref_template="#/components/schemas/{model}")
        required = set(qschema.get("required", []))
        for name, prop in qschema.get("properties", {}).items():
            param: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if prop.get("description"):
                param["description"] = prop["description"]
            parameters.append(param)
    return parameters


def _operation(op: Operation, components: dict[str, Any]) -> dict[str, Any]:
    description = op.description
    if op.permission:
        description = (description + "\n\n" if description else "") + f"必要な権限: `{op.permission}`"
    entry: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": _parameters(op),
        "responses": {},
    }
    if description:
        entry["description"] = description
    if op.permission:
        entry["x-permission"] = op.permission
    if op.public:
        entry["security"] = []
    if op.consumes:
        entry["requestBody"] = {"required": True, "content": {
            media: {"schema": op.form if op.form is not None and media == "multipart/form-data"
                    else {"type": "string", "format": "binary"}} for media in op.consumes
        }}
    elif op.body is not None:
        entry["requestBody"] = {"required": True,
                                "content": {JSON_CT: {"schema": _schema_of(op.body, components)}}}
    ok: dict[str, Any] = {"description": "成功"}
    if op.response is not None:
        ok["content"] = {}
        for media in (op.produces,) if isinstance(op.produces, str) else op.produces:
            if media == JSON_CT:
                schema = _schema_of(op.response, components)
            elif media.startswith("text/"):
                schema = {"type": "string"}
            else:
                schema = {"type": "string", "format": "binary"}
            ok["content"][media] = {"schema": schema}
    entry["responses"][str(op.status if op.response is not None or op.status != 200 else 204)] = ok
    errors = dict(_COMMON_ERRORS)
    if not op.public:
        errors.update({401: "認証が必要です", 403: "権限がありません"})
    if op.body is not None or op.consumes:
        errors[413] = "送信データが大きすぎます"
    if op.consumes:
        errors[415] = "ファイルの種類が対応していません"
    errors.update(op.errors)
    for code, text in sorted(errors.items()):
        entry["responses"][str(code)] = {
            "description": text,
            "content": {JSON_CT: {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return entry


def openapi_document(routers: list[ApiRouter], *, prefix: str, title: str, version: str) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    components: dict[str, Any] = {"Error": _ERROR_SCHEMA}
    tags = []
    for router in routers:
        tags.append({"name": router.tag, **({"description": router.description} if router.description else {})})
        for op in router.operations:
            paths.setdefault(openapi_path(prefix, op.path), {})[op.method.lower()] = _operation(op, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version,
                 "description": "職員用の管理 API。エラーは {\"error\": {\"code\", \"message\", \"field\"}} の形で、"
                                "message は日本語です。"},
        "tags": tags,
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
