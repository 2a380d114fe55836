"""Wiring of the citizen erasure (``admin_api.citizen_views``): the inbox store and LINE, which the
view reaches through ports (civic and admin_api import nothing of the bot)."""

from __future__ import annotations

from admin_api.citizen_views import MenuUnlinker, citizen_router
from admin_api.routing import ApiRouter
from bot.inbox.erasure import erase_inbox_events
from civic.clock import Clock
from civic.database import Database
from richmenus.publish import RichMenuPublisher


def menu_unlinker(publisher: RichMenuPublisher) -> MenuUnlinker:
    """Unlinks a user's rich menu at LINE through the publisher's API clients (per account)."""

    async def unlink(account: str, user_id: str) -> None:
        async with publisher.apis(account) as line:
            await line.messaging.unlink_rich_menu_id_from_user(user_id)

    return unlink


def citizen_erasure_router(db: Database, inbox: Database, clock: Clock, publisher: RichMenuPublisher) -> ApiRouter:
    async def erase_inbox(user_id: str, apply: bool) -> int:
        return await erase_inbox_events(inbox, user_id, apply=apply)

    return citizen_router(db, clock, erase_inbox=erase_inbox, unlink=menu_unlinker(publisher))
