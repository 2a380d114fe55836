"""LINE Login: ID-token verification, as LIFF apps' servers call it."""

from __future__ import annotations

from aiohttp import web

from . import idtoken
from .keys import SERVICE

routes = web.RouteTableDef()


def _refuse(description: str) -> web.Response:
    return web.json_response({"error": "invalid_request", "error_description": description}, status=400)


@routes.post("/oauth2/v2.1/verify")
async def verify_id_token(request: web.Request) -> web.Response:
    """Form fields ``id_token`` and ``client_id`` (required), ``nonce`` and ``user_id`` (optional)."""
    form = await request.post()
    token, client_id = form.get("id_token"), form.get("client_id")
    if not isinstance(token, str) or not token:
        return _refuse("id_token is required.")
    if not isinstance(client_id, str) or not client_id:
        return _refuse("client_id is required.")
    service = request.app[SERVICE]
    channel = service.state.by_login_channel(client_id)
    if channel is None:
        return _refuse("Invalid IdToken Audience.")
    nonce, user_id = form.get("nonce"), form.get("user_id")
    try:
        claims = idtoken.verify(
            token, channel.config.login_channel_secret, client_id=client_id, now=service.state.clock(),
            nonce=nonce if isinstance(nonce, str) else None, user_id=user_id if isinstance(user_id, str) else None,
        )
    except idtoken.IdTokenError as exc:
        return _refuse(str(exc))
    return web.json_response(claims)
