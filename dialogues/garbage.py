"""Garbage sorting (酒田市 spec 第5章 1(6) ごみ分別検索): item → category, notes and, when the
citizen's area is known, the next collection day (5374 ``area_days.csv`` rules, centre closures).

What a resident types is read in this order (``take``): an item of the dictionary (ペットボトル);
a question about collection days (「本町の燃やすごみの日」, 「ごみの日はいつ？」, see
``garbage_schedule``); a near spelling of an item, offered as 「もしかして」 rather than answered (a
wrong category is worse than asking); a category (「粗大ごみを申し込みたい」: how to put it out and
apply); a FAQ the town wrote (「指定ごみ袋」). The area is asked once and remembered
(``memory.garbage_area``); a resident who answers the area question with another question gets that
answer, not 「地区名が見つかりませんでした」. 「地区を変更」 changes it. See ``garbage.mmd``.
"""

from __future__ import annotations

import re
from typing import Any

from dialogues import faq
from dialogues import messages as m
from dialogues.engine import Context, Engine, Entry, Flow, state
from dialogues.garbage_schedule import (
    category_names,
    category_text,
    collection_line,
    day_label,
    day_text,
    schedule_question,
    schedule_text,
)
from dialogues.paging import page, requested
from nlu.garbage_lookup import GarbageItem, GarbageLookupResult

__all__ = ["GarbageFlow", "day_label"]

LATER = "あとで"
NOT_LISTED = "どれでもない"
MAX_CHOICES = 4


def _more() -> dict[str, Any]:
    return m.postback("ほかの品目を調べる", m.data(action="garbage"), "ほかの品目を調べる")


#: 「地区を変更したい」: the citizen's collection area, asked again.
#: The collection calendar by name (「ごみ出しカレンダー」「収集カレンダー」「ゴミの日程表」), which is not the item カレンダー.
CALENDAR_PHRASE = re.compile(r"(ごみ|ゴミ|ごみ出し|ゴミ出し|収集|回収|資源|分別)の?(カレンダー|日程|予定表|スケジュール)")
AREA_CHANGE = re.compile(r"(地区|地域|住んでいる所).{0,4}(変更|変え|登録|設定)")


class GarbageFlow(Flow):
    name = "garbage"
    title = "ごみの出し方"
    owns = frozenset({"garbage_lookup"})
    notify_timeout = False
    #: ``garbage=area`` (「地区を変える」) at any time; 「地区を変更したい」 and 「本町の燃やすごみの日」 as texts.
    entrance = Entry(intents=frozenset({"garbage_lookup"}), postbacks=("garbage",), text_hook=True)

    async def on_postback(self, ctx: Context, postback: dict[str, str], engine: Engine) -> bool:
        if postback["garbage"] != "area":
            return False
        await engine.start(ctx, self.name, ask_area=True)
        return True

    async def on_text(self, ctx: Context, text: str, engine: Engine) -> bool:
        if AREA_CHANGE.search(text) and ctx.services.knowledge.calendar is not None:
            await engine.start(ctx, self.name, ask_area=True)
            return True
        if schedule_question(ctx.services.knowledge, text) is not None:
            await engine.start(ctx, self.name, text=text)  # 「本町の燃やすごみの日」
            return True
        return False

    # -- entry ----------------------------------------------------------------------------------
    async def start(self, ctx: Context, **params: Any) -> None:
        knowledge = ctx.services.knowledge
        if knowledge.garbage is None:
            ctx.finish(m.text("申し訳ありません。ごみの分別のご案内は準備中です。\n"
                              f"お問い合わせ：{ctx.services.town.garbage_contact}"))
            return
        if params.get("ask_area"):
            self.ask_area(ctx, "お住まいの地区を選ぶか、地区名を送ってください。")
            return
        text = params.get("text")
        if text and await self.take(ctx, text, first=True):
            return
        if text and (await ctx.entity("garbage_item") or not _generic(text)):
            self.unknown(ctx, text)
            return
        self.ask_item(ctx)

    async def take(self, ctx: Context, text: str, *, first: bool = False) -> bool:
        """Answer ``text`` as a garbage question (see the module's docstring). False: it is none."""
        knowledge = ctx.services.knowledge
        assert knowledge.garbage is not None
        if CALENDAR_PHRASE.search(text) and (question := schedule_question(knowledge, text)) is not None:
            # 「ゴミ出しカレンダーみたい」 asks for the days, not how to throw away a カレンダー
            self.answer_schedule(ctx, question.area, question.categories, question.on)
            return True
        result = knowledge.garbage.lookup(_without_areas(ctx, text))
        if result.outcome == "none" and first and (item := await ctx.entity("garbage_item")):
            result = knowledge.garbage.lookup(item)
        if result.best is not None and result.best.how != "fuzzy":
            await self.present(ctx, result)
            return True
        question = schedule_question(knowledge, text)
        if question is not None:
            self.answer_schedule(ctx, question.area, question.categories, question.on)
            return True
        if result.best is not None:
            self.suggest(ctx, result, text)
            return True
        categories = category_names(knowledge).named(text)
        found = faq.search(ctx, text) if categories or first else None
        if found is not None and found.outcome == "confident":
            await faq.respond(ctx, text, found)
            ctx.memory["topic"] = {"name": "garbage", "at": ctx.now.isoformat()}
            ctx.finish()
            return True
        if categories:
            ctx.memory["topic"] = {"name": "garbage", "at": ctx.now.isoformat()}
            told = [category_text(ctx, c) for c in categories[:3]]
            ctx.finish(m.text("\n\n".join([*told, f"お問い合わせ：{ctx.services.town.garbage_contact}"]), [_more()]))
            return True
        return False

    def ask_item(self, ctx: Context, lead: str = "") -> None:
        ctx.ask("item", m.text("調べたいごみの名前を送ってください。\n（例：ペットボトル、乾電池、フライパン）"), lead=lead)

    def ask_area(self, ctx: Context, prompt: str, number: int = 0) -> None:
        """The districts as buttons, ten at a time (「もっと見る」); typing the name works too."""
        calendar = ctx.services.knowledge.calendar
        shown = page(calendar.area_names if calendar else [], number)
        actions = [m.postback(n, m.data(flow="garbage", area=n), n) for n in shown.items]
        actions += shown.more(flow="garbage", more="area")
        actions.append(m.postback(LATER, m.data(flow="garbage", area=""), LATER))
        ctx.data["area_prompt"] = prompt
        ctx.ask("area", m.text(prompt, actions))

    def unknown(self, ctx: Context, text: str) -> None:
        ctx.memory["topic"] = {"name": "garbage", "at": ctx.now.isoformat()}
        ctx.finish(m.text(
            f"申し訳ありません。「{m.clip(text, 30)}」は、ごみの分別辞書に見つかりませんでした。"
            "別の言い方（例：「なべ」→「フライパン」）でもお試しください。\n"
            f"分別がわからないときは、{ctx.services.town.garbage_contact} へお問い合わせください。",
            [_more()]))

    async def present(self, ctx: Context, result: GarbageLookupResult) -> None:
        if result.outcome == "found" and result.best is not None:
            self.answer(ctx, result.best.item)
            return
        self.offer(ctx, result, "いくつか候補があります。どれにあたりますか？")

    def suggest(self, ctx: Context, result: GarbageLookupResult, text: str) -> None:
        """A near spelling (ストブ → ストーブ) is asked about, never answered as if it were sure."""
        ctx.data["asked"] = text
        self.offer(ctx, result, f"「{m.clip(text, 30)}」は辞書に見つかりませんでした。もしかして、次のものですか？",
                   extra=[m.postback(NOT_LISTED, m.data(flow="garbage", pick="none"), NOT_LISTED)])

    def offer(self, ctx: Context, result: GarbageLookupResult, prompt: str,
              extra: list[dict[str, Any]] | None = None) -> None:
        choices: list[GarbageItem] = []
        for match in [result.best, *result.alternatives]:
            if match is not None and match.item not in choices:
                choices.append(match.item)
        choices = choices[:MAX_CHOICES]
        ctx.data["choices"] = [c.name for c in choices]
        actions = [m.postback(c.name, m.data(flow="garbage", pick=i), c.name) for i, c in enumerate(choices)]
        ctx.ask("choose", m.text(prompt, actions + (extra or [])))

    # -- the answers ------------------------------------------------------------------------------
    def answer(self, ctx: Context, item: GarbageItem) -> None:
        knowledge = ctx.services.knowledge
        town = ctx.services.town
        lines = [f"「{item.name}」は【{item.category}】です。"]
        description = knowledge.garbage_categories.get(item.category)
        if item.notes:
            lines.append(item.notes)
        elif description:
            lines.append(description)
        ctx.memory["topic"] = {"name": "garbage", "at": ctx.now.isoformat()}
        calendar = knowledge.calendar
        area = ctx.memory.get("garbage_area")
        more = [_more()]
        if calendar is None:
            ctx.finish(m.text("\n".join(lines), more))
            return
        if area in calendar.areas:
            lines.append(collection_line(ctx, area, item.category))
            more.append(m.postback("地区を変更", m.data(garbage="area"), "地区を変更"))
            ctx.finish(m.text("\n".join(lines), more))
            return
        if not any(calendar.schedule(a, item.category) for a in calendar.areas):
            lines.append(f"定期の収集はありません。出し方は {town.garbage_contact} へお問い合わせください。")
            ctx.finish(m.text("\n".join(lines), more))
            return
        if ctx.data.get("area_prompt") or ctx.memory.get("garbage_area_later"):
            # the area question was put aside (another item instead, or あとで): not asked again
            more.append(m.postback("地区を登録", m.data(garbage="area"), "地区を登録"))
            ctx.finish(m.text("\n".join(lines), more))
            return
        ctx.say(m.text("\n".join(lines)))
        ctx.data.update(category=item.category, item=item.name)
        self.ask_area(ctx, "お住まいの地区を教えていただくと、次の収集日もご案内します。地区を選ぶか、地区名を送ってください。")

    def answer_schedule(self, ctx: Context, area: str | None, categories: list[str], on: int | None = None) -> None:
        """Collection days of ``categories`` (every category when empty) in ``area`` or the citizen's;
        with ``on`` (「明日は何ごみ？」), that day's."""
        calendar = ctx.services.knowledge.calendar
        assert calendar is not None
        ctx.memory["topic"] = {"name": "garbage", "at": ctx.now.isoformat()}
        mine = ctx.memory.get("garbage_area")
        area = area or mine
        if area in calendar.areas:
            told = day_text(ctx, area, categories, on) if on is not None else schedule_text(ctx, area, categories)
            change = "地区を変更" if mine in calendar.areas else "地区を登録"
            ctx.finish(m.text(told, [_more(), m.postback(change, m.data(garbage="area"), change)]))
            return
        ctx.data.update(schedule=True, categories=categories, on=on)
        what = f"{categories[0]}の" if len(categories) == 1 else ""
        self.ask_area(ctx, f"{what}収集日は地区ごとに決まっています。お住まいの地区を選ぶか、地区名を送ってください。")

    # -- states -----------------------------------------------------------------------------------
    @state("item", hint="ごみの名前を送ってください。")
    async def item(self, ctx: Context) -> bool:
        return bool(ctx.text) and await self.take(ctx, ctx.text or "")

    async def fallback(self, ctx: Context) -> bool:
        """Text in the item state that is neither an item nor another question: an unknown item."""
        if ctx.flow_state == "item" and ctx.text:
            self.unknown(ctx, ctx.text)
            return True
        return False

    @state("choose", hint="下のボタンから選んでください。")
    async def choose(self, ctx: Context) -> bool:
        names: list[str] = list(ctx.data.get("choices") or [])
        picked: str | None = None
        pick = ctx.postback.get("pick")
        if pick == "none":
            self.unknown(ctx, str(ctx.data.get("asked") or "そのごみ"))
            return True
        if pick is not None and pick.isdigit() and int(pick) < len(names):
            picked = names[int(pick)]
        elif ctx.text:
            picked = next((n for n in names if n == ctx.text), None)
            if picked is None:
                return await self.take(ctx, ctx.text)
        garbage = ctx.services.knowledge.garbage
        item = next((i for i in garbage.items if i.name == picked), None) if garbage and picked else None
        if item is None:
            return False
        self.answer(ctx, item)
        return True

    @state("area", hint="地区名が見つかりませんでした。下のボタンから選ぶか、地区名を送ってください。")
    async def area(self, ctx: Context) -> bool:
        calendar = ctx.services.knowledge.calendar
        if calendar is None:
            return False
        number = requested(ctx.postback)
        if number is not None:
            self.ask_area(ctx, str(ctx.data.get("area_prompt") or "お住まいの地区を選んでください。"), number)
            return True
        chosen = ctx.postback.get("area")
        text = ctx.text
        if chosen is None and text:
            chosen = "" if text.strip() in {LATER, "わからない", "不明", "スキップ"} else calendar.find_area(text)
            if chosen is None:  # not a district: another garbage question instead, answered as such
                return await self.take(ctx, text)
        if chosen is None:
            return False
        if chosen == "":
            ctx.memory["garbage_area_later"] = True
            ctx.finish(m.text("承知しました。地区はいつでも「地区を変更」から登録できます。", [_more()]))
            return True
        if chosen not in calendar.areas:
            return False
        ctx.memory["garbage_area"] = chosen
        ctx.memory.pop("garbage_area_later", None)
        named = category_names(ctx.services.knowledge).named(text) if text else []
        line = f"地区を「{chosen}」で登録しました。"
        if named or ctx.data.get("schedule"):
            categories = named or list(ctx.data.get("categories") or [])
            on = ctx.data.get("on")
            line += "\n" + (day_text(ctx, chosen, categories, int(on)) if on is not None
                            else schedule_text(ctx, chosen, categories))
        elif ctx.data.get("category"):
            line += "\n" + collection_line(ctx, chosen, str(ctx.data["category"]))
        ctx.finish(m.text(line, [_more()]))
        return True


def _generic(text: str) -> bool:
    """「ごみの出し方を教えて」: a request for the service, not an item."""
    return any(w in text for w in ("ごみ", "ゴミ", "分別", "出し方", "捨て方", "捨てたい", "収集"))


def _without_areas(ctx: Context, text: str) -> str:
    """The text with district names blanked: 「川原の瓦」 looks for 瓦, never for 川原 as an item."""
    calendar = ctx.services.knowledge.calendar
    for name in calendar.area_names if calendar else []:
        if len(name) >= 2 and name in text and name != text.strip():
            text = text.replace(name, " " * len(name))
    return text
