"""Where staff may reach the console and the admin API from (酒田市 第5章 4(4): restrict the places
access comes from; 国富町 §9(4)(エ): notice unauthorised access).

``ADMIN_ALLOWED_NETWORKS`` lists CIDRs (the town hall's LAN, its VPN); every request under ``/admin``
from elsewhere gets 403 before it reaches sign-in, so a password guessed elsewhere is worth nothing.
The address is the client's as ``TRUSTED_PROXIES`` resolves it (the middleware runs after
``client_address_middleware``); refusals are logged with the address and path.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

from civic.client_address import Network, parse_address

log = logging.getLogger(__name__)

PREFIX = "/admin"
_MESSAGE = ("この場所からは管理画面を利用できません。庁内のネットワークから接続するか、"
            "システム管理者に接続元の登録を依頼してください。")
_PAGE = f"""<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>接続できません | 窓口 管理画面</title></head>
<body><main><h1>接続できません</h1><p>{_MESSAGE}</p></main></body></html>
"""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def allowed(networks: Iterable[Network], remote: str | None) -> bool:
    address = parse_address(remote)
    return address is not None and any(address in n for n in networks if n.version == address.version)


def admin_allow_list_middleware(networks: tuple[Network, ...]) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if (path == PREFIX or path.startswith(PREFIX + "/")) and not allowed(networks, request.remote):
            log.warning("admin access refused from %s: %s %s", request.remote, request.method, path[:200])
            if path.startswith(PREFIX + "/api/"):
                return web.json_response({"error": {"code": "forbidden_address", "field": None,
                                                    "message": _MESSAGE}}, status=403)
            return web.Response(text=_PAGE, status=403, content_type="text/html", charset="utf-8")
        return await handler(request)

    return middleware
