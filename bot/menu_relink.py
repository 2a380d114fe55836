"""``MenuRelinker``: a citizen's rich menu relinked once the turn that changed their attributes commits.

A citizen who answers a registration form in the chat may move into or out of a segment with a menu
of its own. The form flow saves the answers in the turn's transaction (``turn.session``) and asks
``relink_after_commit``; the LINE call (``RichMenuPublisher.relink_citizen``, the same the LIFF
forms page calls after saving) runs only once that transaction has committed, in a task of its own:
never for a rolled-back turn, never inside the transaction (it holds the write lock), never in the
turn's way. A failure (LINE down) is logged and not retried — the citizen keeps the menu they had
until the next relink or publish, which reconcile every link. Implements
``dialogues.services.CitizenMenus``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import event
from sqlmodel.ext.asyncio.session import AsyncSession

log = logging.getLogger(__name__)


class MenuRelinker:
    def __init__(self, relink: Callable[[str], Awaitable[None]]) -> None:
        self.relink = relink
        self._tasks: set[asyncio.Task[None]] = set()

    def relink_after_commit(self, session: AsyncSession, channel_user_id: str) -> None:
        """Relink ``channel_user_id``'s menu when ``session``'s transaction commits; nothing if it rolls back."""

        def after_commit(_session: object) -> None:
            task = asyncio.get_running_loop().create_task(self._relink(channel_user_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        event.listen(session.sync_session, "after_commit", after_commit, once=True)

    async def _relink(self, channel_user_id: str) -> None:
        try:
            await self.relink(channel_user_id)
        except Exception:
            log.warning("rich menu of %s not relinked after their answers; the next relink or publish fixes it",
                        channel_user_id[:6], exc_info=True)

    async def drain(self) -> None:
        """Wait for the relinks under way (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
