"""Changes to the talk log besides appending to it: forgetting a message the citizen took back."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.talklog.models import TalkEntry

UNSENT = "unsent"
#: What replaces an unsent text where the bot's own answers quoted it.
UNSENT_MARK = "（取り消されたメッセージ）"
#: Shorter texts (はい, 本町) are not searched for in the bot's answers: they would match everywhere.
MIN_QUOTED = 4


async def message_text(session: AsyncSession, channel_user_id: str, message_id: str) -> tuple[str, datetime] | None:
    """The text of the citizen's message ``message_id`` and when its turn ran (None: not a text)."""
    row = (await session.exec(select(TalkEntry).where(
        TalkEntry.channel_user_id == channel_user_id, TalkEntry.message_id == message_id,
        TalkEntry.direction == "in"))).first()
    return (row.text, row.at) if row is not None and row.text else None


async def forget_message(session: AsyncSession, channel_user_id: str, message_id: str) -> int:
    """A message the citizen took back (LINE's 送信取消): its text leaves the talk log (the row stays,
    as ``unsent``, so the conversation still reads in order), and where the bot's answers since
    quoted it (「…」付近として受け付けます, a confirmation) the quote is replaced. Returns the rows changed."""
    rows = (await session.exec(select(TalkEntry).where(
        TalkEntry.channel_user_id == channel_user_id, TalkEntry.message_id == message_id,
        TalkEntry.direction == "in"))).all()
    changed = 0
    for row in rows:
        quoted = (row.text or "").strip()
        if len(quoted) >= MIN_QUOTED:
            answers = (await session.exec(select(TalkEntry).where(
                TalkEntry.channel_user_id == channel_user_id, TalkEntry.direction == "out",
                col(TalkEntry.at) >= row.at))).all()
            for answer in answers:
                if answer.text and quoted in answer.text:
                    answer.text = answer.text.replace(quoted, UNSENT_MARK)
                    session.add(answer)
                    changed += 1
        row.text, row.kind = None, UNSENT
        session.add(row)
        changed += 1
    return changed
