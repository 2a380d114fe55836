"""LINE's error answer: ``{"message": ..., "details": [{"message": ..., "property": ...}]}``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

AUTH_FAILED = "Authentication failed. Confirm that the access token in the authorization header is valid."
AUTH_MISSING = "Authorization header required. Must follow the scheme, 'Authorization: Bearer <ACCESS TOKEN>'"
RATE_LIMITED = "The API rate limit has been exceeded. Try again later."
SERVER_ERROR = "Internal server error"
NOT_FOUND = "Not found"


@dataclass(frozen=True)
class Detail:
    """One problem with one property of the request body, e.g. ``messages[0].text``."""

    message: str
    property: str

    def as_json(self) -> dict[str, str]:
        return {"message": self.message, "property": self.property}


@dataclass
class LineApiError(Exception):
    """Raised by handlers; the error middleware renders it in LINE's shape."""

    status: int
    message: str
    details: Sequence[Detail] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.message}"

    def response(self) -> web.Response:
        body: dict[str, Any] = {"message": self.message}
        if self.details:
            body["details"] = [d.as_json() for d in self.details]
        body.update(self.extra)
        return web.json_response(body, status=self.status, headers=dict(self.headers))


def invalid_body(details: Sequence[Detail]) -> LineApiError:
    """The 400 LINE answers when the request body breaks its rules."""
    return LineApiError(400, f"The request body has {len(details)} error(s)", details)


def not_found(message: str = NOT_FOUND) -> LineApiError:
    return LineApiError(404, message)


def bad_request(message: str) -> LineApiError:
    return LineApiError(400, message)
