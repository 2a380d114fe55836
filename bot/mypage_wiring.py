"""The my-page's parts that need the service: what follows a citizen's own erasure (the inbox
store's events, the rich-menu link at LINE — as the staff API's erasure does) and the hourly purge."""

from __future__ import annotations

import logging

from bot.citizen_erasure import menu_unlinker
from bot.inbox.erasure import erase_inbox_events
from civic.citizens.erasure import Erasure
from civic.clock import Clock
from civic.database import Database
from civic.mypage.identity import purge_expired
from liff.mypage.deps import AfterErasure
from richmenus.publish import RichMenuPublisher

log = logging.getLogger(__name__)


def after_self_erasure(inbox: Database, publisher: RichMenuPublisher | None) -> AfterErasure:
    unlink = menu_unlinker(publisher) if publisher is not None else None

    async def after(erasure: Erasure, user_id: str) -> None:
        try:
            await erase_inbox_events(inbox, user_id, apply=True)
            for account, uid in erasure.line_unlinks:
                if unlink is not None:
                    await unlink(account, uid)
        except Exception:  # the main erasure has committed; staff can repeat the rest from the console
            log.exception("my-page erasure: the inbox or LINE part failed")

    return after


async def purge_mypage_sign_ins(db: Database, clock: Clock) -> int:
    async with db.write() as s:
        return await purge_expired(s, clock.now())
