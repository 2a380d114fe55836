"""Attribute and form errors staff (or citizens) can act on; ``kind`` picks the HTTP status."""

from __future__ import annotations


class AttributeProblem(Exception):
    """kind: invalid (422) | conflict (409) | not_found (404) | forbidden (403)."""

    def __init__(self, kind: str, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.kind, self.code, self.message, self.field = kind, code, message, field


def invalid(code: str, message: str, field: str | None = None) -> AttributeProblem:
    return AttributeProblem("invalid", code, message, field)


def not_found(what: str, ident: object, field: str | None = None) -> AttributeProblem:
    return AttributeProblem("not_found", "not_found", f"{what}（{ident}）は見つかりません。", field)
