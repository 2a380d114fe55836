"""Consistent JSON errors for staff: ``{"error": {"code", "message", "field"}}``, messages in Japanese."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from civic.staff.errors import StaffError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field

    def response(self) -> web.Response:
        return error_response(self.status, self.code, self.message, self.field)


def error_response(status: int, code: str, message: str, field: str | None = None) -> web.Response:
    body = {"error": {"code": code, "message": message, "field": field}}
    return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


_PYDANTIC_MESSAGES = {
    "missing": "必須項目です。",
    "string_too_short": "{min_length}文字以上で入力してください。",
    "string_too_long": "{max_length}文字以内で入力してください。",
    "too_short": "{min_length}件以上必要です。",
    "too_long": "{max_length}件以内にしてください。",
    "greater_than_equal": "{ge}以上の値を入力してください。",
    "less_than_equal": "{le}以下の値を入力してください。",
    "greater_than": "{gt}より大きい値を入力してください。",
    "less_than": "{lt}より小さい値を入力してください。",
    "int_parsing": "整数で入力してください。",
    "int_type": "整数で入力してください。",
    "float_parsing": "数値で入力してください。",
    "bool_parsing": "true か false で指定してください。",
    "string_type": "文字列で入力してください。",
    "date_from_datetime_parsing": "日付は YYYY-MM-DD の形式で入力してください。",
    "date_parsing": "日付は YYYY-MM-DD の形式で入力してください。",
    "datetime_parsing": "日時は ISO 8601 形式（例 2026-12-01T09:00:00+09:00）で入力してください。",
    "datetime_from_date_parsing": "日時は ISO 8601 形式（例 2026-12-01T09:00:00+09:00）で入力してください。",
    "timezone_aware": "日時にはタイムゾーンを付けてください（例 2026-12-01T09:00:00+09:00）。",
    "literal_error": "次のいずれかを指定してください: {expected}",
    "enum": "次のいずれかを指定してください: {expected}",
    "extra_forbidden": "この項目は指定できません。",
    "string_pattern_mismatch": "形式が正しくありません。",
    "model_type": "オブジェクトで指定してください。",
    "list_type": "配列で指定してください。",
    "dict_type": "オブジェクトで指定してください。",
    "union_tag_invalid": "種類（type）は次のいずれかにしてください: {expected_tags}（いまは {tag}）",
    "union_tag_not_found": "種類（type）を指定してください。",
    "int_from_float": "整数で入力してください。",
    "bool_type": "true か false で指定してください。",
    "json_invalid": "JSON の形式が正しくありません。",
    "url_parsing": "URL の形式が正しくありません。",
}
#: Lists whose items staff know by a name: errors say "領域3: …" rather than "areas.2".
_ITEM_NAMES = {"areas": "領域", "tiles": "タイル", "segments": "セグメント指定", "permissions": "権限", "tabs": "タブ"}


def _where(loc: tuple) -> str:
    parts = []
    for key, nxt in zip(loc, loc[1:], strict=False):
        if key in _ITEM_NAMES and isinstance(nxt, int):
            parts.append(f"{_ITEM_NAMES[key]}{nxt + 1}")
    return "の".join(parts)


_STATUS_OF_KIND = {"invalid": 422, "conflict": 409, "not_found": 404, "forbidden": 403,
                   "unauthenticated": 401, "locked": 423, "too_many": 429, "unavailable": 503}


def from_staff_error(exc: StaffError) -> ApiError:
    return ApiError(_STATUS_OF_KIND.get(exc.kind, 400), exc.code, exc.message, exc.field)


def domain_error(exc: Exception) -> ApiError | None:
    """Any feature's error with ``kind``, ``code``, ``message`` and ``field`` (like ``StaffError``)
    becomes an API error: kind invalid→422, conflict→409, not_found→404, forbidden→403,
    unauthenticated→401, locked→423, unavailable→503 (a LINE outage). Features need not import aiohttp."""
    kind = getattr(exc, "kind", None)
    if kind in _STATUS_OF_KIND and isinstance(getattr(exc, "message", None), str):
        return ApiError(_STATUS_OF_KIND[kind], str(getattr(exc, "code", kind)), exc.message,  # type: ignore[attr-defined]
                        getattr(exc, "field", None))
    return None


def from_validation_error(exc: ValidationError) -> ApiError:
    """The first problem, as a staff member can act on it: which field, what is wrong."""
    first = exc.errors(include_url=False)[0]
    field = ".".join(str(p) for p in first.get("loc", ()) if p != "__root__") or None
    template = _PYDANTIC_MESSAGES.get(first["type"])
    ctx: dict[str, Any] = first.get("ctx") or {}
    if first["type"] == "value_error" and "error" in ctx:
        message = str(ctx["error"])  # our own validators speak Japanese already
    elif template:
        try:
            message = template.format(**ctx)
        except (KeyError, IndexError):
            message = template
    else:
        message = f"値が正しくありません（{first.get('msg', '')}）。"
    where = _where(tuple(first.get("loc", ())))
    if where:
        message = f"{where}: {message}"
    return ApiError(422, "invalid", message, field)


_SQLITE_COLUMN = re.compile(r"constraint failed: \w+\.(\w+)")
_POSTGRES_COLUMN = re.compile(r"Key \((\w+)")


def from_integrity_error(exc: IntegrityError) -> ApiError:
    """A change the database refused (a duplicate, a row that points nowhere): the handler should
    have checked, but the caller still gets a 409/422 naming the column when the backend says it
    (SQLite names it for duplicates only; PostgreSQL for both)."""
    detail = getattr(getattr(exc.orig, "__cause__", None), "detail", None)  # asyncpg: "Key (column)=(value) already exists."
    text = f"{exc.orig} {detail or ''}"
    found = _SQLITE_COLUMN.search(text) or _POSTGRES_COLUMN.search(text)
    field = found.group(1) if found else None
    lowered = text.lower()
    if "unique" in lowered or "duplicate" in lowered:
        return ApiError(409, "duplicate", f"同じ値がすでに登録されています{f'（{field}）' if field else ''}。", field)
    if "foreign key" in lowered:
        return ApiError(422, "missing_reference",
                        f"指定された参照先が見つかりません{f'（{field}）' if field else ''}。", field)
    return ApiError(409, "conflict", "ほかのデータと矛盾するため保存できませんでした。", field)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return exc.response()
    except ValidationError as exc:
        return from_validation_error(exc).response()
    except StaffError as exc:
        return from_staff_error(exc).response()
    except IntegrityError as exc:
        log.warning("admin API %s %s refused by the database: %s", request.method, request.path, exc.orig)
        return from_integrity_error(exc).response()
    except web.HTTPNotFound:
        return error_response(404, "not_found", "指定されたURLは存在しません。")
    except web.HTTPMethodNotAllowed:
        return error_response(405, "method_not_allowed", "このURLではその操作はできません。")
    except web.HTTPRequestEntityTooLarge:
        return error_response(413, "too_large", "送信されたデータが大きすぎます。")
    except web.HTTPException:
        raise
    except Exception as exc:
        mapped = domain_error(exc)
        if mapped is not None:
            return mapped.response()
        log.exception("admin API error on %s %s", request.method, request.path)
        return error_response(500, "internal", "システムエラーが発生しました。時間をおいて再度お試しください。")
