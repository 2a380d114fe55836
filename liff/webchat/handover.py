"""有人チャット in the web chat (issue #17): the web chat answers only in the HTTP answer to the
citizen's own message, so staff replies (recorded in ``handover_message``; there is no LINE push to
a web session) are fetched by the page: ``GET api/handover?session=…&after=…`` while a hand-over is
open. The session id (128 random bits in the page's localStorage) is what entitles the page to its
own conversation, as it does for the conversation state."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from civic.database import Database
from civic.handover.models import CLOSED, STAFF, Handover, HandoverMessage
from civic.handover.services import CLOSED_TEXT, rating_actions


async def latest(db: Database, user: str) -> Handover | None:
    async with db.read() as s:
        return (await s.exec(select(Handover).where(Handover.channel_user_id == user)
                             .order_by(col(Handover.id).desc()))).first()


async def is_open(db: Database, user: str) -> bool:
    row = await latest(db, user)
    return row is not None and row.status != CLOSED


async def updates(db: Database, user: str, after: int) -> dict[str, Any]:
    """Staff replies after message ``after`` in the session's latest hand-over, as LINE-like text
    messages; when staff closed it, the closing message with the 満足／不満 buttons."""
    row = await latest(db, user)
    if row is None or row.id is None:
        return {"open": False, "last": after, "messages": []}
    async with db.read() as s:
        found = (await s.exec(select(HandoverMessage).where(HandoverMessage.handover_id == row.id,
                                                            HandoverMessage.author == STAFF,
                                                            col(HandoverMessage.id) > after)
                              .order_by(col(HandoverMessage.id)))).all()
    messages: list[dict[str, Any]] = [{"type": "text", "text": f"【職員より】\n{m.text}"} for m in found]
    last = max([after, *(m.id or 0 for m in found)])
    if row.status == CLOSED and row.closed_by == STAFF:
        messages.append({"type": "text", "text": CLOSED_TEXT, "quickReply": {"items": [
            {"type": "action", "action": {"type": "postback", "label": a.label, "data": a.data, "displayText": a.label}}
            for a in rating_actions(row.id)]}})
    return {"open": row.status != CLOSED, "last": last, "messages": messages}
