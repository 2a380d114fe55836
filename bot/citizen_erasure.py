"""Wiring of the citizen erasure (``admin_api.citizen_views``): the inbox store and LINE, which the
view reaches through ports (civic and admin_api import nothing of the bot)."""

from __future__ import annotations

from aiohttp import web

from admin_api.citizen_views import MenuUnlinker, citizen_router
from admin_api.routing import ApiRouter
from bot.appkeys import CLOCK, DATABASE, INBOX_DATABASE, PUBLISHER
from bot.inbox.erasure import erase_inbox_events
from richmenus.publish import RichMenuPublisher


def menu_unlinker(publisher: RichMenuPublisher) -> MenuUnlinker:
    """Unlinks a user's rich menu at LINE through the publisher's API clients (per account)."""

    async def unlink(account: str, user_id: str) -> None:
        async with publisher.apis(account) as line:
            await line.messaging.unlink_rich_menu_id_from_user(user_id)

    return unlink


def citizen_erasure_router(app: web.Application) -> ApiRouter:
    async def erase_inbox(user_id: str, apply: bool) -> int:
        return await erase_inbox_events(app[INBOX_DATABASE], user_id, apply=apply)

    async def unlink(account: str, user_id: str) -> None:
        await menu_unlinker(app[PUBLISHER])(account, user_id)  # the publisher is made with the app

    return citizen_router(app[DATABASE], app[CLOCK], erase_inbox=erase_inbox, unlink=unlink)
