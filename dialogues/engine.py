"""The dialogue engine: a flow is a set of named states with one handler per state.

Modelled on python-telegram-bot's ``ConversationHandler`` and aiogram's FSM: each flow declares
its states with ``@state``; a state handler returns ``True`` when it understood the input and
``False`` when it did not, in which case the caller (``dialogues.handler``) tries the input as an
interruption (an unrelated question, another flow) and otherwise re-prompts (the catch-all).

Everything the engine remembers lives in ``turn.state`` — a JSON dict the turn processor loads
and saves in the turn's own transaction, under the inbox's per-user ordering — so a flow
survives restarts and two messages of one citizen never race::

    {"flow": {"name", "state", "data", "prompt", "at",    # the active flow ("reminded": its
              "reminded"},                                #  prompt was repeated after an aside)
     "suspended": {...},                                  # a flow interrupted by another one
     "memory": {...}}                                     # what we keep for the citizen (their area)

A flow untouched for longer than its timeout (30 minutes unless the flow or the service says
otherwise; ``DIALOGUE_TIMEOUT_MINUTES``) is dropped on the citizen's next turn, with a polite note —
an interrupted (suspended) one too, its timeout counting from the interruption: an abandoned flow
never comes back, whichever way the conversation goes on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from civic.clock import TOKYO, utc
from conversation.events import InboundEvent
from conversation.turn import Turn
from dialogues.messages import Message

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from dialogues.services import Services

DEFAULT_TIMEOUT = timedelta(minutes=30)


StateHandler = Callable[[Any, "Context"], Awaitable[bool]]


@dataclass(frozen=True)
class StateSpec:
    name: str
    handler: StateHandler
    #: The state takes any text (a description, an address): interruptions are checked first.
    free_text: bool = False
    #: What the catch-all says before repeating the prompt.
    hint: str = ""


def state(name: str, *, free_text: bool = False, hint: str = "") -> Callable[[StateHandler], StateHandler]:
    def register(fn: StateHandler) -> StateHandler:
        vars(fn)["__dialogue_state__"] = StateSpec(name, fn, free_text, hint)  # read by Flow.__init_subclass__
        return fn

    return register


@dataclass(frozen=True)
class Entry:
    """How a flow is entered: the router (``dialogues.handler``) reads these declarations.

    * ``actions``: rich-menu and button postbacks ``action=<value>`` that start the flow (its
      name when not declared). Pressed again while the flow runs, the citizen is offered to go on
      or to start over; with ``action_params`` the flow starts afresh each time, with those
      fields of the postback (``action=form&key=…``).
    * ``intents``: NLU intents that start the flow from a free text, or interrupt another flow.
    * ``postbacks``: postback fields (``faq=…``) the flow answers at any time, inside another flow
      or not, in ``Flow.on_postback``.
    * ``text_hook``: a text outside any flow is offered to ``Flow.on_text`` before the NLU decides.
    * ``location``: a location sent outside any flow starts the flow with it.
    """

    actions: frozenset[str] | None = None
    action_params: tuple[str, ...] = ()
    intents: frozenset[str] = frozenset()
    postbacks: tuple[str, ...] = ()
    text_hook: bool = False
    location: bool = False


class Flow:
    """Subclass per flow; declare ``name``, ``title``, ``entrance``, ``start`` and ``@state`` handlers."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    #: How the flow is entered (``Entry``).
    entrance: ClassVar[Entry] = Entry()
    #: None: the service default.
    timeout: ClassVar[timedelta | None] = None
    #: Whether another flow may suspend this one (and it resumes afterwards).
    resumable: ClassVar[bool] = True
    #: NLU intents that belong to this flow: never taken as an interruption while it runs.
    owns: ClassVar[frozenset[str]] = frozenset()
    #: Words the flow takes itself (手続きナビ's 「戻る」): never taken as a stop, whatever the NLU says.
    own_words: ClassVar[frozenset[str]] = frozenset()
    #: Whether a timed-out flow is mentioned on the next turn (a half-written report is; a
    #: garbage lookup the citizen simply walked away from is not).
    notify_timeout: ClassVar[bool] = True
    states: ClassVar[dict[str, StateSpec]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: dict[str, StateSpec] = {}
        for klass in reversed(cls.__mro__):
            for value in vars(klass).values():
                spec = getattr(value, "__dialogue_state__", None)
                if isinstance(spec, StateSpec):
                    found[spec.name] = spec
        cls.states = found

    def __init__(self, services: Services) -> None:
        self.services = services

    async def start(self, ctx: Context, **params: Any) -> None:
        raise NotImplementedError

    @classmethod
    def actions(cls) -> frozenset[str]:
        """The ``action=…`` values that start this flow."""
        return cls.entrance.actions if cls.entrance.actions is not None else frozenset({cls.name})

    async def on_postback(self, ctx: Context, postback: dict[str, str], engine: Engine) -> bool:
        """A postback with one of ``entrance.postbacks``, at any time. True: answered."""
        return False

    async def on_text(self, ctx: Context, text: str, engine: Engine) -> bool:
        """A text outside any flow (``entrance.text_hook``). True: taken."""
        return False

    async def on_cancel(self, ctx: Context) -> None:
        """Clean up what the flow stored on the way (drafts); the state is dropped afterwards."""

    async def on_unsend(self, ctx: Context, record: dict[str, Any], message_id: str) -> None:
        """The citizen took back message ``message_id`` (LINE's 送信取消): drop what the flow kept of
        it in ``record`` (the active or the suspended flow: its data, a stored draft, a prompt that
        quotes it). Nothing is said: an unsend has no reply token."""

    async def fallback(self, ctx: Context) -> bool:
        """The catch-all of this flow, after the input was neither understood nor an interruption.
        False: the engine's default (the state's hint and the last prompt again)."""
        return False

    def step_help(self, ctx: Context) -> str:
        """One line on what the current step needs (shown for ヘルプ inside the flow)."""
        spec = self.states.get(ctx.flow_state or "")
        return spec.hint if spec and spec.hint else ""


class Store:
    """Typed access to the JSON state of one citizen."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    @property
    def flow(self) -> dict[str, Any] | None:
        value = self.raw.get("flow")
        return value if isinstance(value, dict) and value.get("name") else None

    @property
    def suspended(self) -> dict[str, Any] | None:
        value = self.raw.get("suspended")
        return value if isinstance(value, dict) and value.get("name") else None

    @property
    def memory(self) -> dict[str, Any]:
        value = self.raw.get("memory")
        if not isinstance(value, dict):
            value = self.raw["memory"] = {}
        return value

    def set_flow(self, record: dict[str, Any] | None) -> None:
        if record is None:
            self.raw.pop("flow", None)
        else:
            self.raw["flow"] = record

    def suspend(self) -> None:
        if self.flow is not None:
            self.raw["suspended"] = self.flow
        self.raw.pop("flow", None)

    def take_suspended(self) -> dict[str, Any] | None:
        record = self.suspended
        self.raw.pop("suspended", None)
        return record

    @staticmethod
    def touched(record: dict[str, Any]) -> datetime | None:
        try:
            return utc(datetime.fromisoformat(str(record.get("at"))))
        except ValueError:
            return None


class Context:
    """What a flow's handlers see: the input, the flow's data, and ways to answer and move on."""

    def __init__(self, turn: Turn, services: Services, store: Store) -> None:
        self.turn = turn
        self.services = services
        self.store = store
        self._nlu: dict[str, Any] | None = None
        self.finished = False
        self.cancelled = False
        #: A rich-menu action to start once this input is handled (a scenario option leading to a flow).
        self.then: str | None = None
        #: How the input was answered, for the talk log's intent when the NLU could not place it
        #: (``flow_answer``: a flow's question was answered; ``faq``, ``garbage_lookup`` …).
        self.answered_as: str | None = None
        #: The bot could not answer (an apology, the question recorded for staff).
        self.fell_back = False
        #: The town's 防災モード for this turn (``civic.disaster``: normal / alert / disaster).
        self.mode = "normal"

    # -- input --------------------------------------------------------------------------------
    @property
    def now(self) -> datetime:
        return self.turn.now

    @property
    def local_now(self) -> datetime:
        return utc(self.turn.now).astimezone(TOKYO)

    @property
    def session(self) -> AsyncSession:
        return self.turn.session

    @property
    def inbound(self) -> InboundEvent:
        return self.turn.inbound

    @property
    def message_type(self) -> str | None:
        """The type of the message the citizen sent (None when the input is not a message)."""
        return self.inbound.message_type

    @property
    def message_id(self) -> str | None:
        return self.inbound.message_id

    @property
    def text(self) -> str | None:
        text = self.inbound.text
        return text.strip() if text is not None else None

    @property
    def postback(self) -> dict[str, str]:
        """The postback's fields (``{}`` when the input is not a postback)."""
        pb = self.inbound.postback
        return dict(pb.fields) if pb is not None else {}

    @property
    def postback_params(self) -> dict[str, str]:
        pb = self.inbound.postback
        return dict(pb.params) if pb is not None else {}

    @property
    def location(self) -> dict[str, Any] | None:
        place = self.inbound.location
        if place is None:
            return None
        return {"latitude": place.latitude, "longitude": place.longitude, "address": place.address,
                "title": place.title}

    @property
    def is_image(self) -> bool:
        return self.message_type == "image"

    @property
    def image(self) -> bytes | None:
        return self.turn.content if self.is_image else None

    async def nlu(self) -> dict[str, Any]:
        """The NLU parse of the text (cached for the turn); an empty parse for non-text input."""
        if self._nlu is None:
            text = self.text
            prepared = self.turn.prepared
            if text and isinstance(prepared, dict) and isinstance(prepared.get("nlu"), dict):
                self._nlu = prepared["nlu"]  # parsed before the transaction (DialogueHandler.prepare)
            elif text:
                self._nlu = self.services.knowledge.interpreter.parse(text, now=self.local_now)
            else:
                self._nlu = {"text": "", "intent": {"name": None, "confidence": 0.0}, "intent_ranking": [],
                             "entities": []}
            if self._nlu["intent"]["name"]:
                self.turn.intent = self._nlu["intent"]["name"]
        return self._nlu

    async def entity(self, name: str) -> str | None:
        for e in (await self.nlu())["entities"]:
            if e.get("entity") == name:
                return str(e.get("value"))
        return None

    # -- state --------------------------------------------------------------------------------
    @property
    def memory(self) -> dict[str, Any]:
        return self.store.memory

    @property
    def data(self) -> dict[str, Any]:
        flow = self.store.flow
        if flow is None:
            raise RuntimeError("no active flow")
        return flow.setdefault("data", {})

    @property
    def flow_name(self) -> str | None:
        flow = self.store.flow
        return flow["name"] if flow else None

    @property
    def flow_state(self) -> str | None:
        flow = self.store.flow
        return flow.get("state") if flow else None

    # -- output -------------------------------------------------------------------------------
    def say(self, *messages: Message) -> None:
        self.turn.say(*messages)

    def ask(self, state_name: str, *messages: Message, lead: str = "") -> None:
        """Move to ``state_name`` and ask for its input. The prompt (without ``lead``, the line that
        acknowledges the previous answer) is kept, to be repeated when the flow resumes."""
        flow = self.store.flow
        if flow is None:
            raise RuntimeError("ask() outside a flow")
        flow["state"] = state_name
        flow["prompt"] = list(messages)
        flow["at"] = self.now.isoformat()
        self.turn.flow = flow["name"]
        self.say(*with_lead(list(messages), lead))

    def finish(self, *messages: Message) -> None:
        """The flow is done; the engine resumes a suspended flow afterwards, if any."""
        self.store.set_flow(None)
        self.finished = True
        self.say(*messages)


async def _cancel_record(ctx: Context, flow: Flow, record: dict[str, Any], kind: str) -> None:
    """``flow.on_cancel`` for ``record`` (the active or the suspended flow), then forget it."""
    if kind == "suspended":
        active = ctx.store.raw.pop("flow", None)
        ctx.store.set_flow(ctx.store.take_suspended())  # on_cancel sees the suspended flow's data
        try:
            await flow.on_cancel(ctx)
        finally:
            ctx.store.set_flow(active)
        return
    await flow.on_cancel(ctx)
    ctx.store.set_flow(None)


def with_lead(messages: list[Message], lead: str) -> list[Message]:
    """``lead`` on its own line before the first text message (or as a message of its own)."""
    lead = lead.strip()
    if not lead:
        return messages
    if messages and messages[0].get("type") == "text":
        return [{**messages[0], "text": f"{lead}\n{messages[0]['text']}"}, *messages[1:]]
    return [{"type": "text", "text": lead}, *messages]


@dataclass
class Engine:
    """Starts, dispatches, cancels and resumes flows on a ``Store``."""

    flows: dict[str, Flow]
    timeout: timedelta = DEFAULT_TIMEOUT

    def flow_timeout(self, name: str) -> timedelta:
        flow = self.flows.get(name)
        return (flow.timeout if flow and flow.timeout else None) or self.timeout

    def expired(self, record: dict[str, Any], now: datetime) -> bool:
        touched = Store.touched(record)
        return touched is None or now - touched > self.flow_timeout(record["name"])

    def title(self, name: str) -> str:
        flow = self.flows.get(name)
        return flow.title if flow else name

    async def start(self, ctx: Context, name: str, **params: Any) -> None:
        """Start flow ``name``; an active resumable flow of another kind is suspended (its timeout
        counts from now: being interrupted is the citizen's last step in it)."""
        current = ctx.store.flow
        if current is not None:
            other = self.flows.get(current["name"])
            if current["name"] != name and other is not None and other.resumable:
                current["at"] = ctx.now.isoformat()
                ctx.store.suspend()
            else:
                if other is not None:
                    await other.on_cancel(ctx)
                ctx.store.set_flow(None)
        ctx.store.set_flow({"name": name, "state": None, "data": {}, "prompt": [], "at": ctx.now.isoformat()})
        ctx.turn.flow = name
        await self.flows[name].start(ctx, **params)
        await self.after(ctx)

    async def dispatch(self, ctx: Context) -> bool:
        """Give the input to the active flow's current state. False: not understood."""
        record = ctx.store.flow
        if record is None:
            return False
        flow = self.flows.get(record["name"])
        spec = flow.states.get(record.get("state") or "") if flow else None
        if flow is None or spec is None:
            ctx.store.set_flow(None)  # a flow or state that no longer exists (after an upgrade)
            return False
        ctx.turn.flow = record["name"]
        understood = await spec.handler(flow, ctx)
        if understood:
            current = ctx.store.flow
            if current is not None:
                current["at"] = ctx.now.isoformat()
                current.pop("reminded", None)  # answered: the next interruption reminds again
            await self.after(ctx)
        return understood

    def spec(self, record: dict[str, Any]) -> StateSpec | None:
        flow = self.flows.get(record["name"])
        return flow.states.get(record.get("state") or "") if flow else None

    async def cancel(self, ctx: Context) -> str | None:
        """Leave the active flow. Returns its title (None when there was none)."""
        record = ctx.store.flow
        if record is None:
            return None
        flow = self.flows.get(record["name"])
        if flow is not None:
            await flow.on_cancel(ctx)
        ctx.store.set_flow(None)
        ctx.cancelled = True
        return self.title(record["name"])

    async def drop_expired(self, ctx: Context) -> list[str]:
        """Drop the active flow and the suspended one when past their timeout, cleaning up their
        drafts: an abandoned flow never resumes, not even when the flow that interrupted it ends.
        Returns the titles to mention (flows with ``notify_timeout``), the interrupted one first."""
        dropped: list[str] = []
        for record, kind in ((ctx.store.suspended, "suspended"), (ctx.store.flow, "flow")):
            if record is None or not self.expired(record, ctx.now):
                continue
            flow = self.flows.get(record["name"])
            if flow is not None:
                await _cancel_record(ctx, flow, record, kind)
            if flow is None or flow.notify_timeout:
                dropped.append(self.title(record["name"]))
        return dropped

    def resume_prompt(self, ctx: Context, lead: str) -> list[Message]:
        """The active flow's last prompt, introduced by ``lead``; touches the flow."""
        record = ctx.store.flow
        if record is None:
            return []
        record["at"] = ctx.now.isoformat()
        prompt = [dict(m) for m in record.get("prompt") or []]
        return with_lead(prompt, lead) if prompt else []

    def resume_after_answer(self, ctx: Context) -> None:
        """After answering something else inside a flow (a question, a button of an older
        message): the flow's last prompt again, so the citizen knows where they were — once. A
        citizen who goes on asking other things has moved on: repeating the prompt after every
        answer nags, so it is said again only after they have answered the flow in between (the
        flow stays open until its timeout and still takes the answer)."""
        record = ctx.store.flow
        if record is None:
            return
        if record.get("reminded"):
            record["at"] = ctx.now.isoformat()
            return
        record["reminded"] = True
        ctx.say(*self.resume_prompt(ctx, f"（「{self.title(record['name'])}」の続きです）"))

    async def after(self, ctx: Context) -> None:
        """When a flow has just ended and another was suspended, bring that one back."""
        if ctx.store.flow is not None:
            return
        record = ctx.store.take_suspended()
        if record is None or self.expired(record, ctx.now) or record["name"] not in self.flows:
            return
        record.pop("reminded", None)
        ctx.store.set_flow(record)
        ctx.say(*self.resume_prompt(ctx, f"先ほどの「{self.title(record['name'])}」の続きです。"))
