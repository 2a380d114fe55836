"""Garbage sorting (酒田市 spec 第5章 1(6) ごみ分別検索): item → category, notes and, when the
citizen's area is known, the next collection day (5374 ``area_days.csv`` rules, centre closures).

The area is asked once and remembered (``memory.garbage_area``); 「地区を変更」 changes it. Items
with several kinds (バケツ: 金属製 / プラスチック製) offer the candidates; unknown items say so
and give the contact. See ``garbage.mmd``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from dialogues import messages as m
from dialogues.engine import Context, Flow, state
from nlu.garbage_lookup import GarbageItem, GarbageLookupResult

WEEKDAY_JA = "月火水木金土日"
LATER = "あとで"
MAX_CHOICES = 4


def day_label(day: date, today: date) -> str:
    base = f"{day.month}月{day.day}日（{WEEKDAY_JA[day.weekday()]}）"
    if day == today:
        return f"今日 {base}"
    if day == today + timedelta(days=1):
        return f"明日 {base}"
    return base


class GarbageFlow(Flow):
    name = "garbage"
    title = "ごみの出し方"
    owns = frozenset({"garbage_lookup"})
    notify_timeout = False

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
        if text:
            result = knowledge.garbage.lookup(text)
            if result.outcome == "none":
                item = await ctx.entity("garbage_item")
                if item:
                    result = knowledge.garbage.lookup(item)
            if result.outcome != "none":
                await self.present(ctx, result)
                return
            if await ctx.entity("garbage_item") or not _generic(text):
                self.unknown(ctx, text)
                return
        self.ask_item(ctx)

    def ask_item(self, ctx: Context, lead: str = "") -> None:
        ctx.ask("item", m.text("調べたいごみの名前を送ってください。\n（例：ペットボトル、乾電池、フライパン）"), lead=lead)

    def ask_area(self, ctx: Context, lead: str) -> None:
        calendar = ctx.services.knowledge.calendar
        names = calendar.area_names if calendar else []
        actions = [m.postback(n, m.data(flow="garbage", area=n), n) for n in names[:12]]
        actions.append(m.postback(LATER, m.data(flow="garbage", area=""), LATER))
        ctx.ask("area", m.text(lead, actions))

    def unknown(self, ctx: Context, text: str) -> None:
        ctx.memory["topic"] = {"name": "garbage", "at": ctx.now.isoformat()}
        ctx.finish(m.text(
            f"申し訳ありません。「{m.clip(text, 30)}」は、ごみの分別辞書に見つかりませんでした。"
            "別の言い方（例：「なべ」→「フライパン」）でもお試しください。\n"
            f"分別がわからないときは、{ctx.services.town.garbage_contact} へお問い合わせください。",
            [m.postback("ほかの品目を調べる", m.data(action="garbage"), "ほかの品目を調べる")]))

    async def present(self, ctx: Context, result: GarbageLookupResult) -> None:
        if result.outcome == "found" and result.best is not None:
            self.answer(ctx, result.best.item)
            return
        choices: list[GarbageItem] = []
        for match in [result.best, *result.alternatives]:
            if match is not None and match.item not in choices:
                choices.append(match.item)
        choices = choices[:MAX_CHOICES]
        ctx.data["choices"] = [c.name for c in choices]
        actions = [m.postback(c.name, m.data(flow="garbage", pick=i), c.name) for i, c in enumerate(choices)]
        ctx.ask("choose", m.text("いくつか候補があります。どれにあたりますか？", actions))

    # -- the answer -----------------------------------------------------------------------------
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
        more = [m.postback("ほかの品目を調べる", m.data(action="garbage"), "ほかの品目を調べる")]
        if calendar is None:
            ctx.finish(m.text("\n".join(lines), more))
            return
        if area in calendar.areas:
            lines.append(self.collection_line(ctx, area, item.category))
            more.append(m.postback("地区を変更", m.data(garbage="area"), "地区を変更"))
            ctx.finish(m.text("\n".join(lines), more))
            return
        if not any(calendar.schedule(a, item.category) for a in calendar.areas):
            lines.append(f"定期の収集はありません。出し方は {town.garbage_contact} へお問い合わせください。")
            ctx.finish(m.text("\n".join(lines), more))
            return
        ctx.say(m.text("\n".join(lines)))
        ctx.data["category"] = item.category
        ctx.data["item"] = item.name
        self.ask_area(ctx, "お住まいの地区を教えていただくと、次の収集日もご案内します。"
                           "地区を選ぶか、地区名を送ってください。")

    def collection_line(self, ctx: Context, area: str, category: str) -> str:
        calendar = ctx.services.knowledge.calendar
        assert calendar is not None
        local = ctx.local_now
        today = local.date()
        start = today if local.time() < ctx.services.town.garbage_deadline else today + timedelta(days=1)
        day = calendar.next_day(area, category, start)
        if calendar.schedule(area, category) is None:
            return f"{area}では、{category}の定期収集はありません。"
        if day is None:
            return f"{area}の{category}の収集予定は、いまのところありません。"
        deadline = ctx.services.town.garbage_deadline
        return (f"{area}の次の{category}の収集日は {day_label(day, today)} です。"
                f"当日の朝{deadline.hour}時{deadline.minute:02d}分までに出してください。"
                if deadline.minute else
                f"{area}の次の{category}の収集日は {day_label(day, today)} です。"
                f"当日の朝{deadline.hour}時までに出してください。")

    # -- states -----------------------------------------------------------------------------------
    @state("item", hint="ごみの名前を送ってください。")
    async def item(self, ctx: Context) -> bool:
        text = ctx.text
        if not text:
            return False
        result = ctx.services.knowledge.garbage.lookup(text)  # type: ignore[union-attr]
        if result.outcome == "none":
            return False
        await self.present(ctx, result)
        return True

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
        if pick is not None and pick.isdigit() and int(pick) < len(names):
            picked = names[int(pick)]
        elif ctx.text:
            picked = next((n for n in names if n == ctx.text), None)
            if picked is None:
                result = ctx.services.knowledge.garbage.lookup(ctx.text)  # type: ignore[union-attr]
                if result.outcome == "none":
                    return False
                await self.present(ctx, result)
                return True
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
        chosen = ctx.postback.get("area")
        if chosen is None and ctx.text:
            if ctx.text.strip() in {LATER, "わからない", "不明", "スキップ"}:
                chosen = ""
            else:
                chosen = calendar.find_area(ctx.text)
        if chosen is None:
            return False
        if chosen == "":
            ctx.finish(m.text("承知しました。地区はいつでも「地区を変更」から登録できます。"))
            return True
        if chosen not in calendar.areas:
            return False
        ctx.memory["garbage_area"] = chosen
        category = ctx.data.get("category")
        line = f"地区を「{chosen}」で登録しました。"
        if category:
            line += "\n" + self.collection_line(ctx, chosen, str(category))
        ctx.finish(m.text(line, [m.postback("ほかの品目を調べる", m.data(action="garbage"), "ほかの品目を調べる")]))
        return True


def _generic(text: str) -> bool:
    """「ごみの出し方を教えて」: a request for the service, not an item."""
    return any(w in text for w in ("ごみ", "ゴミ", "分別", "出し方", "捨て方", "捨てたい", "収集"))
