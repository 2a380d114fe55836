"""Facility booking in the talk (国富町 spec §8 表4): 「来週の土曜に体育館を借りたい」 → reservation number.

What the citizen already said (facility, date, time and length, people, purpose) is taken from the
NLU entities — the time exactly as said, or asked (``wish.py``); only what is missing is asked, in this order: facility → unit → day (LINE's date picker
or free text) → free frame → equipment (optional) → purpose → people → activity (when the unit
needs it) → resident type (asked once, remembered) → the facility's terms → a summary with the
fee → 予約する → 予約番号. A slot taken meanwhile is answered with alternatives (and the waitlist).
Prompts are in ``steps.py``, the states in ``make.py``, my reservations (change, cancel) and
waitlist offers in ``manage.py``. See ``dialogues/booking.mmd``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from civic.facilities.catalogue import FacilityBundle
from civic.facilities.models import Unit
from dialogues import messages as m
from dialogues.booking import texts as bt
from dialogues.booking.desk import BookingDesk
from dialogues.booking.make import MakeSteps
from dialogues.booking.manage import ManageSteps
from dialogues.booking.matching import match_option
from dialogues.booking.wish import Wish
from dialogues.engine import Context, Engine, Entry, Flow
from dialogues.paging import requested
from dialogues.services import Services


class BookingFlow(MakeSteps, ManageSteps, Flow):
    name = "booking"
    title = "施設の予約"
    owns = frozenset({"booking_make", "booking_manage"})
    #: ``offer=accept|decline&no=…``: a waitlist offer's buttons, at any time (``manage.py``).
    entrance = Entry(intents=frozenset({"booking_make", "booking_manage"}), postbacks=("offer",))

    async def on_postback(self, ctx: Context, postback: dict[str, str], engine: Engine) -> bool:
        return await self.answer_offer(ctx, postback, engine)

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        assert services.booking is not None
        self.desk = BookingDesk(services.booking)

    # -- entry -----------------------------------------------------------------------------------
    async def start(self, ctx: Context, **params: Any) -> None:
        if not ctx.turn.user_id or ctx.turn.channel == "web":
            ctx.finish(m.text("施設の予約は、LINE のトーク画面からご利用いただけます。空き状況はカレンダーでもご覧いただけます。",
                              bt.calendar_link(ctx.services)))
            return
        pb = ctx.postback
        text = params.get("text")
        op = pb.get("op")
        if op is None and text and (await ctx.nlu())["intent"]["name"] == "booking_manage":
            await self.manage_from_text(ctx, text)  # 「明日の予約をキャンセルして」
            return
        if op == "mine":
            await self.show_mine(ctx, number=requested(pb) or 0)
            return
        if op in {"cancel", "change"} and pb.get("no"):
            await self.open_reservation(ctx, op, pb["no"])
            return
        ctx.data["mode"] = "make"
        lead = ""
        if pb.get("unit", "").isdigit():
            await self.prefill_unit(ctx, int(pb["unit"]))
        elif pb.get("fac", "").isdigit():
            if not await self.prefill_facility(ctx, int(pb["fac"])):
                lead = "申し訳ありません。その施設は、いまはLINEからご予約いただけません。"
        elif text:
            await self.prefill(ctx, text)
        wish = Wish.load(ctx.data.get("wish"))
        heard = [f"{bt.day_text(date.fromisoformat(ctx.data['day']))}" if ctx.data.get("day") else "",
                 wish.said if wish else "", f"{ctx.data['people']}人" if ctx.data.get("people") else ""]
        heard_text = f"（{'、'.join(h for h in heard if h)}）" if any(heard) else ""
        await self.advance(ctx, lead or f"施設のご予約ですね{heard_text}。ありがとうございます。")

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
            elif e.get("entity") == "people" and str(e.get("value")).isdigit():
                d["people"] = int(e["value"])
        wish = Wish.from_entities(nlu["entities"])
        if wish is not None:  # 「夜に2時間」: kept until the day's slots are known
            d["wish"] = wish.dump()

    async def prefill_facility(self, ctx: Context, facility_id: int) -> bool:
        """``fac=ID`` (the facility search's 予約する): that facility, and its unit when it has only one."""
        units = await self.units_of(facility_id)
        if not units:
            return False
        ctx.data["facility_id"] = facility_id
        if len(units) == 1:
            ctx.data["unit_id"] = units[0].id
        return True

    async def prefill_unit(self, ctx: Context, unit_id: int) -> None:
        bundle = await self.desk.bundle(unit_id)
        if bundle is not None and any(u.id == unit_id for u in await self.units_of(bundle.id)):
            ctx.data.update(facility_id=bundle.id, unit_id=unit_id)

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
        elif d.get("ask_resident") or await self.desk.service.resident_type_in(ctx.session, ctx.turn.user_id or "") is None:
            self.ask_resident(ctx, lead)
        elif bundle.facility.terms.strip() and not d.get("terms"):
            ctx.ask("terms", m.text(f"【{bundle.facility.name} 利用上の遵守事項】\n{bundle.facility.terms.strip()}\n\n"
                                    "上記に同意のうえでご予約ください。",
                                    [bt.act("同意する", terms="yes"), bt.act("同意しない", terms="no")]), lead=lead)
        else:
            await self.ask_confirm(ctx, bundle, unit, lead)

    async def fallback(self, ctx: Context) -> bool:
        """「明日の予約をキャンセルして」 while making another one: that reservation is opened (the new
        one being made is left, and said so)."""
        nlu = await ctx.nlu()
        if not ctx.text or nlu["intent"]["name"] != "booking_manage" or nlu["intent"]["confidence"] < ctx.services.policy.manage_booking:
            return False
        making = ctx.data.get("mode") == "make" and ctx.data.get("facility_id") is not None
        ctx.data.clear()
        if making:
            ctx.say(m.text("入力中の新しいご予約は、ここで取りやめます。"))
        await self.manage_from_text(ctx, ctx.text)
        return True

    def _guess_purpose(self, ctx: Context, bundle: FacilityBundle, unit: Unit) -> bool:
        found = match_option(bundle.purposes_for(unit.id or 0), str(ctx.data.get("said") or ""))
        if found:
            ctx.data["purpose"] = found
        return bool(found)
