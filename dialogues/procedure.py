"""手続きナビ in the talk (小郡市 spec §8(6) i, j, l, q, r): a life event, its questions one by one,
then the procedures, things to bring, counters and deadlines — returned to the talk.

Entered from the rich menu (``action=procedure``) or a sentence (``procedure_nav``; a
``life_event`` entity picks the event). Every question shows the progress (§8(6) l) and offers
its options as quick replies; date questions take 西暦 or 和暦 typed (or LINE's date picker) and
impossible dates are refused kindly (§8(6) r); 「戻る」 goes back one question (§8(6) q). The
navigator (``civic.procedures``) holds no state: the answers live in the flow's data. The result
links to the web page for household pre-entry and the counter's QR code, with the answers in the
link's fragment (``carry_over``): the page opens at the same result. See ``procedure.mmd``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any
from urllib.parse import urlencode

from civic.clock import FrozenClock
from civic.procedures.dates import DateProblem, display, parse_date
from civic.procedures.navigator import NavigationState, Navigator, ValidationProblem
from civic.procedures.services import record_access_in
from civic.procedures.text import format_question_text, format_result_text
from civic.procedures.tree import Content, LifeEvent, Question
from dialogues import faq
from dialogues import messages as m
from dialogues.engine import Context, Entry, Flow, state, with_lead
from dialogues.paging import PAGE_SIZE, page, requested

FLOW = "procedure"
BACK_WORDS = {"戻る", "もどる", "戻って", "前へ", "前に戻る", "ひとつ前", "一つ前", "前の質問", "戻ります", "back"}
#: Words the NLU gives for a life event → words of the content's event titles.
EVENT_WORDS = {"出産": "出生", "結婚": "婚姻", "氏名変更": "氏名の変更", "国外転出": "転出", "おくやみ": "死亡"}
CHUNK = 4500  # characters per message (LINE allows 5000)
MAX_CHUNKS = 3
_DATEY = re.compile(r"[0-9０-９元]|[年月日]|令和|平成|昭和|大正|明治")
_MONTH_DAY = re.compile(r"^(\d{1,2})月(\d{1,2})日?$")
_NUMBERED = re.compile(r"^\d+\. ", re.M)

#: Words that ask for 手続きナビ itself, whatever else the text says.
_ASKS_FOR_NAVI = re.compile(r"(手続き|手続|ナビ|QR|ＱＲ|申請書|届出|届け出)")


def _unreadable() -> str:
    """What ``parse_date`` says of text that is no date at all (as opposed to an impossible date)."""
    try:
        parse_date("?")
    except DateProblem as exc:
        return str(exc)
    return ""


UNREADABLE = _unreadable()


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().replace(" ", "")


def act(label: str, display_text: str | None = None, **fields: Any) -> dict[str, Any]:
    return m.postback(label, m.data(flow=FLOW, **fields), display_text or label)


def find_event(content: Content, word: str | None) -> LifeEvent | None:
    """The event a word names: 「転入」「出産」「結婚」「転入（町外から）」."""
    if not word:
        return None
    word = EVENT_WORDS.get(word, word)
    if word in content.events:
        return content.events[word]
    key = normalize(word)
    found = [e for e in content.ordered_events()
             if key and (key in normalize(e.title) or key in normalize(e.label) or normalize(e.label) in key)]
    return found[0] if len(found) == 1 else None


class ProcedureFlow(Flow):
    name = "procedure"
    title = "手続きナビ"
    owns = frozenset({"procedure_nav"})
    entrance = Entry(intents=frozenset({"procedure_nav"}))
    #: 「戻る」 goes back one question: never taken as 「やめる」 (the NLU may call it a stop).
    own_words = frozenset(BACK_WORDS)

    @property
    def content(self) -> Content:
        assert self.services.procedures is not None
        return self.services.procedures

    def nav(self, ctx: Context) -> Navigator:
        return Navigator(self.content, self.content.event(ctx.data["event"]), FrozenClock(ctx.now))

    def step_help(self, ctx: Context) -> str:
        """A date question has no option buttons to choose from: it says how to give a date."""
        if ctx.flow_state == "question" and ctx.data.get("event") in self.content.events:
            question = self.nav(ctx).next_question(dict(ctx.data.get("answers") or {}))
            if question is not None and question.kind == "date":
                return "日付を入力するか、「日付を選ぶ」から選んでください。「戻る」でひとつ前の質問に戻れます。"
        return super().step_help(ctx)

    # -- entry -----------------------------------------------------------------------------------
    async def start(self, ctx: Context, **params: Any) -> None:
        code = ctx.postback.get("event")
        event = self.content.events.get(code) if code else None
        if event is None and params.get("text"):
            event = find_event(self.content, await ctx.entity("life_event"))
        if event is not None:
            await self.begin(ctx, event)
            return
        # 「マイナンバーカードを作りたい」 reads like 「申請書を作りたい」 to the NLU, names no life event,
        # and the FAQ knows the answer: the answer, not a list of life events
        if await faq.answer_instead(ctx, str(params.get("text") or ""), unless=_ASKS_FOR_NAVI):
            return
        self.ask_event(ctx, "手続きナビです。いくつかの質問にお答えいただくと、必要な手続き・持ち物・窓口をご案内します。")

    def ask_event(self, ctx: Context, lead: str = "", number: int = 0) -> None:
        ctx.data.pop("event", None)
        ctx.data.pop("answers", None)
        shown = page(self.content.ordered_events(), number)
        actions = [act(e.label, e.title, event=e.code) for e in shown.items] + shown.more(flow=FLOW, more="event")
        ctx.ask("event", m.text("どのような手続きですか？下のボタンから選んでください。", actions), lead=lead)

    async def begin(self, ctx: Context, event: LifeEvent) -> None:
        ctx.data.update(event=event.code, answers={})
        await record_access_in(ctx.session, ctx.local_now.date(), event.code, "web" if ctx.turn.channel == "web" else "line")
        self.ask_question(ctx, f"「{event.title}」の手続きをご案内します。\n{event.summary}\n"
                               "「戻る」でひとつ前の質問に戻れます。")

    # -- questions -------------------------------------------------------------------------------
    def ask_question(self, ctx: Context, lead: str = "", number: int = 0) -> None:
        nav = self.nav(ctx)
        answers: dict[str, str] = ctx.data["answers"]
        question = nav.next_question(answers)
        if question is None:
            self.show_result(ctx, nav, lead)
            return
        actions: list[dict[str, Any]] = []
        if question.kind == "choice":
            shown = page(question.options, number)
            actions = [act(o.label, o.label, q=question.id, v=o.value) for o in shown.items]
            actions += shown.more(flow=FLOW, q=question.id)
        else:
            actions = [self.picker(nav, question)]
        if not question.required:
            actions.append(act("答えずに次へ", q=question.id, v=""))
        actions.append(act("戻る", back=1))
        ctx.ask("question", m.text(format_question_text(nav, question, answers), actions), lead=lead)

    def picker(self, nav: Navigator, question: Question) -> dict[str, Any]:
        low, high = nav.date_bounds(question)
        initial = nav.today()
        initial = max(initial, low) if low else initial
        initial = min(initial, high) if high else initial
        action = {"type": "datetimepicker", "label": "日付を選ぶ", "data": m.data(flow=FLOW, q=question.id, pick=1),
                  "mode": "date", "initial": initial.isoformat()}
        if low:
            action["min"] = low.isoformat()
        if high:
            action["max"] = high.isoformat()
        return action

    @state("event", hint="手続きの種類を、下のボタンから選んでください。")
    async def event(self, ctx: Context) -> bool:
        number = requested(ctx.postback)
        if number is not None:
            self.ask_event(ctx, number=number)
            return True
        code = ctx.postback.get("event")
        chosen = self.content.events.get(code) if code else None
        if chosen is None and ctx.text:
            chosen = find_event(self.content, await ctx.entity("life_event")) or find_event(self.content, ctx.text)
        if chosen is None:
            return False
        await self.begin(ctx, chosen)
        return True

    @state("question", hint="下のボタンから選んでください。「戻る」でひとつ前の質問に戻れます。")
    async def question(self, ctx: Context) -> bool:
        pb, text = ctx.postback, ctx.text
        if pb.get("back") or (text is not None and text.strip().rstrip("。") in BACK_WORDS):
            self.back(ctx)
            return True
        nav = self.nav(ctx)
        current = NavigationState(ctx.data["event"], dict(ctx.data["answers"]))
        question = nav.next_question(current.answers)
        if question is None:
            self.show_result(ctx, nav)
            return True
        if pb.get("q"):
            if pb["q"] != question.id:
                self.ask_question(ctx, "このボタンは前の質問のものです。いまの質問はこちらです。")
                return True
            if (number := requested(pb)) is not None:
                self.ask_question(ctx, number=number)
                return True
            value = ctx.postback_params.get("date", "") if pb.get("pick") else pb.get("v", "")
            return self.take(ctx, nav, current, question, value)
        if text is None:
            return False
        if question.kind == "choice":
            option = _option(question, text)
            return self.take(ctx, nav, current, question, option) if option is not None else False
        checked = nav.answer(current, question.id, text)
        if isinstance(checked, ValidationProblem) and checked.message == UNREADABLE:
            iso = await ctx.entity("date")
            if iso:  # 「昨日」「6月1日」: the NLU knows the date
                return self.take(ctx, nav, current, question, iso)
            if not _DATEY.search(text):
                return False  # not a date at all: maybe another request (the handler tries)
            checked = _explain(question, text, nav.today()) or checked
        if isinstance(checked, ValidationProblem):
            self.ask_question(ctx, f"申し訳ありません。{checked.message}")
            return True
        return self.take(ctx, nav, current, question, text)

    def take(self, ctx: Context, nav: Navigator, current: NavigationState, question: Question, value: str) -> bool:
        result = nav.answer(current, question.id, value)
        if isinstance(result, ValidationProblem):
            self.ask_question(ctx, f"申し訳ありません。{result.message}")
            return True
        ctx.data["answers"] = result.answers
        stored = result.answers.get(question.id, "")
        lead = f"{display(date.fromisoformat(stored))}ですね。" if question.kind == "date" and stored else ""
        self.ask_question(ctx, lead)
        return True

    def back(self, ctx: Context) -> None:
        answers = ctx.data.get("answers") or {}
        if not answers:
            self.ask_event(ctx, "最初の質問でしたので、手続きの選択に戻ります。")
            return
        previous = self.nav(ctx).back(NavigationState(ctx.data["event"], answers))
        ctx.data["answers"] = previous.answers
        self.ask_question(ctx, "ひとつ前の質問に戻ります。")

    # -- the result ------------------------------------------------------------------------------
    def show_result(self, ctx: Context, nav: Navigator, lead: str = "") -> None:
        results = nav.result(ctx.data["answers"])
        town = self.content.town
        full = format_result_text(nav.event, results, town, limit=1_000_000)
        chunks = _split(full, CHUNK)
        if len(chunks) > MAX_CHUNKS:  # very long: the first ones here, every one on the web page
            rest = sum(len(_NUMBERED.findall(c)) for c in chunks[MAX_CHUNKS:])
            chunks = chunks[:MAX_CHUNKS]
            chunks[-1] += f"\n\nほか{rest}件の手続きがあります。詳しくは手続きナビの画面をご覧ください。"
        messages = with_lead([m.text(c) for c in chunks], f"{lead}\nご回答ありがとうございました。".strip())
        url = ctx.services.page_url("procedures", fragment=carry_over(nav.event.code, ctx.data["answers"]))
        if url:
            messages.append(m.flex("窓口での記入を減らせます（手続きナビのWebページ）", m.bubble(
                [m.flex_text("窓口での記入を減らせます", size="md", weight="bold"),
                 m.flex_text("手続きナビのWebページで世帯の情報を事前に入力すると、窓口で読み取るQRコードを作れます。"
                             "窓口では、そのQRコードをお見せください。")],
                footer=[m.flex_button(m.uri_action("事前入力とQRコード", url), style="primary")])))
        ctx.finish(*messages)


def carry_over(event: str, answers: dict[str, str]) -> str:
    """The talk's answers for the web page (its address's fragment, never sent to a server): the
    page opens at the same point — the result — instead of the list of events."""
    return urlencode([("event", event), *((f"q.{k}", v) for k, v in answers.items())])


def _option(question: Question, text: str) -> str | None:
    """The option a typed answer names: its label, or the one label it begins or is part of."""
    t = unicodedata.normalize("NFKC", text).strip().rstrip("。！!")
    exact = [o for o in question.options if t in {o.label, o.value}]
    if exact:
        return exact[0].value
    loose = [o for o in question.options if len(t) >= 2 and (o.label.startswith(t) or t in o.label.split("・"))]
    return loose[0].value if len(loose) == 1 else None


def _explain(question: Question, text: str, today: date) -> ValidationProblem | None:
    """「6月31日」 (no year): say what is wrong with the day rather than with the format."""
    found = _MONTH_DAY.match(unicodedata.normalize("NFKC", text).strip())
    if not found:
        return None
    try:
        parse_date(f"{today.year}年{found.group(1)}月{found.group(2)}日")
    except DateProblem as exc:
        return ValidationProblem(question.id, str(exc), "impossible_date")
    return None


def _split(text: str, size: int, per: int = PAGE_SIZE) -> list[str]:
    """Whole blocks (procedures) per message, each within ``size`` characters and at most ``per``
    numbered procedures (a phone shows ten; 38 in one bubble cannot be read)."""
    out: list[str] = []
    counts: list[int] = []
    for block in text.split("\n\n"):
        numbered = 1 if _NUMBERED.match(block) else 0
        if out and len(out[-1]) + 2 + len(block) <= size and counts[-1] + numbered <= per:
            out[-1] += "\n\n" + block
            counts[-1] += numbered
        else:
            out.append(block[:size])
            counts.append(numbered)
    return out
