"""What went wrong, in words staff can act on; the admin API maps ``kind`` to an HTTP status."""

from __future__ import annotations


class StaffError(Exception):
    #: invalid (422) | conflict (409) | not_found (404) | forbidden (403) | unauthenticated (401) | locked (423)
    #: | too_many (429)
    def __init__(self, kind: str, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.kind, self.code, self.message, self.field = kind, code, message, field
