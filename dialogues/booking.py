"""Facility booking in the talk (国富町 spec §8 表4): 「来週の土曜に体育館を借りたい」 → reservation number.

What the citizen already said (facility, date, time, people, purpose) is taken from the NLU
entities; only what is missing is asked, in this order: facility → unit → day (LINE's date picker
or free text) → free frame → equipment (optional) → purpose → people → activity (when the unit
needs it) → resident type (asked once, remembered) → the facility's terms → a summary with the
fee → 予約する → 予約番号. A slot taken meanwhile is answered with alternatives (and the waitlist).
My reservations, change and cancel are in ``booking_manage.py``. See ``booking.mmd``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import Any

from civic.booking import messages as bm
from civic.booking.services import normalize
from civic.booking.types import (
    BLOCKED,
    CLOSED,
    CLOSED_ONLINE,
    NOT_OPEN,
    PAST,
    TAKEN,
    BookingRequest,
    Quote,
    Refused,
    Reserved,
    Slot,
    SlotTaken,
)
from civic.facilities.catalogue import FacilityBundle
from civic.facilities.models import RESIDENT_TYPE_LABELS, Unit
from dialogues import booking_messages as bt
from dialogues import messages as m
from dialogues.booking_desk import BookingDesk
from dialogues.booking_manage import ManageSteps, on_offer_postback
from dialogues.engine import Context, Flow, state
from dialogues.services import Services

CATEGORY_SUFFIXES = ("体育館", "武道館", "運動公園", "グラウンド", "グランド", "広場", "キャンプ場", "テニスコート",
                     "ドッグラン", "センター", "運動場", "球場")
NONE_WORDS = ("なし", "無し", "いらない", "不要", "使わない", "使いません", "ありません", "大丈夫")
DONE_WORDS = ("決定", "次へ", "以上", "これで", "OK", "ok", "完了")
_NUMBER = re.compile(r"^\s*(\d{1,4})\s*(人|名|にん)?(くらい|ぐらい|程度|です)?\s*$")
MAX_SLOTS = 10
__all__ = ["BookingFlow", "on_offer_postback"]
MAX_FACILITIES = 11


class BookingFlow(ManageSteps, Flow):
    name = "booking"
    title = "施設の予約"
    owns = frozenset({"booking_make", "booking_manage"})

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        assert services.booking is not None
        self.desk = BookingDesk(services.booking)

    # -- entry -----------------------------------------------------------------------------------
    async def start(self, ctx: Context, **params: Any) -> None:
        base = ctx.services.public_base_url
        if not ctx.turn.user_id or ctx.turn.channel == "web":
            ctx.finish(m.text("施設の予約は、LINE のトーク画面からご利用いただけます。空き状況はカレンダーでもご覧いただけます。",
                              bt.calendar_link(base)))
            return
        pb = ctx.postback
        text = params.get("text")
        op = pb.get("op")
        if op is None and text and (await ctx.nlu())["intent"]["name"] == "booking_manage":
            op = "mine"
        if op == "mine":
            await self.show_mine(ctx)
            return
        if op in {"cancel", "change"} and pb.get("no"):
            await self.open_reservation(ctx, op, pb["no"])
            return
        ctx.data["mode"] = "make"
        if pb.get("unit", "").isdigit():
            await self.prefill_unit(ctx, int(pb["unit"]))
        elif text:
            await self.prefill(ctx, text)
        heard = [f"{bt.day_text(date.fromisoformat(ctx.data['day']))}" if ctx.data.get("day") else "",
                 f"{ctx.data['people']}人" if ctx.data.get("people") else ""]
        heard_text = f"（{'、'.join(h for h in heard if h)}）" if any(heard) else ""
        await self.advance(ctx, f"施設のご予約ですね{heard_text}。ありがとうございます。")

    async def prefill(self, ctx: Context, text: str) -> None:
        """Facility, date, time and people from the sentence that started the flow."""
        d = ctx.data
        d["said"] = text
        facility = await ctx.entity("facility")
        pairs = await self.desk.bookable_units(facility) if facility else []
        pairs = self.narrow(ctx, pairs, text) if pairs else []
        facilities = list(dict.fromkeys(b.id for b, _ in pairs))
        if len(facilities) == 1:
            d["facility_id"] = facilities[0]
            units = [u.id for _, u in pairs]
            if len(units) == 1:
                d["unit_id"] = units[0]
            elif len(units) < len(await self.units_of(facilities[0])):
                d["unit_choices"] = units
        elif facilities:
            d["choices"] = facilities
        nlu = await ctx.nlu()
        for e in nlu["entities"]:
            if e.get("entity") == "date" and "day" not in d and str(e.get("value")) > ctx.local_now.date().isoformat():
                d["day"] = str(e["value"])
            elif e.get("entity") == "time" and e.get("role") in (None, "start") and "time" not in d:
                d["time"] = str(e["value"])
            elif e.get("entity") == "people" and str(e.get("value")).isdigit():
                d["people"] = int(e["value"])

    async def prefill_unit(self, ctx: Context, unit_id: int) -> None:
        bundle = await self.desk.bundle(unit_id)
        if bundle is not None and any(u.id == unit_id for u in await self.units_of(bundle.id)):
            ctx.data.update(facility_id=bundle.id, unit_id=unit_id)

    def narrow(self, ctx: Context, pairs: list[tuple[FacilityBundle, Unit]], text: str) -> list[tuple[FacilityBundle, Unit]]:
        """Only the facilities (and units) the sentence names, when it names some: 「桜木体育館の半面」."""
        said = normalize(text)
        town = ctx.services.town.name
        named = [(b, u) for b, u in pairs if any(normalize(k) in said for k in _keys(b.facility.name, town))]
        pairs = named or pairs
        units = [(b, u) for b, u in pairs if normalize(_core(u.name)) in said]
        return units or pairs

    async def units_of(self, facility_id: int) -> list[Unit]:
        bundle = await self.desk.facility(facility_id)
        return [u for b, u in await self.desk.bookable_units() if bundle is not None and b.id == bundle.id]

    async def current(self, ctx: Context) -> tuple[FacilityBundle | None, Unit | None]:
        unit_id = ctx.data.get("unit_id")
        bundle = await self.desk.bundle(int(unit_id)) if unit_id else None
        return bundle, bundle.unit(int(unit_id)) if bundle and unit_id else None

    # -- the next question -----------------------------------------------------------------------
    async def advance(self, ctx: Context, lead: str = "") -> None:
        """Ask the first thing still missing (what the citizen already said is skipped)."""
        d = ctx.data
        if d.get("unit_id") is None:
            if d.get("facility_id") is None:
                await self.ask_facility(ctx, lead)
            else:
                await self.ask_unit(ctx, lead)
            return
        bundle, unit = await self.current(ctx)
        if bundle is None or unit is None:
            ctx.finish(m.text("申し訳ありません。ご指定の施設は、現在ご予約いただけません。"))
            return
        if d.get("day") is None:
            self.ask_day(ctx, bundle, unit, lead)
        elif d.get("start") is None:
            await self.ask_frame(ctx, bundle, unit, lead)
        elif d.get("mode") == "change":
            self.ask_change(ctx, bundle, unit, lead)
        elif not d.get("equipment_done") and bundle.equipment_for(unit.id or 0):
            self.ask_equipment(ctx, bundle, unit, lead)
        elif bundle.purposes_for(unit.id or 0) and not d.get("purpose") and not self._guess_purpose(ctx, bundle, unit):
            self.ask_purpose(ctx, bundle, unit, lead)
        elif not d.get("people"):
            self.ask_people(ctx, unit, lead)
        elif unit.activity_required and not d.get("activity"):
            ctx.ask("activity", m.text("活動内容を入力してください（例：剣道の練習、少年団の試合）。"), lead=lead)
        elif d.get("ask_resident") or await self.desk.resident_type(ctx.session, ctx.turn.user_id or "") is None:
            self.ask_resident(ctx, lead)
        elif bundle.facility.terms.strip() and not d.get("terms"):
            ctx.ask("terms", m.text(f"【{bundle.facility.name} 利用上の遵守事項】\n{bundle.facility.terms.strip()}\n\n"
                                    "上記に同意のうえでご予約ください。",
                                    [bt.act("同意する", terms="yes"), bt.act("同意しない", terms="no")]), lead=lead)
        else:
            await self.ask_confirm(ctx, bundle, unit, lead)

    def _guess_purpose(self, ctx: Context, bundle: FacilityBundle, unit: Unit) -> bool:
        found = _match(bundle.purposes_for(unit.id or 0), str(ctx.data.get("said") or ""))
        if found:
            ctx.data["purpose"] = found
        return bool(found)

    # -- prompts ---------------------------------------------------------------------------------
    async def ask_facility(self, ctx: Context, lead: str = "") -> None:
        pairs = await self.desk.bookable_units()
        ids = ctx.data.get("choices") or list(dict.fromkeys(b.id for b, _ in pairs))
        bundles = {b.id: b for b, _ in pairs}
        town = ctx.services.town.name
        actions = [bt.act(bt.short_name(bundles[i].facility.name, town), bundles[i].facility.name, fac=i)
                   for i in ids[:MAX_FACILITIES] if i in bundles]
        ctx.ask("facility", m.text("どちらの施設をご予約になりますか？下のボタンから選ぶか、施設名を入力してください。",
                                   actions + bt.calendar_link(ctx.services.public_base_url)), lead=lead)

    async def ask_unit(self, ctx: Context, lead: str = "") -> None:
        facility_id = int(ctx.data["facility_id"])
        units = await self.units_of(facility_id)
        only = ctx.data.get("unit_choices")
        units = [u for u in units if not only or u.id in only] or units
        bundle = await self.desk.facility(facility_id)
        name = bundle.facility.name if bundle else ""
        actions = [bt.act(u.name, f"{u.name}" + (f"（定員{u.capacity}人）" if u.capacity else ""), unit=u.id)
                   for u in units[:12]]
        ctx.ask("unit", m.text(f"{name}のどちらをご利用になりますか？", actions), lead=lead)

    def day_bounds(self, ctx: Context, bundle: FacilityBundle) -> tuple[date, date]:
        today = ctx.local_now.date()
        months = max(1, bundle.facility.booking_opens_months)
        return today + timedelta(days=1), today + timedelta(days=min(31 * months + 1, 400))

    def ask_day(self, ctx: Context, bundle: FacilityBundle, unit: Unit, lead: str = "",
                suggested: list[date] | None = None) -> None:
        low, high = self.day_bounds(ctx, bundle)
        actions = [bt.act(bm.day_label(d), bt.day_text(d), day=d.isoformat()) for d in suggested or []]
        actions += [bt.day_picker(low, high, (suggested or [low])[0]),
                    *bt.calendar_link(ctx.services.public_base_url, f"unit={unit.id}")]
        prompt = "ご利用になる日を、下の「日付を選ぶ」から選ぶか、「6月21日」「来週の土曜」のように入力してください。"
        if suggested:
            prompt = "近い日で空きがあるのは、下の日です。ほかの日は「日付を選ぶ」からどうぞ。"
        ctx.ask("day", m.text(f"{bundle.facility.name} {unit.name}\n{prompt}", actions), lead=lead)

    async def ask_frame(self, ctx: Context, bundle: FacilityBundle, unit: Unit, lead: str = "") -> None:
        d = ctx.data
        day = date.fromisoformat(d["day"])
        choices, every = await self.desk.free_slots(unit, day)
        if not choices:
            d.pop("day", None)
            near = await self.desk.nearest_days(unit.id or 0, day, ctx.local_now.date())
            why = _why_not(every, day, bundle)
            if not near:
                why += "\n近い日にも空きが見つかりませんでした。カレンダーで空き状況をご確認いただけます。"
            self.ask_day(ctx, bundle, unit, f"{lead}\n{why}".strip(), near)
            return
        wanted = d.pop("time", None)
        picked = _by_time(choices, str(wanted)) if wanted else None
        if picked is not None:
            d.update(start=picked.start_minute, end=picked.end_minute, slot=bt.slot_label(picked))
            await self.advance(ctx, lead)
            return
        actions = [bt.act(bt.slot_label(s), f"{bm.day_label(day)} {bt.slot_label(s)}", slot=f"{s.start_minute}-{s.end_minute}")
                   for s in choices[:MAX_SLOTS]]
        actions += [bt.act("別の日にする", edit="day"),
                    *bt.calendar_link(ctx.services.public_base_url, f"unit={unit.id}")]
        note = "" if len(choices) <= MAX_SLOTS else "\n（ほかの時間帯はカレンダーからお選びいただけます）"
        ctx.ask("frame", m.text(f"{bt.day_text(day)}の{unit.name}の空いている時間帯です。ご希望の時間帯を選んでください。{note}",
                                actions), lead=lead)

    def ask_equipment(self, ctx: Context, bundle: FacilityBundle, unit: Unit, lead: str = "") -> None:
        chosen = ctx.data.setdefault("equipment", {})
        items = bundle.equipment_for(unit.id or 0)[:10]
        actions = [bt.act(e.name, f"{e.name}を追加", eq=e.id) for e in items]
        actions.append(bt.act("これで決定", eq="done") if chosen else bt.act("備品は使わない", eq="none"))
        if chosen:
            actions.append(bt.act("選び直す", eq="none"))
        fees = "、".join(f"{e.name} {bm.yen(e.fee)}{'/時間' if e.fee_per == 'hour' else ''}" for e in items if e.fee)
        ctx.ask("equipment", m.text(
            "備品や附属設備（照明など）をお使いになりますか？使うものを押してください（押すたびに1つ増えます）。\n"
            + (f"有料のもの：{fees}\n" if fees else "") + f"選択中：{bt.equipment_text(bundle, chosen)}", actions), lead=lead)

    def ask_purpose(self, ctx: Context, bundle: FacilityBundle, unit: Unit, lead: str = "") -> None:
        purposes = bundle.purposes_for(unit.id or 0)
        actions = [bt.act(p, p, purpose=i) for i, p in enumerate(purposes[:13])]
        ctx.ask("purpose", m.text("利用目的を選んでください。", actions), lead=lead)

    def ask_people(self, ctx: Context, unit: Unit, lead: str = "") -> None:
        cap = f"（定員{unit.capacity}人）" if unit.capacity else ""
        ctx.ask("people", m.text(f"ご利用になる人数を、数字で入力してください{cap}。\n例：12"), lead=lead)

    def ask_resident(self, ctx: Context, lead: str = "") -> None:
        ctx.data.pop("ask_resident", None)
        actions = [bt.act(label, label, rt=code) for code, label in RESIDENT_TYPE_LABELS.items()]
        ctx.ask("resident", m.text("利用者区分を選んでください（使用料が変わることがあります）。\n"
                                   "一度お答えいただくと、次回からはお聞きしません。", actions), lead=lead)

    def request(self, ctx: Context, bundle: FacilityBundle) -> BookingRequest:
        d = ctx.data
        return BookingRequest(int(d["unit_id"]), date.fromisoformat(d["day"]), int(d["start"]), int(d["end"]),
                              people=int(d.get("people") or 1), purpose=str(d.get("purpose") or ""),
                              activity=d.get("activity"),
                              equipment={int(k): int(v) for k, v in (d.get("equipment") or {}).items() if v},
                              terms_accepted=bool(d.get("terms")) or not bundle.facility.terms.strip())

    def lines(self, ctx: Context, bundle: FacilityBundle, unit: Unit, resident: str) -> list[tuple[str, str]]:
        d = ctx.data
        out = [("施設", f"{bundle.facility.name} {unit.name}"),
               ("日時", bt.when_text(date.fromisoformat(d["day"]), int(d["start"]), int(d["end"])))]
        if d.get("purpose"):
            out.append(("利用目的", str(d["purpose"])))
        out.append(("人数", f"{d.get('people')}人"))
        if d.get("activity"):
            out.append(("活動内容", str(d["activity"])))
        if bundle.equipment_for(unit.id or 0):
            out.append(("備品", bt.equipment_text(bundle, d.get("equipment") or {})))
        out.append(("利用者区分", RESIDENT_TYPE_LABELS.get(resident, resident)))
        return out

    async def ask_confirm(self, ctx: Context, bundle: FacilityBundle, unit: Unit, lead: str = "") -> None:
        booker = await self.desk.booker(ctx.session, ctx.turn.user_id or "")
        request = self.request(ctx, bundle)
        quote: Quote = await self.services.booking.quote(request, booker)  # type: ignore[union-attr]
        if any(v.code == "taken" for v in quote.violations):
            taken = await self.services.booking.alternatives(request)  # type: ignore[union-attr]
            self.ask_taken(ctx, SlotTaken(taken, waitlist_available=bundle.facility.waitlist_enabled), lead)
            return
        if quote.violations:
            self.ask_fix(ctx, bundle, Refused(quote.violations), lead)
            return
        body = "以下の内容で予約します。よろしいですか？\n" + bt.summary(self.lines(ctx, bundle, unit, booker.resident_type),
                                                               quote)
        actions = [bt.act("予約する", confirm="yes"), bt.act("日時を変える", edit="day"), bt.act("人数を変える", edit="people")]
        if bundle.equipment_for(unit.id or 0):
            actions.append(bt.act("備品を変える", edit="equipment"))
        actions += [bt.act("区分を変える", "利用者区分を変える", edit="resident"), m.postback("やめる", m.data(action="cancel"))]
        ctx.ask("confirm", m.text(body, actions), lead=lead)

    def ask_fix(self, ctx: Context, bundle: FacilityBundle, refused: Refused, lead: str = "") -> None:
        fields = {v.field for v in refused.violations}
        actions = [bt.act(label, edit=key) for key, label, names in (
            ("day", "日時を選び直す", {"day", "start_minute", "end_minute", None}), ("people", "人数を直す", {"people"}),
            ("purpose", "目的を選び直す", {"purpose"}), ("equipment", "備品を選び直す", {"equipment"}),
            ("resident", "区分を選び直す", {"resident_type"})) if fields & names]
        actions.append(m.postback("やめる", m.data(action="cancel")))
        ctx.ask("confirm", m.text(f"申し訳ありません。このままではご予約をお受けできません。\n{refused.message}\n"
                                  f"ご不明な点は {bundle.facility.name}（{bundle.facility.phone}）へお問い合わせください。",
                                  actions), lead=lead)

    def ask_taken(self, ctx: Context, taken: SlotTaken, lead: str = "") -> None:
        alts = [[s.unit_id, s.day.isoformat(), s.start_minute, s.end_minute, s.unit_name, s.label] for s in taken.alternatives[:5]]
        ctx.data["alts"] = alts
        ctx.data["waitlist"] = taken.waitlist_available
        lines = [f"{i + 1}. {bt.when_text(date.fromisoformat(a[1]), a[2], a[3])} {a[4]}" for i, a in enumerate(alts)]
        body = taken.message + ("\n代わりに、次の枠が空いています。\n" + "\n".join(lines) if alts
                                else "\n近い枠に空きが見つかりませんでした。")
        actions = [bt.act(f"{i + 1}. {date.fromisoformat(a[1]).month}/{date.fromisoformat(a[1]).day} {bm.hm(a[2])}〜",
                          lines[i][3:], alt=i) for i, a in enumerate(alts)]
        if taken.waitlist_available and ctx.data.get("mode") != "change":
            body += "\nキャンセル待ちに登録すると、空きが出たときにこのトークでお知らせします。"
            actions.append(bt.act("キャンセル待ちに登録", wait=1))
        actions += [bt.act("別の日を選ぶ", edit="day"), m.postback("やめる", m.data(action="cancel"))]
        ctx.ask("taken", m.text(body, actions), lead=lead)

    # -- states ----------------------------------------------------------------------------------
    @state("facility", hint="施設を、下のボタンから選ぶか施設名で入力してください。")
    async def facility(self, ctx: Context) -> bool:
        pick = ctx.postback.get("fac")
        if pick and pick.isdigit():
            ctx.data["facility_id"] = int(pick)
        elif ctx.text:
            pairs = await self.desk.bookable_units(ctx.text)
            if not pairs:
                words = [w for w in (await ctx.entity("facility"), ctx.text) if w]
                pairs = self.narrow(ctx, await self.desk.bookable_units(words[0]), ctx.text) if words else []
            ids = list(dict.fromkeys(b.id for b, _ in pairs))
            if not ids:
                return False
            if len(ids) > 1:
                ctx.data["choices"] = ids
                await self.ask_facility(ctx, "いくつか見つかりました。")
                return True
            ctx.data["facility_id"] = ids[0]
        else:
            return False
        units = await self.units_of(int(ctx.data["facility_id"]))
        if not units:
            ctx.data.pop("facility_id")
            await self.ask_facility(ctx, "申し訳ありません。その施設はLINEからはご予約いただけません。")
            return True
        if len(units) == 1:
            ctx.data["unit_id"] = units[0].id
        await self.advance(ctx)
        return True

    @state("unit", hint="ご利用になる場所を、下のボタンから選んでください。")
    async def unit(self, ctx: Context) -> bool:
        units = await self.units_of(int(ctx.data["facility_id"]))
        pick = ctx.postback.get("unit")
        chosen = next((u for u in units if str(u.id) == pick), None)
        if chosen is None and ctx.text:
            said = normalize(ctx.text)
            hits = [u for u in units if said and (said in normalize(u.name) or normalize(_core(u.name)) in said)]
            chosen = hits[0] if len(hits) == 1 else None
        if chosen is None:
            return False
        ctx.data["unit_id"] = chosen.id
        await self.advance(ctx, f"「{chosen.name}」ですね。")
        return True

    @state("day", hint="日付を「日付を選ぶ」から選ぶか、「6月21日」のように入力してください。")
    async def day(self, ctx: Context) -> bool:
        value = ctx.postback_params.get("date") or ctx.postback.get("day")
        if not value and ctx.text:
            value = await ctx.entity("date")
        try:
            day = date.fromisoformat(str(value)) if value else None
        except ValueError:
            day = None
        if day is None:
            return False
        bundle, unit = await self.current(ctx)
        if bundle is None or unit is None:
            return False
        if day <= ctx.local_now.date():
            self.ask_day(ctx, bundle, unit, f"{bt.day_text(day)}は、インターネットではご予約いただけません"
                                            f"（{'過ぎた日です' if day < ctx.local_now.date() else '当日のご予約は施設へお電話ください'}）。")
            return True
        ctx.data.update(day=day.isoformat())
        for key in ("start", "end", "slot"):
            ctx.data.pop(key, None)
        await self.advance(ctx)
        return True

    @state("frame", hint="時間帯を、下のボタンから選んでください。")
    async def frame(self, ctx: Context) -> bool:
        bundle, unit = await self.current(ctx)
        if bundle is None or unit is None or not ctx.data.get("day"):
            return False
        if ctx.postback.get("edit") == "day":
            return await self.edit(ctx, "day")
        if ctx.text and await ctx.entity("date"):
            return await self.day(ctx)  # 「じゃあ22日は？」: another day
        choices, _ = await self.desk.free_slots(unit, date.fromisoformat(ctx.data["day"]))
        pick = ctx.postback.get("slot")
        chosen = next((s for s in choices if f"{s.start_minute}-{s.end_minute}" == pick), None)
        if chosen is None and pick:
            await self.ask_frame(ctx, bundle, unit, "申し訳ありません。その時間帯は、たった今ほかの方が予約されました。")
            return True
        if chosen is None and ctx.text:
            chosen = next((s for s in choices if s.label and s.label == ctx.text.strip()), None)
            if chosen is None:
                times = [str(e["value"]) for e in (await ctx.nlu())["entities"] if e.get("entity") == "time"]
                chosen = _by_time(choices, times[0]) if times else None
        if chosen is None:
            return False
        ctx.data.update(start=chosen.start_minute, end=chosen.end_minute, slot=bt.slot_label(chosen))
        await self.advance(ctx, f"{bm.day_label(chosen.day)} {bt.slot_label(chosen)}ですね。")
        return True

    @state("equipment", hint="使う備品のボタンを押すか、「備品は使わない」「これで決定」を選んでください。")
    async def equipment(self, ctx: Context) -> bool:
        bundle, unit = await self.current(ctx)
        if bundle is None or unit is None:
            return False
        items = {str(e.id): e for e in bundle.equipment_for(unit.id or 0)}
        pick = ctx.postback.get("eq") or ""
        text = (ctx.text or "").strip()
        if not pick and text:
            pick = ("none" if any(w in text for w in NONE_WORDS) else "done" if text in DONE_WORDS
                    else next((k for k, e in items.items() if normalize(e.name) == normalize(text)
                               or normalize(text) in normalize(e.name)), ""))
        chosen: dict[str, int] = ctx.data.setdefault("equipment", {})
        if pick in {"done", "none"}:
            if pick == "none":
                chosen.clear()
                if ctx.postback.get("eq") == "none" and ctx.data.get("equipment_seen"):
                    self.ask_equipment(ctx, bundle, unit, "選び直してください。")
                    return True
            ctx.data["equipment_done"] = True
            await self.advance(ctx)
            return True
        if pick not in items:
            return False
        item = items[pick]
        ctx.data["equipment_seen"] = True
        if chosen.get(pick, 0) >= item.quantity:
            self.ask_equipment(ctx, bundle, unit, f"{item.name}は{item.quantity}{item.unit_label}までです。")
            return True
        chosen[pick] = chosen.get(pick, 0) + 1
        self.ask_equipment(ctx, bundle, unit, f"{item.name}を追加しました。")
        return True

    @state("purpose", hint="利用目的を、下のボタンから選んでください。")
    async def purpose(self, ctx: Context) -> bool:
        bundle, unit = await self.current(ctx)
        if bundle is None or unit is None:
            return False
        purposes = bundle.purposes_for(unit.id or 0)
        pick = ctx.postback.get("purpose", "")
        found = purposes[int(pick)] if pick.isdigit() and int(pick) < len(purposes) else _match(purposes, ctx.text or "")
        if not found:
            return False
        ctx.data["purpose"] = found
        people = await ctx.entity("people") if ctx.text else None
        if people and people.isdigit():
            ctx.data["people"] = int(people)
        await self.advance(ctx, f"{found}ですね。")
        return True

    @state("people", hint="人数を数字で入力してください（例：12）。")
    async def people(self, ctx: Context) -> bool:
        if not ctx.text:
            return False
        text = unicodedata.normalize("NFKC", ctx.text)
        found = _NUMBER.match(text)
        value = found.group(1) if found else await ctx.entity("people")
        if not value or not str(value).isdigit():
            return False
        count = int(value)
        _, unit = await self.current(ctx)
        if unit is None:
            return False
        if count < max(1, unit.min_people):
            self.ask_people(ctx, unit, f"ご利用人数は{max(1, unit.min_people)}人以上でお申し込みください。")
            return True
        if unit.capacity and count > unit.capacity:
            self.ask_people(ctx, unit, f"申し訳ありません。{unit.name}の定員は{unit.capacity}人です。")
            return True
        ctx.data["people"] = count
        await self.advance(ctx, f"{count}人ですね。")
        return True

    @state("activity", free_text=True, hint="活動内容を短く入力してください。")
    async def activity(self, ctx: Context) -> bool:
        if not ctx.text:
            return False
        ctx.data["activity"] = m.clip(ctx.text, 100)
        await self.advance(ctx)
        return True

    @state("resident", hint="利用者区分を、下のボタンから選んでください。")
    async def resident(self, ctx: Context) -> bool:
        code = ctx.postback.get("rt")
        if code not in RESIDENT_TYPE_LABELS and ctx.text:
            text = ctx.text.strip()
            code = next((c for c, label in RESIDENT_TYPE_LABELS.items() if text in {label, label[2:]} or label[2:] in text
                         or (c == "outside" and "町外" in text)), None)
        if code not in RESIDENT_TYPE_LABELS:
            return False
        await self.desk.remember_resident(ctx.session, ctx.turn.user_id or "", str(code), ctx.now)
        await self.advance(ctx, f"{RESIDENT_TYPE_LABELS[str(code)]}ですね。")
        return True

    @state("terms", hint="遵守事項に「同意する」か「同意しない」を選んでください。")
    async def terms(self, ctx: Context) -> bool:
        answer = ctx.postback.get("terms")
        text = (ctx.text or "").strip()
        if answer is None and text:
            answer = "no" if text.startswith(("同意しない", "同意しません", "いいえ")) else \
                "yes" if text in {"同意する", "同意します", "はい", "同意"} else None
        if answer == "yes":
            ctx.data["terms"] = True
            await self.advance(ctx, "ありがとうございます。")
            return True
        if answer == "no":
            bundle, _ = await self.current(ctx)
            contact = f"{bundle.facility.name}（{bundle.facility.phone}）" if bundle else "施設"
            ctx.finish(m.text("遵守事項にご同意いただけない場合は、ご予約をお受けできません。\n"
                              f"ご不明な点は {contact} へお問い合わせください。"))
            return True
        return False

    @state("confirm", hint="「予約する」か、変更する項目を選んでください。")
    async def confirm(self, ctx: Context) -> bool:
        edit = ctx.postback.get("edit")
        if edit:
            return await self.edit(ctx, edit)
        if ctx.postback.get("confirm") != "yes" and (ctx.text or "").strip() not in {"予約する", "はい", "お願いします", "予約"}:
            return False
        bundle, unit = await self.current(ctx)
        if bundle is None or unit is None:
            return False
        booker = await self.desk.booker(ctx.session, ctx.turn.user_id or "")
        result = await self.desk.reserve(ctx.session, self.request(ctx, bundle), booker, ctx.now)
        if isinstance(result, Reserved):
            lines = bt.summary(self.lines(ctx, bundle, unit, booker.resident_type)) + f"\n・使用料：{bm.yen(result.fee)}"
            pending = ("\nこの施設は、担当者の承認のあと予約が確定します。結果はこのトークでお知らせします。"
                       if result.status == "pending" else "")
            ctx.finish(m.text(f"ご予約を承りました。予約番号は {result.number} です。\n{lines}{pending}\n\n"
                              "予約の確認・変更・取消は「予約の確認」からどうぞ。",
                              [m.postback("予約の確認", m.data(action="booking", op="mine", restart=1)),
                               m.postback("メニュー", m.data(action="help"))]))
        elif isinstance(result, SlotTaken):
            self.ask_taken(ctx, result)
        else:
            self.ask_fix(ctx, bundle, result)
        return True

    async def edit(self, ctx: Context, what: str) -> bool:
        d = ctx.data
        drop = {"day": ("day", "start", "end", "slot"), "people": ("people",), "purpose": ("purpose", "said"),
                "equipment": ("equipment", "equipment_done", "equipment_seen"), "resident": ()}.get(what)
        if drop is None:
            return False
        for key in drop:
            d.pop(key, None)
        if what == "resident":
            d["ask_resident"] = True
        await self.advance(ctx)
        return True

    @state("taken", hint="代わりの枠を選ぶか、「別の日を選ぶ」を押してください。")
    async def taken(self, ctx: Context) -> bool:
        pb = ctx.postback
        if pb.get("edit"):
            return await self.edit(ctx, pb["edit"])
        if pb.get("wait") == "1" and ctx.data.get("waitlist"):
            bundle, _ = await self.current(ctx)
            if bundle is None:
                return False
            booker = await self.desk.booker(ctx.session, ctx.turn.user_id or "")
            joined = await self.desk.join_waitlist(ctx.session, self.request(ctx, bundle), booker, ctx.now)
            if isinstance(joined, Refused):
                ctx.finish(m.text(joined.message))
            else:
                ctx.finish(m.text(f"キャンセル待ちに登録しました（{joined.position}番目）。\n"
                                  "空きが出たら、このトークでお知らせします。そのときに「予約する」を押すと予約が確定します。"))
            return True
        alts = ctx.data.get("alts") or []
        pick = pb.get("alt", "")
        if not pick.isdigit() or int(pick) >= len(alts):
            return False
        unit_id, day, start, end, _, label = alts[int(pick)]
        if unit_id != ctx.data.get("unit_id"):
            for key in ("equipment", "equipment_done", "equipment_seen"):
                ctx.data.pop(key, None)
        ctx.data.update(unit_id=unit_id, day=day, start=start, end=end,
                        slot=bt.slot_label(Slot(unit_id, "", date.fromisoformat(day), start, end, label, "free")))
        await self.advance(ctx)
        return True


def _keys(name: str, town: str) -> list[str]:
    """Words that name a facility in a sentence: 「桜木体育館」「桜木」「アリーナみどり」."""
    keys = [bt.short_name(name, town)]
    base = re.sub(r"[（(].*?[）)]", "", name)
    if town and base.startswith(town):
        base = base[len(town):]
    keys.append(base)
    for k in list(keys):
        for suffix in CATEGORY_SUFFIXES:
            if k.endswith(suffix) and len(k) - len(suffix) >= 2:
                keys.append(k[: -len(suffix)])
    return [k for k in dict.fromkeys(keys) if len(k) >= 2 and k not in CATEGORY_SUFFIXES]


def _core(unit_name: str) -> str:
    return re.sub(r"[（(].*?[）)]", "", unit_name)


def _match(options: list[str], text: str) -> str | None:
    """The option the text names (exactly, or the longest one it contains)."""
    t = normalize(text)
    if not t:
        return None
    exact = [o for o in options if normalize(o) == t]
    if exact:
        return exact[0]
    inside = [o for o in options if len(normalize(o)) >= 2 and normalize(o) in t and o != "その他"]
    return max(inside, key=len) if inside else None


def _by_time(choices: list[Slot], wanted: str) -> Slot | None:
    """A frame for 「午前」「夜」「18時から」."""
    bands = {"morning": (0, 12 * 60), "afternoon": (12 * 60, 17 * 60), "evening": (17 * 60, 48 * 60),
             "night": (17 * 60, 48 * 60)}
    if wanted in bands:
        low, high = bands[wanted]
        return next((s for s in choices if low <= s.start_minute < high), None)
    hh, _, mm = wanted.partition(":")
    if not (hh.isdigit() and mm.isdigit()):
        return None
    minute = int(hh) * 60 + int(mm)
    return next((s for s in choices if s.start_minute == minute), None) or next(
        (s for s in choices if s.start_minute <= minute < s.end_minute), None)


def _why_not(slots: list[Slot], day: date, bundle: FacilityBundle) -> str:
    """Why nothing can be booked that day, kindly."""
    label = bt.day_text(day)
    kinds = {s.status for s in slots}
    if not slots or kinds <= {CLOSED}:
        return f"申し訳ありません。{label}は休館日です。"
    if kinds <= {PAST, CLOSED}:
        return f"{label}のご利用時間は終わっています。"
    if NOT_OPEN in kinds and TAKEN not in kinds:
        return f"{label}のご予約は、まだ受付が始まっていません（ご利用の{bundle.facility.booking_opens_months}か月前から受け付けます）。"
    if CLOSED_ONLINE in kinds and TAKEN not in kinds:
        return (f"{label}は、インターネットでの受付期限を過ぎています。"
                f"{bundle.facility.name}（{bundle.facility.phone}）へお電話ください。")
    if kinds <= {BLOCKED, CLOSED, PAST}:
        return f"申し訳ありません。{label}は行事などのため、一般のご利用ができません。"
    return f"申し訳ありません。{label}は、空いている時間帯がありません。"
