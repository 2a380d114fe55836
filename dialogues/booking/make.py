"""The booking flow's states for a new reservation: one handler per question (see ``booking.mmd``)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from civic.booking import messages as bm
from civic.booking.services import normalize
from civic.booking.types import (
    Refused,
    Reserved,
    Slot,
    SlotTaken,
)
from civic.facilities.models import RESIDENT_TYPE_LABELS
from civic.mypage.notices import MyPageNotifier
from dialogues import messages as m
from dialogues.booking import texts as bt
from dialogues.booking.matching import match_option, unit_core
from dialogues.booking.steps import AskSteps
from dialogues.booking.wish import Wish, bookable
from dialogues.engine import Context, state
from dialogues.paging import requested

NONE_WORDS = ("なし", "無し", "いらない", "不要", "使わない", "使いません", "ありません", "大丈夫")
DONE_WORDS = ("決定", "次へ", "以上", "これで", "OK", "ok", "完了")
#: 「…はどこにありますか」「…の場所は？」: a question about where a facility is, not the choice of one to book.
_WHERE = re.compile(r"どこ|場所[はを]|住所|行き方|アクセス|地図")
_NUMBER = re.compile(r"^\s*(\d{1,4})\s*(人|名|にん)?(くらい|ぐらい|程度|です)?\s*$")


class MakeSteps(AskSteps):
    # -- states ----------------------------------------------------------------------------------
    @state("facility", hint="施設を、下のボタンから選ぶか施設名で入力してください。")
    async def facility(self, ctx: Context) -> bool:
        number = requested(ctx.postback)
        if number is not None:
            await self.ask_facility(ctx, number=number)
            return True
        pick = ctx.postback.get("fac")
        if pick and pick.isdigit():
            ctx.data["facility_id"] = int(pick)
        elif ctx.text and _WHERE.search(ctx.text):
            return False  # the facility search answers it (the handler's aside), then this question again
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
        number = requested(ctx.postback)
        if number is not None:
            await self.ask_unit(ctx, number=number)
            return True
        units = await self.units_of(int(ctx.data["facility_id"]))
        pick = ctx.postback.get("unit")
        chosen = next((u for u in units if str(u.id) == pick), None)
        if chosen is None and ctx.text:
            said = normalize(ctx.text)
            hits = [u for u in units if said and (said in normalize(u.name) or normalize(unit_core(u.name)) in said)]
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
        wish = Wish.from_entities((await ctx.nlu())["entities"]) if ctx.text else None
        if wish is not None:  # 「22日の夜に2時間」
            ctx.data["wish"] = wish.dump()
        await self.advance(ctx)
        return True

    @state("frame", hint="時間帯を、下のボタンから選ぶか「18時から2時間」のように入力してください。")
    async def frame(self, ctx: Context) -> bool:
        bundle, unit = await self.current(ctx)
        if bundle is None or unit is None or not ctx.data.get("day"):
            return False
        if ctx.postback.get("edit") == "day":
            return await self.edit(ctx, "day")
        number = requested(ctx.postback)
        if number is not None:
            await self.ask_frame(ctx, bundle, unit, number=number)
            return True
        if ctx.text and await ctx.entity("date"):
            return await self.day(ctx)  # 「じゃあ22日は？」: another day
        day = date.fromisoformat(ctx.data["day"])
        choices, every = await self.desk.free_slots(unit, day)
        pick = ctx.postback.get("slot")
        chosen = bookable(unit, choices, every, pick) if pick else None
        if chosen is None and pick:
            await self.ask_frame(ctx, bundle, unit, "申し訳ありません。その時間帯は、たった今ほかの方が予約されました。")
            return True
        if chosen is None and ctx.text:
            chosen = next((s for s in choices if s.label and s.label == ctx.text.strip()), None)
            wish = Wish.from_entities((await ctx.nlu())["entities"]) if chosen is None else None
            if wish is not None:  # 「夜に2時間」「18時から」: taken when exact, otherwise narrowed
                ctx.data["wish"] = wish.dump()
                await self.ask_frame(ctx, bundle, unit)
                return True
        if chosen is None:
            return False
        ctx.data.pop("wish", None)
        ctx.data.update(start=chosen.start_minute, end=chosen.end_minute, slot=bt.slot_label(chosen))
        await self.advance(ctx, f"{bm.day_label(chosen.day)} {bt.slot_label(chosen)}ですね。")
        return True

    @state("equipment", hint="使う備品のボタンを押すか、「備品は使わない」「これで決定」を選んでください。")
    async def equipment(self, ctx: Context) -> bool:
        bundle, unit = await self.current(ctx)
        if bundle is None or unit is None:
            return False
        number = requested(ctx.postback)
        if number is not None:
            self.ask_equipment(ctx, bundle, unit, number=number)
            return True
        items = {str(e.id): e for e in bundle.equipment_for(unit.id or 0)}
        pick = ctx.postback.get("eq") or ""
        text = (ctx.text or "").strip()
        if not pick and text:
            pick = ("none" if any(w in text for w in NONE_WORDS) else "done" if text in DONE_WORDS
                    else next((k for k, e in items.items() if normalize(e.name) == normalize(text)
                               or normalize(text) in normalize(e.name)), ""))
        chosen: dict[str, int] = ctx.data.setdefault("equipment", {})
        if pick == "clear":
            chosen.clear()
            self.ask_equipment(ctx, bundle, unit, "選び直してください。")
            return True
        if pick in {"done", "none"}:
            if pick == "none":
                chosen.clear()
            ctx.data["equipment_done"] = True
            await self.advance(ctx)
            return True
        if pick not in items:
            return False
        item = items[pick]
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
        number = requested(ctx.postback)
        if number is not None:
            self.ask_purpose(ctx, bundle, unit, number=number)
            return True
        purposes = bundle.purposes_for(unit.id or 0)
        pick = ctx.postback.get("purpose", "")
        found = purposes[int(pick)] if pick.isdigit() and int(pick) < len(purposes) else match_option(purposes, ctx.text or "")
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
        await self.desk.service.remember_resident_in(ctx.session, ctx.turn.user_id or "", str(code), ctx.now)
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
        booker = await self.desk.service.booker_in(ctx.session, ctx.turn.user_id or "")
        result = await self.desk.service.reserve_in(ctx.session, self.request(ctx, bundle), booker, ctx.now)
        if isinstance(result, Reserved):
            lines = bt.summary(self.lines(ctx, bundle, unit, booker.resident_type)) + f"\n・使用料：{bm.yen(result.fee)}"
            pending = ("\nこの施設は、担当者の承認のあと予約が確定します。結果はこのトークでお知らせします。"
                       if result.status == "pending" else "")
            notices = self.desk.service.notifier
            if isinstance(notices, MyPageNotifier):  # マイページのお知らせ, and e-mail to a verified address (国富町 表4 no.4)
                await notices.confirm(ctx.session, ctx.turn.user_id or "", kind="booking.confirmed",
                                      key=f"booking:{result.number}", title="施設予約を受け付けました",
                                      body=f"予約番号：{result.number}\n{lines}{pending}\n"
                                           "変更・取消はマイページまたは LINE の「予約の確認」からできます。")
            ctx.finish(m.text(f"ご予約を承りました。予約番号は {result.number} です。\n{lines}{pending}\n\n"
                              "予約の確認・変更・取消は「予約の確認」からどうぞ。",
                              [m.postback("予約の確認", m.data(action="booking", op="mine", restart=1)),
                               m.postback("メニュー", m.data(action="help"))]))
        elif isinstance(result, SlotTaken):
            self.ask_taken(ctx, result)
        else:
            self.ask_fix(ctx, bundle, result)
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
            booker = await self.desk.service.booker_in(ctx.session, ctx.turn.user_id or "")
            joined = await self.desk.service.join_waitlist_in(ctx.session, self.request(ctx, bundle), booker, ctx.now)
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
            for key in ("equipment", "equipment_done"):
                ctx.data.pop(key, None)
        ctx.data.update(unit_id=unit_id, day=day, start=start, end=end,
                        slot=bt.slot_label(Slot(unit_id, "", date.fromisoformat(day), start, end, label, "free")))
        await self.advance(ctx)
        return True


