"""The booking flow's prompts: each ``ask_*`` moves to a state and asks for its input."""

from __future__ import annotations

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
    Slot,
    SlotTaken,
)
from civic.facilities.catalogue import FacilityBundle
from civic.facilities.models import RESIDENT_TYPE_LABELS, Unit
from dialogues import messages as m
from dialogues.booking import texts as bt
from dialogues.booking.desk import BookingDesk
from dialogues.booking.matching import facility_keys, unit_core
from dialogues.booking.wish import Wish, fit
from dialogues.engine import Context
from dialogues.paging import page
from dialogues.services import Services


class Steps:
    """What the booking flow's parts share (mixed into ``BookingFlow``)."""

    services: Services
    desk: BookingDesk

    async def current(self, ctx: Context) -> tuple[FacilityBundle | None, Unit | None]:
        unit_id = ctx.data.get("unit_id")
        bundle = await self.desk.bundle(int(unit_id)) if unit_id else None
        return bundle, bundle.unit(int(unit_id)) if bundle and unit_id else None

    async def units_of(self, facility_id: int) -> list[Unit]:
        bundle = await self.desk.facility(facility_id)
        return [u for b, u in await self.desk.bookable_units() if bundle is not None and b.id == bundle.id]

    def narrow(self, ctx: Context, pairs: list[tuple[FacilityBundle, Unit]], text: str) -> list[tuple[FacilityBundle, Unit]]:
        """Only the facilities (and units) the sentence names, when it names some: 「桜木体育館の半面」."""
        said = normalize(text)
        town = ctx.services.town.name
        named = [(b, u) for b, u in pairs if any(normalize(k) in said for k in facility_keys(b.facility.name, town))]
        pairs = named or pairs
        units = [(b, u) for b, u in pairs if normalize(unit_core(u.name)) in said]
        return units or pairs

    async def advance(self, ctx: Context, lead: str = "") -> None:
        """Ask the first thing still missing (``BookingFlow.advance``)."""
        raise NotImplementedError

    async def edit(self, ctx: Context, what: str) -> bool:
        d = ctx.data
        drop = {"day": ("day", "start", "end", "slot"), "people": ("people",), "purpose": ("purpose", "said"),
                "equipment": ("equipment", "equipment_done", "eq_page"), "resident": ()}.get(what)
        if drop is None:
            return False
        for key in drop:
            d.pop(key, None)
        if what == "resident":
            d["ask_resident"] = True
        await self.advance(ctx)
        return True


class AskSteps(Steps):
    async def ask_facility(self, ctx: Context, lead: str = "", number: int = 0) -> None:
        pairs = await self.desk.bookable_units()
        bundles = {b.id: b for b, _ in pairs}
        ids = [i for i in ctx.data.get("choices") or list(dict.fromkeys(b.id for b, _ in pairs)) if i in bundles]
        town = ctx.services.town.name
        shown = page(ids, number)
        actions = [bt.act(bt.short_name(bundles[i].facility.name, town), bundles[i].facility.name, fac=i)
                   for i in shown.items]
        actions += shown.more(flow=bt.FLOW, more="facility")
        ctx.ask("facility", m.text("どちらの施設をご予約になりますか？下のボタンから選ぶか、施設名を入力してください。",
                                   actions + bt.calendar_link(ctx.services)), lead=lead)

    async def ask_unit(self, ctx: Context, lead: str = "", number: int = 0) -> None:
        facility_id = int(ctx.data["facility_id"])
        units = await self.units_of(facility_id)
        only = ctx.data.get("unit_choices")
        units = [u for u in units if not only or u.id in only] or units
        bundle = await self.desk.facility(facility_id)
        name = bundle.facility.name if bundle else ""
        shown = page(units, number)
        actions = [bt.act(u.name, f"{u.name}" + (f"（定員{u.capacity}人）" if u.capacity else ""), unit=u.id)
                   for u in shown.items]
        ctx.ask("unit", m.text(f"{name}のどちらをご利用になりますか？", actions + shown.more(flow=bt.FLOW, more="unit")),
                lead=lead)

    def day_bounds(self, ctx: Context, bundle: FacilityBundle) -> tuple[date, date]:
        today = ctx.local_now.date()
        months = max(1, bundle.facility.booking_opens_months)
        return today + timedelta(days=1), today + timedelta(days=min(31 * months + 1, 400))

    def ask_day(self, ctx: Context, bundle: FacilityBundle, unit: Unit, lead: str = "",
                suggested: list[date] | None = None) -> None:
        low, high = self.day_bounds(ctx, bundle)
        actions = [bt.act(bm.day_label(d), bt.day_text(d), day=d.isoformat()) for d in suggested or []]
        actions += [bt.day_picker(low, high, (suggested or [low])[0]),
                    *bt.calendar_link(ctx.services, f"unit={unit.id}")]
        prompt = "ご利用になる日を、下の「日付を選ぶ」から選ぶか、「6月21日」「来週の土曜」のように入力してください。"
        if suggested:
            prompt = "近い日で空きがあるのは、下の日です。ほかの日は「日付を選ぶ」からどうぞ。"
        ctx.ask("day", m.text(f"{bundle.facility.name} {unit.name}\n{prompt}", actions), lead=lead)

    async def ask_frame(self, ctx: Context, bundle: FacilityBundle, unit: Unit, lead: str = "", number: int = 0) -> None:
        """The day's free time slots, ten at a time; what the citizen said of the time (``wish``) is
        taken when the slots give exactly that, otherwise it narrows the choice and says why."""
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
        wish = Wish.load(d.get("wish"))
        why, prompt = "", f"{bt.day_text(day)}の{unit.name}の空いている時間帯です。"
        if wish is not None:
            fitted = fit(wish, unit, choices, every)
            if fitted.slot is not None:
                d.pop("wish", None)
                d.update(start=fitted.slot.start_minute, end=fitted.slot.end_minute, slot=bt.slot_label(fitted.slot))
                await self.advance(ctx, f"{lead}\n{bm.day_label(day)} {bt.slot_label(fitted.slot)}ですね。".strip())
                return
            choices, why = fitted.options or choices, fitted.why
            if fitted.options and not why:
                prompt = f"{bt.day_text(day)}の{unit.name}で、{wish.said}ご利用いただける時間帯です。"
        shown = page(choices, number)
        actions = [bt.act(bt.slot_label(s), f"{bm.day_label(day)} {bt.slot_label(s)}", slot=f"{s.start_minute}-{s.end_minute}")
                   for s in shown.items]
        actions += shown.more(flow=bt.FLOW, more="frame")
        actions += [bt.act("別の日にする", edit="day"),
                    *bt.calendar_link(ctx.services, f"unit={unit.id}")]
        body = f"{why}\n" if why else ""
        ctx.ask("frame", m.text(f"{body}{prompt}{shown.note()}ご希望の時間帯を選んでください。", actions), lead=lead)

    def ask_equipment(self, ctx: Context, bundle: FacilityBundle, unit: Unit, lead: str = "",
                      number: int | None = None) -> None:
        chosen = ctx.data.setdefault("equipment", {})
        number = ctx.data.get("eq_page", 0) if number is None else number
        shown = page(bundle.equipment_for(unit.id or 0), number)
        ctx.data["eq_page"] = number
        items = shown.items
        actions = [bt.act(e.name, f"{e.name}を追加", eq=e.id) for e in items] + shown.more(flow=bt.FLOW, more="eq")
        actions.append(bt.act("これで決定", eq="done") if chosen else bt.act("備品は使わない", eq="none"))
        if chosen:
            actions.append(bt.act("選び直す", eq="clear"))
        fees = "、".join(f"{e.name} {bm.yen(e.fee)}{'/時間' if e.fee_per == 'hour' else ''}" for e in items if e.fee)
        ctx.ask("equipment", m.text(
            "備品や附属設備（照明など）をお使いになりますか？使うものを押してください（押すたびに1つ増えます）。\n"
            + (f"有料のもの：{fees}\n" if fees else "") + f"選択中：{bt.equipment_text(bundle, chosen)}", actions), lead=lead)

    def ask_purpose(self, ctx: Context, bundle: FacilityBundle, unit: Unit, lead: str = "", number: int = 0) -> None:
        shown = page(list(enumerate(bundle.purposes_for(unit.id or 0))), number)
        actions = [bt.act(p, p, purpose=i) for i, p in shown.items] + shown.more(flow=bt.FLOW, more="purpose")
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
        booker = await self.desk.service.booker_in(ctx.session, ctx.turn.user_id or "")
        request = self.request(ctx, bundle)
        quote: Quote = await self.desk.service.quote(request, booker)
        if any(v.code == "taken" for v in quote.violations):
            taken = await self.desk.service.alternatives(request)
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
        alts: list[list[Any]] = [[s.unit_id, s.day.isoformat(), s.start_minute, s.end_minute, s.unit_name, s.label] for s in taken.alternatives[:5]]
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
