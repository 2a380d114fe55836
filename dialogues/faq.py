"""FAQ answers (酒田市 spec 第5章 1(6) 自動応答): confident → the answer; ambiguous → up to four
candidates to choose from; nothing → an apology, the town's contact, and the question recorded
for staff. Every answer carries 役に立った / 役に立たなかった buttons; their results are stored.

The same functions answer the web chat, so the town's website answers exactly as LINE does.
See ``faq.mmd`` for the flow.
"""

from __future__ import annotations

import re
from typing import Any

from civic.faq.models import CHOSEN, CONFIDENT
from civic.faq.services import record_answer, record_feedback, record_unanswered
from dialogues import disaster
from dialogues import faq_i18n as i18n
from dialogues import messages as m
from dialogues.engine import Context, Engine, Entry, Flow, state
from nlu.faq_retrieval import FaqSearchResult
from nlu.semantic_intents import OUT_OF_SCOPE

MAX_CANDIDATES = 4
NOT_LISTED = "どれでもない"
# measured on the 620 answerable evaluation questions and the 215 off-topic ones (bench off_topic):
# together 0.5 % of answerable questions refused
OUT_OF_SCOPE_SURE = 0.5  # an out_of_scope intent this sure is refused even when the FAQ has candidates
OUT_OF_SCOPE_LIKELY = 0.35  # FAQ candidates are not offered when out_of_scope is this likely
__all__ = ["OUT_OF_SCOPE", "FaqFlow", "off_topic", "refuse_off_topic", "respond", "search"]


def search(ctx: Context, question: str) -> FaqSearchResult:
    return ctx.services.knowledge.faq.search(question, k=MAX_CANDIDATES)


async def answer_entry(ctx: Context, entry_id: str, question: str, *, how: str = CONFIDENT) -> bool:
    """Say the entry's answer with feedback buttons; record that it was given."""
    entry = ctx.services.knowledge.faq_entries.get(entry_id)
    if entry is None:
        return False
    row = await record_answer(ctx.session, entry_id=entry_id, question=question, channel=ctx.turn.channel,
                              asker=ctx.turn.user_id, now=ctx.now, how=how)
    ctx.answered_as = ctx.answered_as or "faq"
    lang = await i18n.citizen_language(ctx, question)
    shown_question, answer, translated = i18n.localized(entry, lang)
    if not translated and (line := i18n.note(lang, i18n.IN_JAPANESE, ctx.services.town.multilingual_contact)):
        ctx.say(m.text(line))
    ctx.say(answer_message(shown_question, answer, row.id))
    ctx.memory.pop("faq_pending", None)
    return True


def answer_message(question: str, answer: str, answer_id: int | None) -> m.Message:
    footer = []
    if answer_id is not None:
        footer = [{"type": "box", "layout": "horizontal", "spacing": "sm", "contents": [
            m.flex_button(m.postback("役に立った", m.data(faq="fb", a=answer_id, v=1), "役に立った"),
                          style="primary"),
            m.flex_button(m.postback("役に立たなかった", m.data(faq="fb", a=answer_id, v=0), "役に立たなかった"),
                          style="secondary"),
        ]}]
    body = [m.flex_text(f"Q. {question}", size="sm", weight="bold", color="#1b5e20"),
            m.flex_text(answer, size="md", margin="md")]
    return m.flex(f"{answer}", m.bubble(body, footer=footer or None, size="mega"))


def candidates_message(result: FaqSearchResult) -> m.Message:
    hits = result.hits[:MAX_CANDIDATES]
    lines = ["お調べしたところ、次のご質問が近いようです。知りたいものを選んでください。"]
    lines += [f"{i}. {h.question}" for i, h in enumerate(hits, 1)]
    actions = [m.postback(f"{i}. {h.question}", m.data(faq="show", id=h.entry_id), h.question)
               for i, h in enumerate(hits, 1)]
    actions.append(m.postback(NOT_LISTED, m.data(faq="none"), NOT_LISTED))
    return m.text("\n".join(lines), actions)


async def unanswered(ctx: Context, question: str, candidates: list[str]) -> None:
    await record_unanswered(ctx.session, question=question, channel=ctx.turn.channel, candidates=candidates,
                            now=ctx.now)
    ctx.fell_back = True
    ctx.memory.pop("faq_pending", None)
    ctx.say(m.text("申し訳ありません。お調べしましたが、このご質問への回答が見つかりませんでした。"
                   "いただいたご質問は担当者に伝え、今後のご案内に役立てます。\n"
                   f"{ctx.services.town.faq_contact}"))
    if line := i18n.note(await i18n.citizen_language(ctx, question), i18n.NOT_FOUND,
                         ctx.services.town.multilingual_contact):
        ctx.say(m.text(line))


async def refuse_off_topic(ctx: Context, text: str, confidence: float) -> bool:
    """For an ``out_of_scope`` intent: refuse politely (True). A classifier's guess (not another
    town's name, confidence 1) yields to a confident FAQ answer, and an unsure one (< 0.5) to FAQ
    candidates: a bare topic word (マイナンバー) must not be refused."""
    if confidence < 1.0 and ctx.services.knowledge.language.detect(text) != "ja":
        return False  # the intent model knows Japanese only: its guess says nothing of a foreign question
    outcome = search(ctx, text).outcome if confidence < 1.0 else "none"
    if outcome == "confident" or (outcome == "ambiguous" and confidence < OUT_OF_SCOPE_SURE):
        return False
    await off_topic(ctx, text)
    return True


async def _likely_off_topic(ctx: Context) -> bool:
    """Candidates are no help for a message the intent model also finds out of scope (a Japanese
    one: the model knows no other language)."""
    if ctx.text and ctx.services.knowledge.language.detect(ctx.text) != "ja":
        return False
    ranking = (await ctx.nlu()).get("intent_ranking") or []
    return next((float(r["confidence"]) for r in ranking if r["name"] == OUT_OF_SCOPE), 0.0) >= OUT_OF_SCOPE_LIKELY


async def off_topic(ctx: Context, text: str) -> None:
    """Outside the town's services (雑談, spam, another town's matter): a polite refusal and the way
    back, not recorded as an unanswered question for staff."""
    ctx.memory.pop("faq_pending", None)
    town = ctx.services.town
    ctx.say(m.text(f"申し訳ありません。こちらでは、{town.name or '町'}の手続きや暮らしについてのご質問にお答えしています。"
                   "ごみの分別、施設の予約、各種の手続きなど、町のことでしたらお気軽にお尋ねください。\n"
                   f"{town.faq_contact}"))
    if line := i18n.note(await i18n.citizen_language(ctx, text), i18n.NOT_FOUND, town.multilingual_contact):
        ctx.say(m.text(line))


async def answer_instead(ctx: Context, text: str, *, unless: re.Pattern[str], then: tuple[m.Message, ...] = ()) -> bool:
    """A flow the NLU entered from ``text`` that cannot place it (no life event, no damage kind): when the
    FAQ knows the answer confidently and the text does not ask for the flow itself (``unless``), the answer
    (then ``then``), and the flow ends. False: the flow goes on as usual."""
    if not text or unless.search(text):
        return False
    found = search(ctx, text)
    if found.outcome != "confident":
        return False
    await respond(ctx, text, found)
    ctx.finish(*then)
    return True


async def respond(ctx: Context, question: str, result: FaqSearchResult | None = None, *,
                  allow_unanswered: bool = True) -> str:
    """Answer ``question`` from the FAQ. Returns the outcome (confident / ambiguous / none)."""
    result = result or search(ctx, question)
    if result.outcome == "ambiguous" and question == ctx.text and await _likely_off_topic(ctx):
        await off_topic(ctx, question)
        return "none"
    if result.outcome == "confident" and result.hits:
        await answer_entry(ctx, result.hits[0].entry_id, question)
    elif result.outcome == "ambiguous" and result.hits:
        ctx.memory["faq_pending"] = {"q": question[:500], "at": ctx.now.isoformat(),
                                     "c": [h.entry_id for h in result.hits[:MAX_CANDIDATES]]}
        ctx.say(candidates_message(result))
    elif allow_unanswered:
        await unanswered(ctx, question, [h.entry_id for h in result.hits[:3]])
    return result.outcome


async def on_postback(ctx: Context, pb: dict[str, str]) -> bool:
    """``faq=show`` (a candidate chosen), ``faq=none`` (none fits), ``faq=fb`` (feedback)."""
    kind = pb.get("faq")
    pending: dict[str, Any] = ctx.memory.get("faq_pending") or {}
    if kind == "show":
        entry_id = pb.get("id", "")
        question = str(pending.get("q") or "")
        if not await answer_entry(ctx, entry_id, question, how=CHOSEN):
            ctx.say(m.text("申し訳ありません。このご案内は見つかりませんでした（内容が更新された可能性があります）。"
                           "もう一度、ご質問を文章でお送りください。"))
        return True
    if kind == "none":
        question = str(pending.get("q") or "")
        if question:
            await unanswered(ctx, question, list(pending.get("c") or []))
        else:
            ctx.say(m.text("お手数ですが、知りたいことをもう一度、文章でお送りください。\n"
                           f"{ctx.services.town.faq_contact}"))
        return True
    if kind == "fb":
        try:
            answer_id, helpful = int(pb.get("a", "")), pb.get("v") == "1"
        except ValueError:
            return False
        outcome = await record_feedback(ctx.session, answer_id, helpful, asker=ctx.turn.user_id, now=ctx.now)
        if outcome == "unknown":
            return False
        if outcome == "already":
            ctx.say(m.text("ご評価はすでにいただいています。ありがとうございます。"))
        elif helpful:
            ctx.say(m.text("ご評価ありがとうございます。お役に立ててうれしいです。"))
        else:
            ctx.say(m.text("ご評価ありがとうございます。ご案内を見直す参考にいたします。\n"
                           "お手数ですが、言い方を変えてもう一度ご質問いただくか、"
                           f"{ctx.services.town.faq_contact}"))
        return True
    return False


class FaqFlow(Flow):
    """Entered from the rich menu (``action=faq``): asks for the question, then answers it."""

    name = "faq"
    title = "よくある質問"
    resumable = False
    owns = frozenset({"faq", "nlu_fallback", "greet", "thanks"})
    entrance = Entry(postbacks=("faq",))  # faq=show|none|fb: a candidate, none fits, feedback

    async def on_postback(self, ctx: Context, postback: dict[str, str], engine: Engine) -> bool:
        if not await on_postback(ctx, postback):
            return False
        engine.resume_after_answer(ctx)
        return True

    async def start(self, ctx: Context, **params: Any) -> None:
        question = params.get("text")
        if question:
            await respond(ctx, question)
            ctx.finish()
            return
        offers = disaster.faq_offers(ctx)  # 警戒 / 災害: the 防災 questions first (issue #22)
        if offers:
            ctx.ask("question", m.text("ご質問を文章でお送りください。防災についてよくあるご質問は下のボタンからどうぞ。",
                                       offers))
            return
        ctx.ask("question", m.text("ご質問を文章でお送りください。\n（例：住民票はどこで取れますか／粗大ごみの出し方）"))

    @state("question", free_text=True, hint="ご質問を文章でお送りください。")
    async def question(self, ctx: Context) -> bool:
        text = ctx.text
        if not text:
            return False
        await respond(ctx, text)
        ctx.finish()
        return True
