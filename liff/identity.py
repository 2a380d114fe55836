"""Who the citizen is, proved by a LIFF ID token verified by LINE (never a user id sent by the page).

``HttpIdTokenVerifier`` posts the token to ``{LINE_API_BASE_URL}/oauth2/v2.1/verify`` with the LINE
Login channel id (``client_id``), as LINE documents; the local LINE emulator (linesim) answers the
same endpoint, so the page works offline in the demo. Answers are cached until the token expires.
Without a channel id no token can be for us: every token is refused (the pages answer 401).
``StaticIdTokenVerifier`` is the fake for tests. Every LIFF page (booking, procedures, forms) uses this module.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from aiohttp import web


@dataclass(frozen=True)
class VerifiedUser:
    user_id: str  # the LINE userId (``sub``)
    name: str | None = None


class IdTokenVerifier(Protocol):
    async def verify(self, id_token: str) -> VerifiedUser | None:
        """The user the token was issued to, or None if LINE refuses it (expired, forged, other channel)."""
        ...


class IdTokenUnavailable(Exception):
    """LINE could not be asked (network, 5xx): the page should retry, not treat the user as unknown."""


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
        if not self.channel_id:
            return None
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
        if str(body.get("aud")) != str(self.channel_id):  # issued for our LINE Login channel, and said so
            return None
        user = VerifiedUser(str(body["sub"]), body.get("name"))
        expires = float(body.get("exp", now + 300))
        self._cache[id_token] = (min(expires, now + 3600), user)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return user

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class StaticIdTokenVerifier:
    """A fake: a fixed table of token → user id (tests, or a demo without an emulator)."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = dict(tokens)
        self.calls = 0

    async def verify(self, id_token: str) -> VerifiedUser | None:
        self.calls += 1
        user = self.tokens.get(id_token)
        return VerifiedUser(user) if user else None


def _json_error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message, "field": None}}, status=status,
                             dumps=lambda o: json.dumps(o, ensure_ascii=False))


@web.middleware
async def security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


def id_token_middleware(verifier: web.AppKey, user: web.RequestKey, page: str) -> Any:
    """API calls (``/api/`` paths) act for the user LINE vouches for; the page never sends a user id.

    ``page`` names the page in the message that asks the citizen to open it again from LINE.
    """

    @web.middleware
    async def identity(request: web.Request, handler: Any) -> web.StreamResponse:
        if "/api/" not in request.path:
            return await handler(request)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _json_error(401, "unauthenticated", f"LINEのトーク画面から{page}を開き直してください。")
        try:
            found = await request.config_dict[verifier].verify(token.strip())
        except IdTokenUnavailable:
            return _json_error(503, "line_unavailable", "ただいまLINEとの通信ができません。しばらくしてからお試しください。")
        if found is None:
            return _json_error(401, "unauthenticated", "ログインの有効期限が切れました。LINEのトーク画面から開き直してください。")
        request[user] = found.user_id
        return await handler(request)

    return identity
