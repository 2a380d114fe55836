"""Who the citizen is, proved by a LIFF ID token that LINE verifies (never a user id the page sends).

``HttpIdTokenVerifier`` posts the token to ``{LINE_API_BASE_URL}/oauth2/v2.1/verify`` with the LINE
Login channel id, as LINE documents; the local emulator (linesim) answers the same endpoint.
``StaticIdTokenVerifier`` is the fake for tests. (The booking and procedure pages carry the same
small interface; the lead may fold them into one ``liff.identity`` module.)
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

import aiohttp


@dataclass(frozen=True)
class VerifiedUser:
    user_id: str  # the LINE userId (``sub``)


class IdTokenVerifier(Protocol):
    async def verify(self, id_token: str) -> VerifiedUser | None:
        """The user the token was issued to; None if LINE refuses it (expired, forged, other channel)."""
        ...


class IdTokenUnavailable(Exception):
    """LINE could not be asked (network, 5xx): try again later; the user is not "unknown"."""


class HttpIdTokenVerifier:
    def __init__(self, api_base_url: str, channel_id: str, *, timeout: float = 10.0, cache_size: int = 2048,
                 clock=time.time) -> None:
        self.url = api_base_url.rstrip("/") + "/oauth2/v2.1/verify"
        self.channel_id = channel_id
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._cache: OrderedDict[str, tuple[float, VerifiedUser]] = OrderedDict()
        self._cache_size = cache_size
        self._clock = clock

    async def verify(self, id_token: str) -> VerifiedUser | None:
        now = self._clock()
        hit = self._cache.get(id_token)
        if hit is not None and hit[0] > now:
            return hit[1]
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.post(self.url, data={"id_token": id_token, "client_id": self.channel_id}) as r:
                if r.status >= 500:
                    raise IdTokenUnavailable(f"LINE answered {r.status}")
                body = await r.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise IdTokenUnavailable(str(exc)) from exc
        if r.status != 200 or not isinstance(body, dict) or not body.get("sub"):
            return None
        if str(body.get("aud", self.channel_id)) != str(self.channel_id):
            return None
        user = VerifiedUser(str(body["sub"]))
        self._cache[id_token] = (min(float(body.get("exp", now + 300)), now + 3600), user)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return user

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class StaticIdTokenVerifier:
    """A fake: a fixed table of token → user id."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = dict(tokens)

    async def verify(self, id_token: str) -> VerifiedUser | None:
        user = self.tokens.get(id_token)
        return VerifiedUser(user) if user else None
