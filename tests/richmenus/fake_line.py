"""A minimal stand-in for LINE's rich-menu endpoints (until linesim is on main), with fault injection.

It answers the real line-bot-sdk clients exactly where the SDK sends them; two channels are told
apart by their access token, like LINE does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKENS = {"prod-token": "production", "test-token": "test"}


@dataclass
class Channel:
    menus: dict[str, dict[str, Any]] = field(default_factory=dict)
    images: dict[str, bytes] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    default: str | None = None
    links: dict[str, str] = field(default_factory=dict)
    counter: int = 0


CHANNEL: web.RequestKey[Channel] = web.RequestKey("channel", Channel)


@dataclass
class Fault:
    method: str
    path_part: str
    status: int
    times: int


class FakeLine:
    def __init__(self) -> None:
        self.channels = {name: Channel() for name in TOKENS.values()}
        self.faults: list[Fault] = []
        self.calls: list[tuple[str, str, str]] = []  # (channel, method, path)

    def fail(self, method: str, path_part: str, *, status: int = 500, times: int = 1) -> None:
        """The next ``times`` calls whose path contains ``path_part`` answer ``status``."""
        self.faults.append(Fault(method, path_part, status, times))

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=2 * 1024 * 1024)
        r = app.router
        r.add_get("/v2/bot/richmenu/list", self.list_menus)
        r.add_post("/v2/bot/richmenu", self.create_menu)
        r.add_get("/v2/bot/richmenu/alias/list", self.list_aliases)
        r.add_post("/v2/bot/richmenu/alias", self.create_alias)
        r.add_post("/v2/bot/richmenu/alias/{alias}", self.update_alias)
        r.add_delete("/v2/bot/richmenu/alias/{alias}", self.delete_alias)
        r.add_post("/v2/bot/richmenu/bulk/link", self.bulk_link)
        r.add_post("/v2/bot/richmenu/bulk/unlink", self.bulk_unlink)
        r.add_get("/v2/bot/richmenu/{id}", self.get_menu)
        r.add_delete("/v2/bot/richmenu/{id}", self.delete_menu)
        r.add_post("/v2/bot/richmenu/{id}/content", self.set_image)
        r.add_get("/v2/bot/richmenu/{id}/content", self.get_image)
        r.add_get("/v2/bot/user/all/richmenu", self.get_default)
        r.add_post("/v2/bot/user/all/richmenu/{id}", self.set_default)
        r.add_delete("/v2/bot/user/all/richmenu", self.cancel_default)
        r.add_post("/v2/bot/user/{user}/richmenu/{id}", self.link)
        r.add_delete("/v2/bot/user/{user}/richmenu", self.unlink)
        r.add_get("/v2/bot/user/{user}/richmenu", self.menu_of_user)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler):
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        name = TOKENS.get(token)
        if name is None:
            return web.json_response({"message": "Authentication failed"}, status=401)
        request[CHANNEL] = self.channels[name]
        self.calls.append((name, request.method, request.path))
        for fault in self.faults:
            if fault.times > 0 and fault.method == request.method and fault.path_part in request.path:
                fault.times -= 1
                return web.json_response({"message": "injected failure"}, status=fault.status)
        return await handler(request)

    @staticmethod
    def _missing() -> web.Response:
        return web.json_response({"message": "Not found"}, status=404)

    async def list_menus(self, request: web.Request) -> web.Response:
        ch: Channel = request[CHANNEL]
        return web.json_response({"richmenus": list(ch.menus.values())})

    async def create_menu(self, request: web.Request) -> web.Response:
        ch: Channel = request[CHANNEL]
        body = await request.json()
        if not body.get("areas") or len(body["areas"]) > 20 or len(body.get("chatBarText", "")) > 14:
            return web.json_response({"message": "The request body has 1 error(s)"}, status=400)
        for area in body["areas"]:
            b = area["bounds"]
            if b["x"] + b["width"] > body["size"]["width"] or b["y"] + b["height"] > body["size"]["height"]:
                return web.json_response({"message": "area out of bounds"}, status=400)
        ch.counter += 1
        rid = f"richmenu-{ch.counter:032x}"
        ch.menus[rid] = {"richMenuId": rid, **body}
        return web.json_response({"richMenuId": rid})

    async def get_menu(self, request: web.Request) -> web.Response:
        menu = request[CHANNEL].menus.get(request.match_info["id"])
        return web.json_response(menu) if menu else self._missing()

    async def delete_menu(self, request: web.Request) -> web.Response:
        ch: Channel = request[CHANNEL]
        rid = request.match_info["id"]
        if ch.menus.pop(rid, None) is None:
            return self._missing()
        ch.images.pop(rid, None)
        ch.links = {u: m for u, m in ch.links.items() if m != rid}
        if ch.default == rid:
            ch.default = None
        return web.json_response({})

    async def set_image(self, request: web.Request) -> web.Response:
        ch: Channel = request[CHANNEL]
        rid = request.match_info["id"]
        if rid not in ch.menus:
            return self._missing()
        if rid in ch.images:
            return web.json_response({"message": "An image has already been uploaded to the richmenu"}, status=400)
        if request.content_type not in ("image/png", "image/jpeg"):
            return web.json_response({"message": "unsupported content type"}, status=415)
        ch.images[rid] = await request.read()
        return web.json_response({})

    async def get_image(self, request: web.Request) -> web.Response:
        data = request[CHANNEL].images.get(request.match_info["id"])
        return web.Response(body=data, content_type="image/png") if data else self._missing()

    async def list_aliases(self, request: web.Request) -> web.Response:
        ch: Channel = request[CHANNEL]
        return web.json_response({"aliases": [{"richMenuAliasId": a, "richMenuId": m} for a, m in ch.aliases.items()]})

    async def create_alias(self, request: web.Request) -> web.Response:
        ch: Channel = request[CHANNEL]
        body = await request.json()
        if body["richMenuAliasId"] in ch.aliases:
            return web.json_response({"message": "conflict richmenu alias id"}, status=400)
        if body["richMenuId"] not in ch.menus:
            return web.json_response({"message": "richmenu not found"}, status=400)
        ch.aliases[body["richMenuAliasId"]] = body["richMenuId"]
        return web.json_response({})

    async def update_alias(self, request: web.Request) -> web.Response:
        ch: Channel = request[CHANNEL]
        alias = request.match_info["alias"]
        body = await request.json()
        if alias not in ch.aliases:
            return self._missing()
        ch.aliases[alias] = body["richMenuId"]
        return web.json_response({})

    async def delete_alias(self, request: web.Request) -> web.Response:
        ch: Channel = request[CHANNEL]
        if ch.aliases.pop(request.match_info["alias"], None) is None:
            return self._missing()
        return web.json_response({})

    async def bulk_link(self, request: web.Request) -> web.Response:
        ch: Channel = request[CHANNEL]
        body = await request.json()
        if body["richMenuId"] not in ch.menus or not 1 <= len(body["userIds"]) <= 500:
            return web.json_response({"message": "bad request"}, status=400)
        for user in body["userIds"]:
            ch.links[user] = body["richMenuId"]
        return web.json_response({}, status=202)

    async def bulk_unlink(self, request: web.Request) -> web.Response:
        ch: Channel = request[CHANNEL]
        for user in (await request.json())["userIds"]:
            ch.links.pop(user, None)
        return web.json_response({}, status=202)

    async def get_default(self, request: web.Request) -> web.Response:
        ch: Channel = request[CHANNEL]
        return web.json_response({"richMenuId": ch.default}) if ch.default else self._missing()

    async def set_default(self, request: web.Request) -> web.Response:
        ch: Channel = request[CHANNEL]
        rid = request.match_info["id"]
        if rid not in ch.menus or rid not in ch.images:
            return web.json_response({"message": "must upload richmenu image before applying it to user"},
                                     status=400)
        ch.default = rid
        return web.json_response({})

    async def cancel_default(self, request: web.Request) -> web.Response:
        request[CHANNEL].default = None
        return web.json_response({})

    async def link(self, request: web.Request) -> web.Response:
        ch: Channel = request[CHANNEL]
        rid = request.match_info["id"]
        if rid not in ch.menus:
            return self._missing()
        ch.links[request.match_info["user"]] = rid
        return web.json_response({})

    async def unlink(self, request: web.Request) -> web.Response:
        request[CHANNEL].links.pop(request.match_info["user"], None)
        return web.json_response({})

    async def menu_of_user(self, request: web.Request) -> web.Response:
        ch: Channel = request[CHANNEL]
        rid = ch.links.get(request.match_info["user"]) or ch.default
        return web.json_response({"richMenuId": rid}) if rid else self._missing()

    def shown_to(self, account: str, user: str) -> dict[str, Any] | None:
        """The menu a user sees: their linked one, else the default (as LINE decides)."""
        ch = self.channels[account]
        rid = ch.links.get(user) or ch.default
        return ch.menus.get(rid) if rid else None

    def dump(self, account: str) -> str:
        ch = self.channels[account]
        return json.dumps({"menus": list(ch.menus), "aliases": ch.aliases, "default": ch.default}, indent=1)
