"""A turn: one inbound event of one citizen, handled inside the turn's own transaction.

``Turn`` is what a ``TurnHandler`` sees and changes, whatever the channel (LINE's turn worker in
``bot.turn``, the web chat in ``liff.webchat``). The event arrives parsed (``turn.inbound``, an
``InboundEvent``); ``turn.event`` is the channel's own payload, which only the channel's edge reads.
"""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from civic.citizens.models import Citizen
from conversation.events import InboundEvent

Message = dict[str, Any]


@dataclass
class Turn:
    """What a handler sees and changes. ``session`` is the turn's own transaction."""

    channel: str
    user_id: str | None
    #: The channel's payload as received (LINE's webhook event): for the channel's edge only.
    event: dict[str, Any]
    now: datetime
    session: AsyncSession
    state: dict[str, Any]
    citizen: Citizen | None = None
    content: bytes | None = None  # the bytes of an image the citizen sent, when there is one
    #: What the handler's ``prepare`` computed for this event outside the transaction (e.g. NLU).
    prepared: Any = None
    replies: list[Message] = field(default_factory=list)
    intent: str | None = None
    flow: str | None = None
    #: The event as the edge parsed it (parsed from ``event`` here when not given).
    parsed: InitVar[InboundEvent | None] = None
    #: The event, typed: what handlers, the dialogue engine and flows read.
    inbound: InboundEvent = field(init=False)

    def __post_init__(self, parsed: InboundEvent | None) -> None:
        self.inbound = parsed or InboundEvent.of(self.event)

    def say(self, *messages: Message) -> None:
        self.replies.extend(messages)

    @property
    def event_type(self) -> str:
        return self.inbound.type

    @property
    def text(self) -> str | None:
        return self.inbound.text

    @property
    def postback(self) -> dict[str, Any] | None:
        """``{"data", "params"?}`` of a postback (None for other events)."""
        pb = self.inbound.postback
        if pb is None:
            return None
        return {"data": pb.data, **({"params": dict(pb.params)} if pb.params else {})}


class TurnHandler(Protocol):
    """Handles one turn inside the turn's transaction.

    A handler may also define ``async def prepare(self, event: InboundEvent) -> Any``: it runs
    before the transaction, outside the database's write lock, for work that needs no database
    (parsing the text); its result arrives as ``turn.prepared``.
    """

    async def handle(self, turn: Turn) -> None: ...


def outbound_text(message: Message) -> str | None:
    """What the talk log records of an answer."""
    if message.get("type") == "text":
        return str(message.get("text", ""))
    return message.get("altText") or f"[{message.get('type')}]"
