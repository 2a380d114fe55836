"""The one postback grammar: ``key=value`` pairs as a query string (``action=booking&op=mine``).

``postback_data(**fields)`` builds it (≤ 300 characters, LINE's limit); ``parse_postback(raw)``
reads it. Buttons already sent to citizens and areas of rich menus already published keep
working: the older spelling ``<kind>:<argument>`` (a waitlist offer's
``booking.offer.accept:2612-00042``) is read into the same fields
(``{"offer": "accept", "no": "2612-00042"}``), so the router sees one shape.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

MAX_DATA = 300

#: The older ``<kind>:<argument>`` spelling → (fields of the kind, the field the argument goes to).
LEGACY: dict[str, tuple[dict[str, str], str]] = {
    "booking.offer.accept": ({"offer": "accept"}, "no"),
    "booking.offer.decline": ({"offer": "decline"}, "no"),
}


def postback_data(**fields: Any) -> str:
    """Postback data as a query string (``action=report``), ≤ 300 characters; None values are left out."""
    encoded = urlencode({k: v for k, v in fields.items() if v is not None})
    if len(encoded) > MAX_DATA:
        raise ValueError(f"postback data too long: {encoded[:60]}…")
    return encoded


def parse_postback(raw: str | None) -> dict[str, str]:
    """The fields of postback data (``{}`` when there are none or the data is not ours)."""
    if not raw:
        return {}
    kind, colon, argument = raw.partition(":")
    legacy = LEGACY.get(kind) if colon and "=" not in kind else None
    if legacy is not None:
        fields, key = legacy
        return {**fields, key: argument}
    try:
        return dict(parse_qsl(raw, keep_blank_values=True))
    except ValueError:
        return {}
