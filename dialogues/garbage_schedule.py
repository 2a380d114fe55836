"""Collection days and categories asked in words (酒田市 spec 第5章 1(6) ごみ分別・収集日).

「本町の燃やすごみの日」 is a question about a district and a category, not an item: the district
comes from the 5374 calendar (``area_days.csv``), the category from the town's own labels
(``area_days.csv`` / ``description.csv`` / ``target.csv``) and the words residents use for them
everywhere (燃えるゴミ = 可燃ごみ = 燃やすごみ). 「粗大ごみを申し込みたい」 names a category without
asking for a day: it is answered with the category's description (how to put it out, how to apply).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from nlu.normalize import fold_kana

if TYPE_CHECKING:
    from dialogues.engine import Context
    from dialogues.services import Knowledge

#: Words residents use for the same kind of garbage, whatever the town calls it.
CATEGORY_WORDS: tuple[tuple[str, ...], ...] = (
    ("燃やすごみ", "燃えるごみ", "燃やせるごみ", "可燃ごみ", "可燃物"),
    ("燃やさないごみ", "燃えないごみ", "燃やせないごみ", "不燃ごみ", "不燃物"),
    ("資源ごみ", "資源物", "リサイクルごみ"),
    ("粗大ごみ", "大型ごみ"),
    ("有害ごみ", "危険ごみ", "有害危険ごみ"),
    ("プラスチック", "プラごみ", "プラ"),
    ("古紙", "紙類", "古紙類"),
)
#: Words that ask when (with a category or a district): 「…の日」「何曜日」「いつ」; 「収集」「回収」 only
#: when nothing is requested (「粗大ごみの収集を申し込みたい」 asks how to apply).
DAY_WORDS = ("日", "曜", "いつ", "カレンダー", "あした", "あす", "あさって", "きょう")
WEAK_DAY_WORDS = ("収集", "回収", "予定")
REQUEST_WORDS = ("申し込", "申込", "予約", "依頼", "頼", "お願い", "したい", "出し方", "捨て方", "方法")
GARBAGE_WORDS = ("ごみ", "ゴミ", "資源", "収集", "回収")
WEEKDAY_JA = "月火水木金土日"
_BRACKETS = re.compile(r"[（(]([^）)]*)[）)]")


class CategoryNames:
    """Which of the town's categories a text names (longest alias wins; 「資源ごみ」 names every
    資源ごみ（…） the town has)."""

    def __init__(self, labels: Iterable[str]) -> None:
        #: One label per category (the first spelling given: 資源ごみ（缶） and 資源ごみ(缶) are one).
        self.labels = list({_key(label): label.strip() for label in reversed(list(labels))
                            if label and label.strip()}.values())[::-1]
        self.aliases: dict[str, set[str]] = {}
        for label in self.labels:
            base = _BRACKETS.sub("", label).strip()
            found = {fold_kana(label), fold_kana(base)}
            found |= {fold_kana(p) for inner in _BRACKETS.findall(label) for p in re.split(r"[・、,]", inner)
                      if len(fold_kana(p)) >= 3}
            for group in CATEGORY_WORDS:
                folded = [fold_kana(w) for w in group]
                for alias in list(found):
                    for word in folded:
                        if word in alias:
                            found |= {alias.replace(word, other) for other in folded}
                            if len(alias) > len(word) and group[0] in ("プラスチック", "古紙"):
                                found |= set(folded)  # 資源ごみ（プラスチック製容器包装）: 「プラの日」
            for alias in found:
                if len(alias) >= 2:
                    self.aliases.setdefault(alias, set()).add(label)

    def label(self, category: str) -> str:
        """The town's spelling of ``category`` (the calendar's header may differ in width)."""
        return next((label for label in self.labels if _key(label) == _key(category)), category)

    def named(self, text: str) -> list[str]:
        folded = fold_kana(text)
        hits = [a for a in self.aliases if a in folded]
        widest = [a for a in hits if not any(a != b and a in b for b in hits)]
        chosen = set().union(*(self.aliases[a] for a in widest)) if widest else set()
        return [label for label in self.labels if label in chosen]


def _key(label: str) -> str:
    return unicodedata.normalize("NFKC", label).replace(" ", "")


def category_names(knowledge: Knowledge) -> CategoryNames:
    """The town's categories, from the calendar, the descriptions and the dictionary (built once)."""
    cache = vars(knowledge)  # kept on the instance: knowledge is built once per service
    cached = cache.get("_category_names")
    if not isinstance(cached, CategoryNames):
        labels = list(knowledge.garbage_categories)
        labels += [i.category for i in (knowledge.garbage.items if knowledge.garbage else [])]
        labels += list(knowledge.calendar.categories if knowledge.calendar else [])
        cached = cache["_category_names"] = CategoryNames(labels)
    return cached


#: 「明日は何ごみ？」: the day asked about, in days from today.
RELATIVE_DAYS = (("明後日", 2), ("あさって", 2), ("明日", 1), ("あした", 1), ("あす", 1), ("今日", 0), ("きょう", 0),
                 ("本日", 0))


@dataclass(frozen=True)
class ScheduleQuestion:
    """「本町の燃やすごみの日」: area 本町, categories [燃やすごみ]; 「本町のごみの日」: every category;
    「明日は何ごみ？」: ``on`` = 1 (days from today)."""

    area: str | None
    categories: list[str] = field(default_factory=list)
    on: int | None = None


def schedule_question(knowledge: Knowledge, text: str) -> ScheduleQuestion | None:
    """A question about collection days, or None. It names a category or a district, and asks when
    (「…の日」「いつ」), or names both; a district name alone (「本町」) asks for that district's days."""
    calendar = knowledge.calendar
    if calendar is None or not text:
        return None
    area = calendar.find_area(text)
    named = category_names(knowledge).named(text)
    categories = [c for c in named if any(calendar.category_key(a, c) for a in calendar.areas)]
    if named and not categories:
        return None  # a category collected on request only (粗大ごみ where the calendar has no day)
    asks_day = any(w in text for w in DAY_WORDS) or (
        any(w in text for w in WEAK_DAY_WORDS) and not any(w in text for w in REQUEST_WORDS))
    about_garbage = bool(categories) or any(w in text for w in GARBAGE_WORDS)
    bare = re.sub(r"(です|だよ|地区|地域|の?ごみ|[はをのにでも]|[\s。、！？!?])+$", "", text.strip())
    if (area and categories) or (asks_day and about_garbage) or (area and bare == area):
        on = next((n for word, n in RELATIVE_DAYS if word in text), None)
        return ScheduleQuestion(area, categories, on)
    return None


def names_garbage(knowledge: Knowledge, text: str) -> bool:
    """「粗大ごみを申し込みたい」: a garbage category or the word ごみ (a booking request about it is not
    a facility booking)."""
    return bool(category_names(knowledge).named(text)) or any(w in text for w in ("ごみ", "ゴミ"))


def day_label(day: date, today: date) -> str:
    year = f"{day.year}年" if day.year != today.year else ""
    base = f"{year}{day.month}月{day.day}日（{WEEKDAY_JA[day.weekday()]}）"
    if day == today:
        return f"今日 {base}"
    if day == today + timedelta(days=1):
        return f"明日 {base}"
    return base


def next_collection(ctx: Context, area: str, category: str) -> date | None:
    """The next collection, today included only before the town's morning deadline."""
    calendar = ctx.services.knowledge.calendar
    assert calendar is not None
    local = ctx.local_now
    today = local.date()
    start = today if local.time() < ctx.services.town.garbage_deadline else today + timedelta(days=1)
    return calendar.next_day(area, category, start)


def _deadline(ctx: Context) -> str:
    deadline = ctx.services.town.garbage_deadline
    return f"{deadline.hour}時" + (f"{deadline.minute:02d}分" if deadline.minute else "")


def deadline_text(ctx: Context) -> str:
    return f"当日の朝{_deadline(ctx)}までに出してください。"


def collection_line(ctx: Context, area: str, category: str) -> str:
    """「本町の次の燃やすごみの収集日は 6月12日（木） です。当日の朝8時30分までに出してください。」"""
    calendar = ctx.services.knowledge.calendar
    assert calendar is not None
    if calendar.schedule(area, category) is None:
        return f"{area}では、{category}の定期収集はありません。"
    day = next_collection(ctx, area, category)
    if day is None:
        return f"{area}の{category}の収集予定は、いまのところありません。"
    return f"{area}の次の{category}の収集日は {day_label(day, ctx.local_now.date())} です。{deadline_text(ctx)}"


def schedule_text(ctx: Context, area: str, categories: list[str]) -> str:
    """The days of one category (rule + next day), or of several / every category as a short list."""
    calendar = ctx.services.knowledge.calendar
    assert calendar is not None
    today = ctx.local_now.date()
    if len(categories) == 1:
        category = categories[0]
        schedule = calendar.schedule(area, category)
        day = next_collection(ctx, area, category) if schedule else None
        if schedule is None or day is None or not schedule.describe():
            return collection_line(ctx, area, category)
        return (f"{area}の{category}の収集日は {schedule.describe()} です。"
                f"次は {day_label(day, today)} です。{deadline_text(ctx)}")
    names = category_names(ctx.services.knowledge)
    shown = categories or [names.label(c) for c in calendar.categories_of(area)]
    lines = [f"{area}の収集日です。"]
    for category in shown:
        schedule = calendar.schedule(area, category)
        day = next_collection(ctx, area, category) if schedule else None
        rule = schedule.describe() if schedule else ""
        when = f"{rule}（次は {day_label(day, today)}）" if rule and day else rule or "定期の収集はありません"
        lines.append(f"・{category}：{when}")
    lines.append(deadline_text(ctx))
    return "\n".join(lines)


def day_text(ctx: Context, area: str, categories: list[str], offset: int) -> str:
    """「明日は何ごみ？」: what ``area`` puts out that day (or whether it is ``categories``' day)."""
    calendar = ctx.services.knowledge.calendar
    assert calendar is not None
    today = ctx.local_now.date()
    day = today + timedelta(days=offset)
    names = category_names(ctx.services.knowledge)
    collected = [names.label(c) for c in calendar.collections_on(area, day)]
    when = f"{area}の{day_label(day, today)}"
    if categories:
        lines = [f"{when}は、{c}の収集日です。" if any(_key(c) == _key(x) for x in collected)
                 else f"{when}は、{c}の収集日ではありません。" for c in categories]
        return "\n".join(lines + [schedule_text(ctx, area, categories)])
    if not collected:
        return f"{when}は、収集はありません。\n" + schedule_text(ctx, area, [])
    late = offset == 0 and ctx.local_now.time() >= ctx.services.town.garbage_deadline
    return f"{when}は、{'・'.join(collected)}の収集日です。" + (
        f"（出すのは朝{_deadline(ctx)}までです。過ぎてしまったときは次の収集日に出してください）" if late
        else deadline_text(ctx))


def category_text(ctx: Context, category: str) -> str:
    """「粗大ごみを申し込みたい」: the category's description (how to put it out, how to apply) and,
    for the citizen's district, the next collection."""
    knowledge = ctx.services.knowledge
    description = knowledge.garbage_categories.get(category, "")
    lines = [f"【{category}】", description or f"出し方は {ctx.services.town.garbage_contact} へお問い合わせください。"]
    calendar = knowledge.calendar
    area = ctx.memory.get("garbage_area")
    if calendar is not None and area in calendar.areas and calendar.schedule(area, category) is not None:
        lines.append(collection_line(ctx, area, category))
    return "\n".join(lines)
