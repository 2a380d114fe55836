"""Before any flow: emergencies (119 / 110) and unsent messages (LINE's 送信取消).

``answer_emergency`` runs first on every text, whatever the conversation's state: a citizen in
the middle of a booking who writes 「子供が息をしていない」 gets 119 and one line of what to do, and
nothing else; the flow stays as it was. The words are data (``nlu/emergency.yml`` and the town's
``content/<town>/nlu/emergency.yml``).
"""

from __future__ import annotations

import logging

from civic.faq.services import forget_question
from civic.talklog.services import message_text
from dialogues import messages as m
from dialogues.engine import Context, Engine

log = logging.getLogger(__name__)

EMERGENCY_INTENT = "emergency"


def answer_emergency(ctx: Context) -> bool:
    """True when the text was an emergency and has been answered."""
    alarm = ctx.services.knowledge.emergency.detect(ctx.text)
    if alarm is None:
        return False
    ctx.turn.intent = EMERGENCY_INTENT
    log.warning("emergency message (%s, %s): answered with %s", alarm.kind, alarm.language, alarm.number)
    ctx.say(m.text(alarm.answer.replace("{contact}", ctx.services.town.contact)))
    return True


async def forget_unsent(ctx: Context, engine: Engine) -> None:
    """What the dialogues kept of the unsent message goes: the question in the FAQ's records and
    pending candidates, and what the active and the suspended flow hold (a report's photo). The
    turn processor clears the talk log afterwards. An unsend has no reply token: nothing is said."""
    message_id = ctx.inbound.unsent_id
    user = ctx.turn.user_id
    if not message_id or not user:
        return
    said = await message_text(ctx.session, user, message_id)
    if said is not None:
        text, at = said
        pending = ctx.memory.get("faq_pending")
        if isinstance(pending, dict) and pending.get("q") == text.strip()[:500]:
            ctx.memory.pop("faq_pending", None)
        await forget_question(ctx.session, asker=user, question=text, at=at)
    for record in (ctx.store.flow, ctx.store.suspended):
        flow = engine.flows.get(record["name"]) if record else None
        if flow is not None and record is not None:
            await flow.on_unsend(ctx, record, message_id)
