"""The citizen's counter clerk: the turn handler that routes every message to a flow or an answer.

Order for one input (see ``dialogues.mmd``):

0. an emergency (「家が火事です」「子供が息をしていない」, ``nlu.emergency``) is answered with 119 / 110
   and nothing else, whatever the state; a flow in progress stays as it was;
1. a flow untouched past its timeout is dropped (with a polite note on this turn);
2. やめる / キャンセル leaves the active flow; ヘルプ explains the step or shows the menu;
3. postbacks: the rich menu (``action=…``) starts flows; ``flow=…`` goes to that flow's state
   (a button from an older prompt gets a kind note); ``faq=…``, ``garbage=…``, ``facility=…``,
   ``scenario=…`` work at any time;
4. inside a flow, the current state's handler; if it does not understand, the input is tried as an
   interruption (another flow's request, a FAQ question, a greeting) and the flow's last prompt is
   repeated after the answer; otherwise the state's hint and prompt (the catch-all);
5. outside a flow, the NLU intent picks the flow; questions go to the FAQ, then the garbage
   dictionary; what nobody can answer is apologised for and recorded for staff.

There is always an answer and a way forward: replies outside a flow carry the main menu.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from civic.clock import TOKYO, utc
from civic.disaster.models import NORMAL
from civic.disaster.services import current_mode
from conversation.events import InboundEvent
from conversation.turn import Turn
from dialogues import booking, disaster, faq, handover, safety
from dialogues import messages as m
from dialogues.engine import Context, Engine, Flow, Store
from dialogues.facility import FacilityFlow
from dialogues.faq import FaqFlow
from dialogues.form import FormFlow, offer_on_follow
from dialogues.garbage import GarbageFlow
from dialogues.garbage_schedule import names_garbage
from dialogues.procedure import ProcedureFlow
from dialogues.report import ReportFlow
from dialogues.safety_check import SafetyCheckFlow
from dialogues.scenario import ScenarioFlow
from dialogues.services import Services
from nlu.intent_classifier import FALLBACK_INTENT

log = logging.getLogger(__name__)

#: The help menu's buttons (``action=…``), in the order of ``bot.help_responder.MENU``.
MENU_ACTIONS = ("garbage", "facility", "report", "faq", "booking", "procedure")
#: Every flow the dialogues know. A flow the town has not enabled (no booking service, no
#: procedure content) is still named by its intents and actions: 「…は現在準備中です」.
CATALOGUE: tuple[type[Flow], ...] = (FaqFlow, GarbageFlow, ReportFlow, ScenarioFlow, FacilityFlow,
                                     booking.BookingFlow, ProcedureFlow, FormFlow)
#: The talk log's intent of a text that answered the question a flow had asked.
FLOW_ANSWER = "flow_answer"
NOT_YET = {"booking": "施設の予約", "procedure": "手続きナビ", "settings": "配信の設定", "facility": "施設の検索",
           "scenario": "このご案内"}

CANCEL_WORDS = {"やめる", "やめます", "やめたい", "やめて", "止める", "キャンセル", "キャンセルします", "中止", "中止します",
                "中断", "終了", "終わり", "おわり", "もういい", "もういいです", "取り消し", "取消", "やっぱりやめる",
                "やっぱりやめます", "cancel", "stop", "quit"}
HELP_WORDS = {"ヘルプ", "help", "メニュー", "menu", "使い方", "つかいかた", "?", "？"}
_PUNCT = re.compile(r"[\s。、．，！!？?・ー〜~「」『』（）()]+")

HelpMessage = Callable[[str], dict[str, Any]]

DEFAULT_WELCOME = ("友だち追加ありがとうございます。LINE 窓口です。\n"
                   "ごみの出し方、施設の検索、道路の損傷の通報、よくある質問などを、24時間いつでもご利用いただけます。")


def _folded(text: str) -> str:
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text)).lower()


def is_cancel(text: str) -> bool:
    t = _folded(text)
    return t in {_folded(w) for w in CANCEL_WORDS}


def is_help(text: str) -> bool:
    t = unicodedata.normalize("NFKC", text).strip().lower()
    return t in HELP_WORDS or _folded(text) in {_folded(w) for w in HELP_WORDS if _folded(w)}


def default_help_message(lead: str = "お問い合わせありがとうございます。") -> dict[str, Any]:
    actions = [m.postback(label, m.data(action=a), label) for label, a in (
        ("ごみの出し方", "garbage"), ("施設をさがす", "facility"), ("道路の損傷を通報", "report"),
        ("よくある質問", "faq"), ("施設の予約", "booking"), ("手続きナビ", "procedure"))]
    return m.text(f"{lead}\n下のボタンか画面下のメニューから、ご用件をお選びください。"
                  "ご質問は、文章でそのままお送りいただいても大丈夫です。", actions)


class DialogueHandler:
    """``TurnHandler`` for the service (and the web chat): flows on the engine, FAQ, help."""

    def __init__(self, services: Services, *, flows: list[type[Flow]] | None = None,
                 help_message: HelpMessage | None = None, welcome: str = DEFAULT_WELCOME,
                 menu_texts: dict[str, str] | None = None) -> None:
        self.services = services
        kinds = flows if flows is not None else default_flows(services)
        self.engine = Engine({f.name: f(services) for f in kinds}, timeout=services.timeout)
        self.policy = services.policy
        # How flows are entered, as they declare it (``Flow.entrance``):
        #: NLU intent → the flow it starts.
        self.intent_flows = {i: f.name for f in (*CATALOGUE, *kinds) for i in f.entrance.intents}
        #: ``action=…`` → the enabled flow it starts.
        self.action_flows = {a: flow for flow in self.engine.flows.values() for a in flow.actions()}
        self.help_message = help_message or default_help_message
        self.welcome = welcome
        #: Exact texts (the help menu's message buttons) → rich-menu actions.
        self.menu_texts = {_folded(k): v for k, v in (menu_texts or {}).items()}

    # -- entry ------------------------------------------------------------------------------------
    async def prepare(self, event: InboundEvent | dict[str, Any]) -> dict[str, Any] | None:
        """Before the turn's transaction (outside the database's write lock): parse the text."""
        text = InboundEvent.of(event).text
        if text is None or not text.strip():
            return None
        now = self.services.clock.now() if self.services.clock is not None else None
        local = now.astimezone(TOKYO) if now is not None else None
        return {"nlu": self.services.knowledge.interpreter.parse(text.strip(), now=local)}

    async def handle(self, turn: Turn) -> None:
        kind = turn.inbound.type
        mode = await current_mode(turn.session) if kind in {"follow", "message", "postback"} else NORMAL
        if kind == "follow":
            turn.say(disaster.welcome(mode) or self.help_message(self.welcome))
            turn.intent = "follow"
            if "form" in self.engine.flows:
                await offer_on_follow(Context(turn, self.services, Store(turn.state)))
            return
        if kind == "unsend":
            await safety.forget_unsent(Context(turn, self.services, Store(turn.state)), self.engine)
            return
        if kind not in {"message", "postback"}:
            return  # unfollow, join, leave…: recorded by the turn processor, no one to answer
        store = Store(turn.state)
        ctx = Context(turn, self.services, store)
        ctx.mode = mode
        if safety.answer_emergency(ctx):
            self.polish(ctx)
            return
        taken = await handover.intercept(ctx)  # 有人チャット: an open hand-over takes the message (issue #17)
        if taken == "silent":
            return  # it went to staff: the bot does not answer
        if taken == "answered":
            self.polish(ctx)
            return
        dropped = await self.engine.drop_expired(ctx)
        if dropped:
            ctx.say(m.text(f"「{'」と「'.join(dropped)}」は、しばらく操作がなかったため終了しました。"
                           "お手数ですが、必要でしたらもう一度はじめからお願いします。"))
        self._forget_stale(ctx)
        try:
            await self.route(ctx)
            if ctx.mode != NORMAL and ctx.fell_back and ctx.store.flow is None:
                ctx.turn.replies[:] = [disaster.fallback(ctx, ctx.mode)]  # the mode's answer (issue #22)
        finally:
            settle_intent(ctx)
            self._offer_person(ctx)
            self.polish(ctx)

    def _offer_person(self, ctx: Context) -> None:
        """After two failed answers in a row, or a 役に立たなかった, offer a person (issue #17)."""
        if not handover.available(ctx):
            return
        menu = self.help_message("").get("quickReply", {}).get("items", [])
        pb = ctx.postback
        if pb.get("faq") == "fb" and pb.get("v") == "0":
            ctx.say(handover.offer(menu))
            return
        if ctx.text is None:
            return
        misses = int(ctx.memory.get("misses") or 0) + 1 if ctx.fell_back else 0
        if misses >= 2:
            ctx.say(handover.offer(menu))
            misses = 0
        if misses:
            ctx.memory["misses"] = misses
        else:
            ctx.memory.pop("misses", None)

    def _forget_stale(self, ctx: Context) -> None:
        for key, minutes in (("faq_pending", 60), ("topic", 10)):
            value = ctx.memory.get(key)
            at = _parse_time(value.get("at")) if isinstance(value, dict) else None
            if value is not None and (at is None or ctx.now - at > timedelta(minutes=minutes)):
                ctx.memory.pop(key, None)

    async def route(self, ctx: Context) -> None:
        pb = ctx.postback
        if pb:
            await self.on_postback(ctx, pb)
            return
        text = ctx.text
        if text is not None:
            if is_cancel(text) or (not self._flow_word(ctx, text) and await self._stop_intent(ctx, text)):
                await self.cancel(ctx)
                return
            if is_help(text):
                self.help(ctx)
                return
            action = self.menu_texts.get(_folded(text))
            if action:
                await self.start_action(ctx, action)
                return
            if disaster.asks_for_shelter(text):  # 「近くの避難所」, in any mode (issue #22)
                # no reminder of an open flow here: its buttons would replace 「位置情報を送る」
                disaster.ask_location(ctx)
                return
        if ctx.location is not None and ctx.store.flow is not None and disaster.waiting_for_location(ctx):
            # the location asked for by 「近くの避難所」 in the middle of a flow: the shelters, then the flow
            await disaster.answer_nearest(ctx, ctx.location["latitude"], ctx.location["longitude"])
            self.engine.resume_after_answer(ctx)
            return
        if ctx.store.flow is not None:
            await self.in_flow(ctx)
        else:
            await self.idle(ctx)

    def _flow_word(self, ctx: Context, text: str) -> bool:
        """A word the active flow takes itself (手続きナビ's 「戻る」): never a stop, whatever the NLU says."""
        record = ctx.store.flow
        flow = self.engine.flows.get(record["name"]) if record else None
        return flow is not None and text.strip().rstrip("。") in flow.own_words

    async def _stop_intent(self, ctx: Context, text: str) -> bool:
        if len(text) > 12:
            return False
        nlu = await ctx.nlu()
        return nlu["intent"]["name"] == "stop" and nlu["intent"]["confidence"] >= self.policy.stop

    # -- cancel / help ----------------------------------------------------------------------------
    async def cancel(self, ctx: Context) -> None:
        title = await self.engine.cancel(ctx)
        if title is None:
            ctx.say(self.help_message("いま進めているお手続きはありません。"))
            return
        ctx.say(m.text(f"「{title}」を中止しました。入力された内容は破棄しました。"))
        await self.engine.after(ctx)
        if ctx.store.flow is None:
            ctx.say(self.help_message("ほかにご用件があれば、お選びください。"))

    def help(self, ctx: Context) -> None:
        record = ctx.store.flow
        if record is None:
            ctx.say(self.help_message("ご用件をお選びください。"))
            return
        flow = self.engine.flows[record["name"]]
        step = flow.step_help(ctx)
        ctx.say(m.text(f"いまは「{flow.title}」の途中です。{step}\n"
                       "やめる場合は「やめる」と送ってください。"))
        ctx.say(*self.engine.resume_prompt(ctx, "続きはこちらです。"))

    # -- postbacks --------------------------------------------------------------------------------
    async def on_postback(self, ctx: Context, pb: dict[str, str]) -> None:
        if "action" in pb:
            action = pb["action"]
            if action == "cancel":
                await self.cancel(ctx)
            elif action in {"help", "menu"}:
                self.help(ctx)
            elif (flow := self.action_flows.get(action)) is not None and flow.entrance.action_params:
                await self.engine.start(ctx, flow.name, **{k: pb.get(k, "") for k in flow.entrance.action_params})
            else:
                await self.start_action(ctx, flow.name if flow is not None else action,
                                        restart=pb.get("restart") == "1")
            return
        if "flow" in pb:
            record = ctx.store.flow
            if record is not None and record["name"] == pb["flow"]:
                await self.in_flow(ctx)
            else:
                ctx.say(m.text("申し訳ありません。このボタンは以前のご案内のもので、いまは使えません。"))
                if record is not None:
                    ctx.say(*self.engine.resume_prompt(ctx, f"「{self.engine.title(record['name'])}」の続きです。"))
                else:
                    ctx.say(self.help_message("お手数ですが、もう一度ご用件をお選びください。"))
            return
        for flow in self.engine.flows.values():  # faq=…, garbage=…, facility=…, offer=…, form=… (Entry.postbacks)
            if any(key in pb for key in flow.entrance.postbacks) and await flow.on_postback(ctx, pb, self.engine):
                return
        ctx.say(self.help_message("申し訳ありません。この操作はいまは使えません。"))

    async def start_action(self, ctx: Context, action: str, *, restart: bool = False) -> None:
        """Start the flow ``action`` names; pressed again while it runs, offer to go on or start over."""
        flow_name = action
        record = ctx.store.flow
        if record is not None and record["name"] == flow_name and not restart:
            ctx.say(*self.engine.resume_prompt(ctx, f"「{self.engine.title(flow_name)}」の途中です。続きから進めます。"))
            # the same button again (action=booking&fac=… keeps its facility), now restarting
            again: dict[str, Any] = dict(ctx.postback) if ctx.postback.get("action") == action else {"action": action}
            again["restart"] = 1
            ctx.say(m.text("はじめからやり直す場合は、下のボタンを押してください。",
                           [m.postback("はじめからやり直す", m.data(**again), "はじめからやり直す")]))
            return
        if flow_name in self.engine.flows:
            await self.engine.start(ctx, flow_name)
            return
        label = NOT_YET.get(flow_name, "この機能")
        ctx.say(self.help_message(f"申し訳ありません。「{label}」は現在準備中です。もうしばらくお待ちください。\n"
                                  f"お急ぎの場合は、{self.services.town.contact} へお問い合わせください。"))
        self.engine.resume_after_answer(ctx)

    # -- inside a flow ----------------------------------------------------------------------------
    async def in_flow(self, ctx: Context) -> None:
        record = ctx.store.flow
        assert record is not None
        spec = self.engine.spec(record)
        if spec is not None and spec.free_text and ctx.text and await self.interrupt(ctx, strict=True):
            return
        if await self.engine.dispatch(ctx):
            ctx.answered_as = ctx.answered_as or FLOW_ANSWER
            if ctx.then:
                await self.start_action(ctx, ctx.then)
            return
        if ctx.store.flow is None:
            return
        if ctx.text and await self.interrupt(ctx, strict=False):
            return
        flow = self.engine.flows[record["name"]]
        if await flow.fallback(ctx):
            await self.engine.after(ctx)
            return
        hint = flow.step_help(ctx) or "申し訳ありません。うまく読み取れませんでした。"
        lead = f"{hint}\n（「やめる」で中止できます）" if ctx.text or ctx.postback else hint
        if ctx.inbound.is_media and ctx.text is None:
            lead = f"ありがとうございます。ただ、いまは「{flow.title}」の途中です。{hint}"
        ctx.say(*self.engine.resume_prompt(ctx, lead))

    async def interrupt(self, ctx: Context, *, strict: bool) -> bool:
        """Take a text inside a flow as something else. True: answered (and the prompt repeated)."""
        text = ctx.text or ""
        record = ctx.store.flow
        current = self.engine.flows[record["name"]] if record else None
        owned = current.owns if current else frozenset()
        nlu = await ctx.nlu()
        intent, confidence = nlu["intent"]["name"], float(nlu["intent"]["confidence"] or 0.0)
        if intent in owned:
            return False
        target = self.intent_flows.get(intent or "")
        needed = self.policy.interrupt_free_text if strict else self.policy.interrupt
        if target and confidence >= needed and (current is None or target != current.name):
            await self.start_intent(ctx, target, text)
            return True
        if intent in {"greet", "thanks"} and confidence >= self.policy.small_talk_in_flow and len(text) <= 15:
            ctx.say(m.text("こんにちは。" if intent == "greet" else "どういたしまして。"))
            self.engine.resume_after_answer(ctx)
            return True
        result = faq.search(ctx, text)
        questionish = intent == "faq" and confidence >= self.policy.question
        if result.outcome == "confident" and (questionish or not strict or _looks_like_question(text)):
            await faq.respond(ctx, text, result)
            self.engine.resume_after_answer(ctx)
            return True
        if not strict and intent == "faq" and confidence >= self.policy.clear_question:
            # clearly a question, and not one the FAQ knows well: candidates or an apology
            if await faq.respond(ctx, text, result) != "ambiguous":
                self.engine.resume_after_answer(ctx)
            return True
        if not strict and current is not None and current.name != "garbage" and self._bare_garbage_item(text):
            await self._sort_item(ctx, text)  # 「ソファ」 where the flow waits for a date (it resumes after)
            return True
        return False

    def _bare_garbage_item(self, text: str) -> bool:
        """``text`` is mostly the name of an item in the garbage dictionary (「ソファ」, 「古い扇風機」)."""
        garbage = self.services.knowledge.garbage
        if garbage is None or "garbage" not in self.engine.flows:
            return False
        lookup = garbage.lookup(text)
        return lookup.outcome != "none" and lookup.best is not None and len(lookup.best.matched) * 2 >= len(text)

    async def _sort_item(self, ctx: Context, text: str) -> None:
        """The garbage flow on an item's name: how to put it out."""
        ctx.answered_as = "garbage_lookup"
        await self.engine.start(ctx, "garbage", text=text)

    # -- outside a flow ---------------------------------------------------------------------------
    async def start_intent(self, ctx: Context, flow_name: str, text: str) -> None:
        if flow_name == "booking" and "garbage" in self.engine.flows and names_garbage(self.services.knowledge, text) \
                and not await ctx.entity("facility"):
            flow_name = "garbage"  # 「粗大ごみを申し込みたい」 is a garbage collection, not a facility booking
        if flow_name in self.engine.flows:
            await self.engine.start(ctx, flow_name, text=text)
        else:
            await self.start_action(ctx, flow_name)

    async def idle(self, ctx: Context) -> None:
        kind = ctx.message_type
        if ctx.location is not None and (ctx.mode != NORMAL or disaster.waiting_for_location(ctx)):
            await disaster.answer_nearest(ctx, ctx.location["latitude"], ctx.location["longitude"])
            return
        if ctx.location is not None:
            taker = next((f for f in self.engine.flows.values() if f.entrance.location), None)
            if taker is not None:
                await self.engine.start(ctx, taker.name, location=ctx.location)
            else:
                ctx.say(self.help_message("位置情報を受け取りました。"))
            return
        if kind == "image":
            ctx.say(m.text("写真を受け取りました。道路や公園などの損傷の通報でしたら、下のボタンから始めてください。"
                           "写真は通報の途中でお送りいただけます。",
                           [m.postback("損傷を通報する", m.data(action="report"), "損傷を通報する"),
                            m.postback("メニュー", m.data(action="help"), "メニュー")]))
            return
        text = ctx.text
        if not text:
            lead = "スタンプありがとうございます。" if kind == "sticker" else "メッセージありがとうございます。"
            ctx.say(self.help_message(lead))
            return
        for flow in self.engine.flows.values():  # 「地区を変更したい」, a scenario's keyword … (Entry.text_hook)
            if flow.entrance.text_hook and await flow.on_text(ctx, text, self.engine):
                return
        nlu = await ctx.nlu()
        intent, confidence = nlu["intent"]["name"], float(nlu["intent"]["confidence"] or 0.0)
        if intent == "greet" and confidence >= self.policy.small_talk and len(text) <= 20:
            ctx.say(self.help_message("こんにちは。"))
            return
        if intent == "thanks" and confidence >= self.policy.small_talk and len(text) <= 20:
            ctx.say(m.text("どういたしまして。ほかにもご用件があれば、お気軽にどうぞ。"))
            return
        if intent == "help" and confidence >= self.policy.small_talk:
            self.help(ctx)
            return
        if intent in {"affirm", "deny"} and confidence >= self.policy.yes_no and len(text) <= 10:
            ctx.say(self.help_message("ありがとうございます。"))
            return
        if intent == faq.OUT_OF_SCOPE and await faq.refuse_off_topic(ctx, text, confidence):
            return
        target = self.intent_flows.get(intent or "")
        if target and confidence >= self.policy.start_flow:
            await self.start_intent(ctx, target, text)
            return
        await self.answer_question(ctx, text)

    async def answer_question(self, ctx: Context, text: str) -> None:
        """FAQ first, then the garbage dictionary (a bare item name), then: unanswered."""
        topic = ctx.memory.get("topic") or {}
        if topic.get("name") == "garbage" and self._bare_garbage_item(text):  # talking of garbage: the item first
            await self._sort_item(ctx, text)
            return
        result = faq.search(ctx, text)
        if result.outcome == "confident":
            await faq.respond(ctx, text, result)
            return
        if self._bare_garbage_item(text):
            await self._sort_item(ctx, text)
            return
        directory = self.services.knowledge.facilities
        if directory is not None and "facility" in self.engine.flows and len(text) <= 20 and (
                directory.group_in(text) is not None or await directory.keyword(ctx.session, text)):
            ctx.answered_as = "facility_search"
            await self.engine.start(ctx, "facility", text=text)
            return
        await faq.respond(ctx, text, result)

    # -- the reply as a whole ---------------------------------------------------------------------
    def polish(self, ctx: Context) -> None:
        """Never silence; the main menu when no flow is waiting; at most five messages."""
        replies = ctx.turn.replies
        if not replies:
            ctx.say(self.help_message("お問い合わせありがとうございます。"))
        if ctx.store.flow is None and replies and "quickReply" not in replies[-1]:
            menu = self.help_message("").get("quickReply")
            if menu:
                replies[-1] = {**replies[-1], "quickReply": menu}
        disaster.lead_menu(ctx)  # 警戒 / 災害: the way to shelters first (issue #22)
        while len(replies) > 5:
            merged = _merge_first_texts(replies)
            if not merged:
                del replies[1]


def settle_intent(ctx: Context) -> None:
    """The talk log's intent says what happened, for the figures staff read (unanswered questions,
    the fallback rate): ``nlu_fallback`` exactly when the bot could not answer a text; a text the NLU
    could not place but a flow's step took (「本町」「4人」) or the FAQ answered is not a fallback."""
    if ctx.fell_back and ctx.text:
        ctx.turn.intent = FALLBACK_INTENT
    elif ctx.turn.intent == FALLBACK_INTENT and ctx.answered_as:
        ctx.turn.intent = ctx.answered_as


def _merge_first_texts(replies: list[dict[str, Any]]) -> bool:
    for i in range(len(replies) - 1):
        a, b = replies[i], replies[i + 1]
        if a.get("type") == b.get("type") == "text" and "quickReply" not in a:
            replies[i: i + 2] = [{**b, "text": f"{a['text']}\n\n{b['text']}"[: m.MAX_TEXT]}]
            return True
    return False


def _looks_like_question(text: str) -> bool:
    t = text.strip()
    return t.endswith(("?", "？", "か", "かな", "ですか", "ますか", "の")) or any(
        w in t for w in ("教えて", "知りたい", "どこ", "いつ", "何時", "いくら", "どうすれば", "どうやって"))


def _parse_time(value: Any) -> datetime | None:
    try:
        return utc(datetime.fromisoformat(str(value)))
    except ValueError:
        return None


def default_flows(services: Services) -> list[type[Flow]]:
    flows: list[type[Flow]] = [FaqFlow, GarbageFlow, ReportFlow, ScenarioFlow]
    if services.knowledge.facilities is not None:
        flows.append(FacilityFlow)
    if services.booking is not None:
        flows.append(booking.BookingFlow)
    if services.procedures is not None:
        flows.append(ProcedureFlow)
    flows.append(FormFlow)
    flows.append(SafetyCheckFlow)  # 安否確認's answers (issue #22)
    return flows
