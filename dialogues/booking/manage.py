"""My reservations in the talk (国富町 spec §8 表4 予約の確認・変更・取消) and waitlist offers.

* 「予約を確認したい」 (``booking_manage``) or ``action=booking&op=mine``: up to 10 reservations as a
  carousel; each has 変更 / 取消 buttons (``action=booking&op=change|cancel&no=…&restart=1``, so
  they work from any later moment, not only while a flow waits) within the facility's deadlines.
* 取消: the reservation, then 「取り消す / 取り消さない」.
* 変更: a new day and frame (the booking flow's own steps), then 「変更する」.
* ``offer=accept|decline&no=<number>`` (or, as ``civic.booking`` spells it in a notice,
  ``booking.offer.accept:<number>``): the buttons of a waitlist offer; answered at any time,
  inside a flow or not (``Entry.postbacks`` of ``BookingFlow``).
"""

from __future__ import annotations

from datetime import date

from civic.booking import messages as bm
from civic.booking.services import normalize
from civic.booking.types import Cancelled, ReservationView, Reserved, SlotTaken
from civic.facilities.catalogue import FacilityBundle
from civic.facilities.models import Unit
from dialogues import messages as m
from dialogues.booking import texts as bt
from dialogues.booking.steps import AskSteps
from dialogues.engine import Context, Engine, state

CANCEL_WORDS = ("キャンセル", "取り消", "取消", "とりけし", "やめ", "中止")
CHANGE_WORDS = ("変更", "変え", "ずら", "移し", "移動")
_OP_HINT = {"cancel": "取り消すご予約の「取消」を押してください。", "change": "変更するご予約の「変更」を押してください。",
            "mine": "変更・取消は、それぞれの下のボタンからどうぞ。"}


class ManageSteps(AskSteps):
    """The booking flow's states for existing reservations (mixed into ``BookingFlow``)."""

    async def show_mine(self, ctx: Context, views: list[ReservationView] | None = None, *, about: str = "",
                        hint: str = "", number: int = 0) -> None:
        """The citizen's reservations as a carousel, ten at a time (「もっと見る」: ``op=mine&page=…``)."""
        if views is None:
            views = await self.desk.service.my_reservations(ctx.turn.user_id or "")
        book = m.postback("施設を予約する", m.data(action="booking", restart=1), "施設を予約する")
        if not views:
            ctx.finish(m.text("現在、ご予約はありません。", [book, *bt.calendar_link(ctx.services)]))
            return
        intro = f"{about + 'の' if about else ''}ご予約は{len(views)}件です。" + (hint or _OP_HINT["mine"])
        ctx.finish(*bt.my_reservations(views, [book, *bt.calendar_link(ctx.services, "view=mine", "カレンダーで確認")],
                                       intro=intro, number=number))

    async def manage_from_text(self, ctx: Context, text: str) -> None:
        """「明日の予約をキャンセルして」「土曜の体育館の予約を変更したい」: the reservation the sentence
        names (its day, its facility) is opened for that at once; several: those, as a carousel."""
        op = "cancel" if any(w in text for w in CANCEL_WORDS) else "change" if any(w in text for w in CHANGE_WORDS) \
            else "mine"
        day, facility = await ctx.entity("date"), await ctx.entity("facility")
        if op == "mine" or not (day or facility):
            await self.show_mine(ctx, hint=_OP_HINT.get(op, ""))
            return
        views = [v for v in await self.desk.service.my_reservations(ctx.turn.user_id or "")
                 if v.status in ("pending", "confirmed")]
        named = [v for v in views if (not day or v.day.isoformat() == day)
                 and (not facility or normalize(facility) in normalize(f"{v.facility_name}{v.unit_name}"))]
        if len(named) == 1:
            await self.open_reservation(ctx, op, named[0].number)
            return
        about = "の".join(x for x in (bt.day_text(date.fromisoformat(day)) if day else "", facility or "") if x)
        if not named:
            ctx.say(m.text(f"{about}のご予約は見つかりませんでした。"))
            await self.show_mine(ctx, views, hint=_OP_HINT[op])
            return
        await self.show_mine(ctx, named, about=about, hint=_OP_HINT[op])

    async def open_reservation(self, ctx: Context, op: str, number: str) -> None:
        view = await self.desk.service.reservation(ctx.turn.user_id or "", number)
        mine = m.postback("予約の確認", m.data(action="booking", op="mine", restart=1), "予約の確認")
        if view is None:
            ctx.finish(m.text(f"申し訳ありません。予約番号 {number} のご予約が見つかりません。", [mine]))
            return
        bundle = await self.desk.facility(view.facility_id)
        allowed = view.can_cancel if op == "cancel" else view.can_change
        if not allowed or bundle is None:
            ctx.finish(m.text(_not_allowed(op, view, bundle), [mine]))
            return
        ctx.data.update(mode=op, number=number)
        if op == "cancel":
            ctx.ask("cancel", m.text(f"次のご予約を取り消します。よろしいですか？\n\n{bt.reservation_text(view)}",
                                     [bt.act("取り消す", cancel="yes"), bt.act("取り消さない", cancel="no")]))
            return
        ctx.data.update(facility_id=view.facility_id, unit_id=view.unit_id, people=view.people,
                        before=bt.when_text(view.day, view.start_minute, view.end_minute))
        unit = bundle.unit(view.unit_id)
        assert unit is not None
        self.ask_day(ctx, bundle, unit, f"予約番号 {number}（{view.facility_name} {view.unit_name}、"
                                        f"{ctx.data['before']}）の日時を変更します。")

    def ask_change(self, ctx: Context, bundle: FacilityBundle, unit: Unit, lead: str = "") -> None:
        d = ctx.data
        after = bt.when_text(date.fromisoformat(d["day"]), int(d["start"]), int(d["end"]))
        ctx.ask("change", m.text(f"次のとおり変更します。よろしいですか？\n予約番号：{d['number']}\n"
                                 f"施設：{bundle.facility.name} {unit.name}\n変更前：{d['before']}\n変更後：{after}",
                                 [bt.act("変更する", change="yes"), bt.act("日時を選び直す", edit="day"),
                                  m.postback("やめる", m.data(action="cancel"))]), lead=lead)

    @state("cancel", hint="「取り消す」か「取り消さない」を選んでください。")
    async def cancel_step(self, ctx: Context) -> bool:
        answer = ctx.postback.get("cancel")
        text = (ctx.text or "").strip()
        if answer is None and text:
            answer = "no" if text.startswith(("取り消さない", "いいえ")) else "yes" if text in {"取り消す", "はい"} else None
        number = str(ctx.data.get("number"))
        if answer == "no":
            ctx.finish(m.text(f"取消はいたしませんでした。予約番号 {number} のご予約はそのままです。"))
            return True
        if answer != "yes":
            return False
        booker = await self.desk.service.booker_in(ctx.session, ctx.turn.user_id or "")
        result = await self.desk.service.cancel_in(ctx.session, booker, number, ctx.now)
        if isinstance(result, Cancelled):
            ctx.finish(m.text(f"予約番号 {result.number} のご予約を取り消しました。ご連絡ありがとうございました。"))
        else:
            ctx.finish(m.text(f"申し訳ありません。取り消せませんでした。\n{result.message}"))
        return True

    @state("change", hint="「変更する」か「日時を選び直す」を選んでください。")
    async def change_step(self, ctx: Context) -> bool:
        pb = ctx.postback
        if pb.get("edit") == "day":
            return await self.edit(ctx, "day")
        if pb.get("change") != "yes" and (ctx.text or "").strip() not in {"変更する", "はい"}:
            return False
        d = ctx.data
        booker = await self.desk.service.booker_in(ctx.session, ctx.turn.user_id or "")
        result = await self.desk.service.reschedule_in(
            ctx.session, booker, str(d["number"]), unit_id=int(d["unit_id"]), day=date.fromisoformat(d["day"]),
            start_minute=int(d["start"]), end_minute=int(d["end"]), now=ctx.now)
        if isinstance(result, Reserved):
            after = bt.when_text(date.fromisoformat(d["day"]), int(d["start"]), int(d["end"]))
            ctx.finish(m.text(f"ご予約を変更しました。予約番号は {result.number} のままです。\n"
                              f"新しい日時：{after}\n使用料：{bm.yen(result.fee)}"))
        elif isinstance(result, SlotTaken):
            self.ask_taken(ctx, result)
        else:
            bundle, unit = await self.current(ctx)
            if bundle is None or unit is None:  # the unit is no longer bookable: nothing to choose again
                ctx.finish(m.text(f"申し訳ありません。その日時には変更できません。\n{result.message}"))
                return True
            d.pop("day", None)
            d.pop("start", None)
            self.ask_day(ctx, bundle, unit, f"申し訳ありません。その日時には変更できません。\n{result.message}")
        return True

    async def answer_offer(self, ctx: Context, postback: dict[str, str], engine: Engine) -> bool:
        """``offer=accept|decline&no=<number>`` (a waitlist offer's buttons; the older spelling
        ``booking.offer.accept:<number>`` arrives parsed the same, ``conversation.postback``)."""
        kind, number = postback.get("offer"), postback.get("no", "")
        if kind not in {"accept", "decline"}:
            return False
        user = ctx.turn.user_id
        if not user or not number:
            ctx.say(m.text("申し訳ありません。このご案内は LINE のトークからご利用ください。"))
            return True
        if kind == "accept":
            result = await self.desk.service.accept_offer_in(ctx.session, user, number, ctx.now)
            if isinstance(result, Reserved):
                wait = "\n施設の承認のあと確定します。結果はこのトークでお知らせします。" if result.status == "pending" else ""
                ctx.say(m.text(f"ありがとうございます。キャンセル待ちの枠をご予約しました。予約番号は {result.number} です。\n"
                               f"日時：{bm.at_label(result.starts_at)}〜{bm.at_label(result.ends_at).split(' ')[-1]}\n"
                               f"使用料：{bm.yen(result.fee)}{wait}"))
            else:
                ctx.say(m.text(result.message))
        else:
            declined = await self.desk.service.decline_offer_in(ctx.session, user, number, ctx.now)
            ctx.say(m.text("キャンセル待ちのご案内を辞退しました。ご連絡ありがとうございました。"
                           if isinstance(declined, Cancelled) else declined.message))
        engine.resume_after_answer(ctx)
        return True



def _not_allowed(op: str, view: ReservationView, bundle: FacilityBundle | None) -> str:
    what = "取消" if op == "cancel" else "変更"
    contact = f"{bundle.facility.name}（{bundle.facility.phone}）" if bundle else "施設"
    if view.status not in ("pending", "confirmed"):
        return f"予約番号 {view.number} のご予約（{view.status_label}）は、{what}できません。"
    if bundle is not None:
        f = bundle.facility
        may = f.citizen_can_cancel if op == "cancel" else f.citizen_can_change
        if not may:
            return f"この施設のご予約は、LINEからは{what}できません。{contact} へご連絡ください。"
        hours = f.cancel_deadline_hours if op == "cancel" else f.change_deadline_hours
        return f"{what}の受付期限（ご利用の{hours}時間前）を過ぎています。お手数ですが {contact} へご連絡ください。"
    return f"このご予約は{what}できません。{contact} へご連絡ください。"
