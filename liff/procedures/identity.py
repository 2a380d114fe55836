"""Who is using the page inside LINE: a LIFF ID token, verified by LINE's server, never a user id
sent by the page. Used to count LINE access (§8(6) z) and to send the result to the talk (§8(6) j).
"""

from __future__ import annotations

from typing import Protocol

from liff.identity import HttpIdTokenVerifier, IdTokenVerifier
from liff.identity import VerifiedUser as LineUser

__all__ = ["HttpIdTokenVerifier", "IdTokenVerifier", "LineUser", "ResultNotifier"]


class ResultNotifier(Protocol):
    async def send_result(self, line_user_id: str, text: str) -> None:
        """Put the navigation result in the resident's LINE talk (through the service's gateway)."""
        ...
