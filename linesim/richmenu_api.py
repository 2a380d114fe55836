"""Rich menus: objects, images, the default menu, per-user and bulk links, aliases."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import ids
from .errors import Detail, bad_request, invalid_body, not_found
from .middleware import channel_of, json_body
from .richmenu_validation import check_rich_menu, check_rich_menu_image
from .state import ChannelState, RichMenu

MAX_RICH_MENUS = 1000
MAX_ALIASES = 1000
MAX_BULK = 500
NEEDS_IMAGE = "must upload richmenu image before applying it to user"
routes = web.RouteTableDef()


def _menu(channel: ChannelState, rich_menu_id: str) -> RichMenu:
    menu = channel.rich_menus.get(rich_menu_id)
    if menu is None:
        raise not_found("richmenu not found")
    return menu


def _menu_with_image(channel: ChannelState, rich_menu_id: str) -> RichMenu:
    menu = _menu(channel, rich_menu_id)
    if menu.image is None:
        raise bad_request(NEEDS_IMAGE)
    return menu


def _valid_menu_body(request: web.Request) -> dict[str, Any]:
    body = json_body(request)
    details = check_rich_menu(body)
    if details:
        raise invalid_body(details)
    return body


def _user_ids(body: Any, prop: str = "userIds") -> list[str]:
    user_ids = body.get(prop) if isinstance(body, dict) else None
    if not isinstance(user_ids, list) or not 1 <= len(user_ids) <= MAX_BULK:
        raise invalid_body([Detail(f"Size must be between 1 and {MAX_BULK}", prop)])
    bad = [i for i, u in enumerate(user_ids) if not isinstance(u, str) or not ids.USER_ID_RE.match(u)]
    if bad:
        raise invalid_body([Detail("Invalid user ID", f"{prop}[{i}]") for i in bad])
    return user_ids


# rich menu objects ----------------------------------------------------------------------------
@routes.post("/v2/bot/richmenu")
async def create(request: web.Request) -> web.Response:
    channel = channel_of(request)
    body = _valid_menu_body(request)
    if len(channel.rich_menus) >= MAX_RICH_MENUS:
        raise bad_request(f"The maximum number of rich menus ({MAX_RICH_MENUS}) has been reached")
    menu = RichMenu(ids.rich_menu_id(), body)
    channel.rich_menus[menu.rich_menu_id] = menu
    return web.json_response({"richMenuId": menu.rich_menu_id})


@routes.post("/v2/bot/richmenu/validate")
async def validate(request: web.Request) -> web.Response:
    _valid_menu_body(request)
    return web.json_response({})


@routes.get("/v2/bot/richmenu/list")
async def list_menus(request: web.Request) -> web.Response:
    menus = [m.as_json() for m in channel_of(request).rich_menus.values()]
    return web.json_response({"richmenus": menus})


@routes.get(r"/v2/bot/richmenu/{richMenuId:richmenu-[^/]+}")
async def get_menu(request: web.Request) -> web.Response:
    return web.json_response(_menu(channel_of(request), request.match_info["richMenuId"]).as_json())


@routes.delete(r"/v2/bot/richmenu/{richMenuId:richmenu-[^/]+}")
async def delete_menu(request: web.Request) -> web.Response:
    channel = channel_of(request)
    _menu(channel, request.match_info["richMenuId"])
    channel.delete_rich_menu(request.match_info["richMenuId"])
    return web.json_response({})


@routes.post(r"/v2/bot/richmenu/{richMenuId:richmenu-[^/]+}/content")
async def upload_image(request: web.Request) -> web.Response:
    channel = channel_of(request)
    menu = _menu(channel, request.match_info["richMenuId"])
    if menu.image is not None:
        raise bad_request("An image has already been uploaded to the richmenu")
    data = await request.read()
    content_type = check_rich_menu_image(data, request.headers.get("Content-Type", ""), menu.body["size"])
    menu.image, menu.image_type = data, content_type
    channel.feed.notify()
    return web.json_response({})


@routes.get(r"/v2/bot/richmenu/{richMenuId:richmenu-[^/]+}/content")
async def download_image(request: web.Request) -> web.Response:
    menu = _menu(channel_of(request), request.match_info["richMenuId"])
    if menu.image is None:
        raise not_found("richmenu image not found")
    return web.Response(body=menu.image, content_type=menu.image_type or "image/png")


# default menu ---------------------------------------------------------------------------------
@routes.post(r"/v2/bot/user/all/richmenu/{richMenuId}")
async def set_default(request: web.Request) -> web.Response:
    channel = channel_of(request)
    menu = _menu_with_image(channel, request.match_info["richMenuId"])
    channel.default_rich_menu = menu.rich_menu_id
    channel.feed.notify()
    return web.json_response({})


@routes.get("/v2/bot/user/all/richmenu")
async def get_default(request: web.Request) -> web.Response:
    channel = channel_of(request)
    if channel.default_rich_menu is None:
        raise not_found("no default richmenu")
    return web.json_response({"richMenuId": channel.default_rich_menu})


@routes.delete("/v2/bot/user/all/richmenu")
async def cancel_default(request: web.Request) -> web.Response:
    channel = channel_of(request)
    channel.default_rich_menu = None
    channel.feed.notify()
    return web.json_response({})


# per-user links -------------------------------------------------------------------------------
def _user_id(request: web.Request) -> str:
    user_id = request.match_info["userId"]
    if not ids.USER_ID_RE.match(user_id):
        raise bad_request(f"The user ID {user_id!r} is invalid")
    return user_id


@routes.post(r"/v2/bot/user/{userId:U[^/]*}/richmenu/{richMenuId}")
async def link(request: web.Request) -> web.Response:
    channel = channel_of(request)
    user_id = _user_id(request)
    menu = _menu_with_image(channel, request.match_info["richMenuId"])
    channel.user_rich_menus[user_id] = menu.rich_menu_id
    channel.feed.notify()
    return web.json_response({})


@routes.get(r"/v2/bot/user/{userId:U[^/]*}/richmenu")
async def linked(request: web.Request) -> web.Response:
    menu_id = channel_of(request).user_rich_menus.get(_user_id(request))
    if menu_id is None:
        raise not_found("the user has no richmenu")
    return web.json_response({"richMenuId": menu_id})


@routes.delete(r"/v2/bot/user/{userId:U[^/]*}/richmenu")
async def unlink(request: web.Request) -> web.Response:
    channel = channel_of(request)
    channel.user_rich_menus.pop(_user_id(request), None)
    channel.feed.notify()
    return web.json_response({})


@routes.post("/v2/bot/richmenu/bulk/link")
async def bulk_link(request: web.Request) -> web.Response:
    channel = channel_of(request)
    body = json_body(request)
    user_ids = _user_ids(body)
    menu = _menu_with_image(channel, str(body.get("richMenuId")))
    for user_id in user_ids:
        channel.user_rich_menus[user_id] = menu.rich_menu_id
    channel.feed.notify()
    return web.json_response({}, status=202)


@routes.post("/v2/bot/richmenu/bulk/unlink")
async def bulk_unlink(request: web.Request) -> web.Response:
    channel = channel_of(request)
    for user_id in _user_ids(json_body(request)):
        channel.user_rich_menus.pop(user_id, None)
    channel.feed.notify()
    return web.json_response({}, status=202)


# aliases --------------------------------------------------------------------------------------
def _alias_json(alias_id: str, menu_id: str) -> dict[str, str]:
    return {"richMenuAliasId": alias_id, "richMenuId": menu_id}


@routes.post("/v2/bot/richmenu/alias")
async def create_alias(request: web.Request) -> web.Response:
    channel = channel_of(request)
    body = json_body(request)
    alias_id = body.get("richMenuAliasId") if isinstance(body, dict) else None
    if not isinstance(alias_id, str) or not ids.ALIAS_ID_RE.match(alias_id):
        raise invalid_body([Detail("Must match [A-Za-z0-9_-]{1,32}", "richMenuAliasId")])
    menu = _menu_with_image(channel, str(body.get("richMenuId")))
    if alias_id in channel.aliases:
        raise bad_request("conflict richmenu alias id")
    if len(channel.aliases) >= MAX_ALIASES:
        raise bad_request(f"The maximum number of rich menu aliases ({MAX_ALIASES}) has been reached")
    channel.aliases[alias_id] = menu.rich_menu_id
    return web.json_response({})


@routes.get("/v2/bot/richmenu/alias/list")
async def list_aliases(request: web.Request) -> web.Response:
    aliases = [_alias_json(a, m) for a, m in channel_of(request).aliases.items()]
    return web.json_response({"aliases": aliases})


def _alias(channel: ChannelState, request: web.Request) -> str:
    alias_id = request.match_info["aliasId"]
    if alias_id not in channel.aliases:
        raise not_found("richmenu alias not found")
    return alias_id


@routes.get("/v2/bot/richmenu/alias/{aliasId}")
async def get_alias(request: web.Request) -> web.Response:
    channel = channel_of(request)
    alias_id = _alias(channel, request)
    return web.json_response(_alias_json(alias_id, channel.aliases[alias_id]))


@routes.post("/v2/bot/richmenu/alias/{aliasId}")
async def update_alias(request: web.Request) -> web.Response:
    channel = channel_of(request)
    alias_id = _alias(channel, request)
    body = json_body(request)
    menu = _menu_with_image(channel, str(body.get("richMenuId") if isinstance(body, dict) else ""))
    channel.aliases[alias_id] = menu.rich_menu_id
    return web.json_response({})


@routes.delete("/v2/bot/richmenu/alias/{aliasId}")
async def delete_alias(request: web.Request) -> web.Response:
    channel = channel_of(request)
    del channel.aliases[_alias(channel, request)]
    return web.json_response({})

