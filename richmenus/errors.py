"""Rich-menu errors staff can act on; ``kind`` picks the HTTP status in the admin API."""

from __future__ import annotations


class RichMenuError(Exception):
    #: invalid | conflict | not_found | unavailable (LINE could not be reached or refused)
    def __init__(self, kind: str, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.kind, self.code, self.message, self.field = kind, code, message, field
