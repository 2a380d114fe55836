"""Who is using the page inside LINE: a LIFF ID token, verified by LINE's server, never a user id
sent by the page. Used to count LINE access (§8(6) z) and to send the result to the talk (§8(6) j).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import aiohttp


@dataclass(frozen=True)
class LineUser:
    user_id: str
    name: str = ""


class IdTokenVerifier(Protocol):
    async def verify(self, id_token: str) -> LineUser | None:
        """The LINE user of a valid, unexpired ID token; None otherwise."""
        ...


class HttpIdTokenVerifier:
    """``POST {base}/oauth2/v2.1/verify`` (form ``id_token``, ``client_id``): LINE, or the local emulator."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, channel_id: str) -> None:
        self.session, self.base_url, self.channel_id = session, base_url.rstrip("/"), channel_id

    async def verify(self, id_token: str) -> LineUser | None:
        if not id_token:
            return None
        try:
            async with self.session.post(f"{self.base_url}/oauth2/v2.1/verify",
                                         data={"id_token": id_token, "client_id": self.channel_id},
                                         timeout=aiohttp.ClientTimeout(total=10)) as response:
                if response.status != 200:
                    return None
                body = await response.json()
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None
        user_id = body.get("sub") if isinstance(body, dict) else None
        return LineUser(str(user_id), str(body.get("name") or "")) if user_id else None


class ResultNotifier(Protocol):
    async def send_result(self, line_user_id: str, text: str) -> None:
        """Put the navigation result in the resident's LINE talk (through the service's gateway)."""
        ...
