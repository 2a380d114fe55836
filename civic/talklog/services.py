"""Changes to the talk log besides appending to it."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.talklog.models import TalkEntry

UNSENT = "unsent"


async def forget_message(session: AsyncSession, channel_user_id: str, message_id: str) -> int:
    """A message the citizen took back (LINE's 送信取消): its text leaves the talk log; the row stays
    as ``unsent`` so the conversation still reads in order. Returns the rows changed."""
    table = TalkEntry.__table__  # type: ignore[attr-defined]
    result = await (await session.connection()).execute(
        sa.update(table).where(table.c.channel_user_id == channel_user_id, table.c.message_id == message_id,
                               table.c.direction == "in").values(text=None, kind=UNSENT))
    return result.rowcount or 0
