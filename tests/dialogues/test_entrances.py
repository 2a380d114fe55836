"""The router reads how flows are entered from their declarations (``Flow.entrance``) and acts on
an intent only as surely as the town's ``ConfidencePolicy`` asks."""

from __future__ import annotations

from typing import Any

from civic.clock import FrozenClock
from conversation.policy import ConfidencePolicy
from conversation.turn import Turn
from dialogues.engine import Context, Engine, Entry, Flow, state
from dialogues.faq import FaqFlow
from dialogues.handler import DialogueHandler
from dialogues.services import Services
from tests.dialogues.conftest import START

USER = "web:" + "2" * 32


class ParcelFlow(Flow):
    """A flow only this test knows: every way in is declared, none is written in the router."""

    name = "parcel"
    title = "小包の受け取り"
    entrance = Entry(actions=frozenset({"parcel", "pickup"}), intents=frozenset({"parcel_pickup"}),
                     postbacks=("parcel",), text_hook=True, location=True)

    async def start(self, ctx: Context, **params: Any) -> None:
        ctx.ask("where", {"type": "text", "text": f"小包の受け取りを始めます（{sorted(params)}）。"})

    @state("where")
    async def where(self, ctx: Context) -> bool:
        return False

    async def on_postback(self, ctx: Context, postback: dict[str, str], engine: Engine) -> bool:
        ctx.say({"type": "text", "text": f"小包 {postback['parcel']} の状況です。"})
        engine.resume_after_answer(ctx)
        return True

    async def on_text(self, ctx: Context, text: str, engine: Engine) -> bool:
        if "不在票" not in text:
            return False
        await engine.start(ctx, self.name, slip=text)
        return True


def nlu(intent: str, confidence: float, text: str) -> dict[str, Any]:
    return {"nlu": {"text": text, "intent": {"name": intent, "confidence": confidence}, "intent_ranking": [],
                    "entities": []}}


async def turn(handler: DialogueHandler, db, event: dict[str, Any], state: dict[str, Any],
               prepared: Any = None) -> Turn:
    async with db.write() as s:
        t = Turn("web", USER, event, START, s, state, prepared=prepared)
        await handler.handle(t)
    return t


def text(body: str) -> dict[str, Any]:
    return {"type": "message", "message": {"type": "text", "id": "m1", "text": body}}


def postback(data: str) -> dict[str, Any]:
    return {"type": "postback", "postback": {"data": data}}


def said(t: Turn) -> str:
    return "\n".join(str(r.get("text", "")) for r in t.replies)


async def test_declared_actions_postbacks_text_hooks_and_locations_reach_the_flow(knowledge, sqlite_db) -> None:
    handler = DialogueHandler(Services(knowledge, clock=FrozenClock(START)), flows=[FaqFlow, ParcelFlow])
    state: dict[str, Any] = {}
    started = await turn(handler, sqlite_db, postback("action=pickup"), state)
    assert started.flow == "parcel" and "小包の受け取りを始めます（[]）" in said(started)
    answered = await turn(handler, sqlite_db, postback("parcel=A-12"), state)
    assert "小包 A-12 の状況です" in said(answered) and "（「小包の受け取り」の続きです）" in said(answered)
    hooked = await turn(handler, sqlite_db, text("不在票が入っていました"), {})
    assert "小包の受け取りを始めます（['slip']）" in said(hooked)
    located = await turn(handler, sqlite_db, {"type": "message", "message": {
        "type": "location", "latitude": 35.0, "longitude": 135.0}}, {})
    assert "小包の受け取りを始めます（['location']）" in said(located)
    unknown = await turn(handler, sqlite_db, postback("mail=1"), {})
    assert "この操作はいまは使えません" in said(unknown)


async def test_an_intent_starts_a_flow_only_as_surely_as_the_policy_asks(knowledge, sqlite_db) -> None:
    sure_enough = DialogueHandler(Services(knowledge, clock=FrozenClock(START)), flows=[FaqFlow, ParcelFlow])
    strict = DialogueHandler(Services(knowledge, clock=FrozenClock(START), policy=ConfidencePolicy(start_flow=0.9)),
                             flows=[FaqFlow, ParcelFlow])
    words = "ぴよぴよ"  # what the NLU says of it is faked: only the confidence differs
    started = await turn(sure_enough, sqlite_db, text(words), {}, nlu("parcel_pickup", 0.6, words))
    assert started.flow == "parcel" and "小包の受け取りを始めます（['text']）" in said(started)
    not_started = await turn(strict, sqlite_db, text(words), {}, nlu("parcel_pickup", 0.6, words))
    assert not_started.flow is None and "小包の受け取り" not in said(not_started)
    assert not_started.replies  # answered all the same (the FAQ's apology), never silence
