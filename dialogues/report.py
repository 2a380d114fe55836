"""Road-damage report (酒田市 spec 第5章 1(6) 道路損傷等の通報): category → photo (may be skipped)
→ location (LINE location message, or an address typed and geocoded) → short description →
confirmation → receipt number. The citizen can change any part at the confirmation.

Photos are size-checked and re-encoded without EXIF (``civic.reports.photos``) and stored,
encrypted, as a draft until the report is sent. See ``report.mmd``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from civic.reports.photos import PhotoRejected, sanitize
from civic.reports.services import discard_draft_photo, store_draft_photo, submit_report
from dialogues import faq
from dialogues import messages as m
from dialogues.engine import Context, Entry, Flow, state
from dialogues.paging import page, requested
from dialogues.services import ReportCategory

log = logging.getLogger(__name__)

SKIP_PHOTO = "写真なしで進む"
SKIP_WORDS = ("写真なし", "写真は無し", "写真はなし", "写真はない", "写真ない", "撮れない", "とれない", "スキップ",
              "なし", "無し", "ない", "ありません", "次へ", "とばす")
NO_DESCRIPTION = "説明なしで進む"
PHOTO_REASONS = {
    "empty": "写真を受け取れませんでした",
    "too_large": "写真のサイズが大きすぎます（10MBまで）",
    "not_image": "写真として読み取れませんでした",
    "too_small": "写真が小さすぎて、様子がわかりません",
    "too_many_pixels": "写真の画素数が大きすぎます",
}
#: Words that ask to report, whatever else the text says (then the flow starts even when the FAQ knows the words).
_ASKS_TO_REPORT = re.compile(r"(通報|損傷|壊れ|こわれ|破損|危な|あぶな|直して|修理して)")
EDITABLE = {"category": "種類", "photo": "写真", "location": "場所", "description": "説明"}


class ReportFlow(Flow):
    name = "report"
    title = "道路などの損傷の通報"
    owns = frozenset({"report_damage"})
    entrance = Entry(intents=frozenset({"report_damage"}))

    # -- entry -----------------------------------------------------------------------------------
    async def start(self, ctx: Context, **params: Any) -> None:
        if not ctx.turn.user_id or ctx.turn.channel == "web":
            ctx.finish(m.text("通報は LINE からお願いいたします。写真と位置情報を送っていただけます。\n"
                              f"お電話の場合：{ctx.services.town.report_contact}"))
            return
        text = params.get("text")
        category = self.guess_category(ctx, text) if text else None
        if category is not None:
            ctx.data["category"] = category.code
            self.ask_photo(ctx, f"「{category.label}」の通報ですね。ご連絡ありがとうございます。\n")
            return
        # 「水道が止まった」: the NLU hears a damage report, no category fits, and the FAQ knows the answer
        if await faq.answer_instead(ctx, text or "", unless=_ASKS_TO_REPORT, then=(
                m.text("道路や公園などの損傷の通報でしたら、下のボタンからどうぞ。",
                       [m.postback("損傷を通報する", m.data(action="report"), "損傷を通報する")]),)):
            return
        self.ask_category(ctx, "道路や公園などの損傷の通報ですね。ご連絡ありがとうございます。\n")

    def categories(self, ctx: Context) -> tuple[ReportCategory, ...]:
        return ctx.services.town.report_categories

    def guess_category(self, ctx: Context, text: str) -> ReportCategory | None:
        folded = text.strip()
        for c in self.categories(ctx):
            if folded == c.label or folded == c.code:
                return c
        scored = [(max((len(k) for k in c.keywords if k and k in folded), default=0), c) for c in self.categories(ctx)]
        scored = [s for s in scored if s[0] > 0]
        return max(scored, key=lambda s: s[0])[1] if scored else None

    # -- prompts ----------------------------------------------------------------------------------
    def ask_category(self, ctx: Context, lead: str = "", number: int = 0) -> None:
        shown = page(self.categories(ctx), number)
        actions = [m.postback(c.label, m.data(flow="report", cat=c.code), c.label) for c in shown.items]
        actions += shown.more(flow="report", more="category")
        ctx.ask("category", m.text("どのような損傷ですか？下のボタンから選んでください。", actions), lead=lead)

    def ask_photo(self, ctx: Context, lead: str = "") -> None:
        ctx.ask("photo", m.text(
            f"損傷の様子がわかる写真を1枚送ってください。\n写真が撮れない場合は「{SKIP_PHOTO}」を選んでください。",
            [m.camera_action(), m.camera_roll_action(),
             m.postback(SKIP_PHOTO, m.data(flow="report", photo="skip"), SKIP_PHOTO)]), lead=lead)

    def ask_location(self, ctx: Context, lead: str = "") -> None:
        ctx.ask("location", m.text(
            "場所を教えてください。下の「位置情報を送る」から地図で場所を選ぶか、"
            "住所や目印（例：本町1丁目、みどり中央公園）を入力してください。",
            [m.location_action()]), lead=lead)

    def ask_description(self, ctx: Context, lead: str = "") -> None:
        limit = ctx.services.town.max_description
        ctx.ask("description", m.text(
            f"どのような状態か、短く教えてください（{limit}文字まで）。\n例：歩道に直径30cmほどの穴があいている",
            [m.postback(NO_DESCRIPTION, m.data(flow="report", desc="skip"), NO_DESCRIPTION)]), lead=lead)

    def ask_confirm(self, ctx: Context, lead: str = "") -> None:
        ctx.ask("confirm", self.summary(ctx, ctx.data), lead=lead)

    def summary(self, ctx: Context, d: dict[str, Any]) -> m.Message:
        category = ctx.services.town.category(str(d.get("category")))
        place = (d.get("address") or "地図で指定した場所") if "latitude" in d else "（未入力）"
        lines = ["以下の内容で通報します。よろしいですか？",
                 f"・種類：{category.label if category else d.get('category')}",
                 f"・写真：{'あり' if d.get('photo_id') else 'なし'}",
                 f"・場所：{place}",
                 f"・説明：{d.get('description') or '（なし）'}"]
        actions = [m.postback("送信する", m.data(flow="report", confirm="yes"), "送信する")]
        actions += [m.postback(f"{label}を修正", m.data(flow="report", edit=key), f"{label}を修正")
                    for key, label in EDITABLE.items()]
        actions.append(m.postback("やめる", m.data(action="cancel"), "やめる"))
        return m.text("\n".join(lines), actions)

    def next_step(self, ctx: Context, after: str, lead: str = "") -> None:
        """The step after ``after``, or back to the confirmation when the citizen is correcting."""
        if ctx.data.get("editing"):
            self.ask_confirm(ctx, lead)
            return
        {"category": self.ask_photo, "photo": self.ask_location, "location": self.ask_description,
         "description": self.ask_confirm}[after](ctx, lead)

    # -- states -----------------------------------------------------------------------------------
    @state("category", hint="通報の種類を、下のボタンから選んでください。")
    async def category(self, ctx: Context) -> bool:
        number = requested(ctx.postback)
        if number is not None:
            self.ask_category(ctx, number=number)
            return True
        code = ctx.postback.get("cat")
        chosen = ctx.services.town.category(code) if code else None
        if chosen is None and ctx.text:
            chosen = self.guess_category(ctx, ctx.text)
        if chosen is None:
            return False
        ctx.data["category"] = chosen.code
        self.next_step(ctx, "category", f"「{chosen.label}」ですね。\n")
        return True

    @state("photo", hint="写真を送るか、「写真なしで進む」を選んでください。")
    async def photo(self, ctx: Context) -> bool:
        if ctx.is_image:
            try:
                clean = sanitize(ctx.image, ctx.services.photo_policy)
            except PhotoRejected as exc:
                log.info("report photo refused: %s", exc)
                reason = PHOTO_REASONS.get(exc.code, "写真を読み取れませんでした")
                self.ask_photo(ctx, f"申し訳ありません。{reason}。\nお手数ですが別の写真を送るか、"
                                    f"「{SKIP_PHOTO}」を選んでください。\n")
                return True
            owner = ctx.turn.user_id or ""
            await discard_draft_photo(ctx.session, ctx.data.get("photo_id"), owner)
            row = await store_draft_photo(ctx.session, owner, clean, ctx.now)
            ctx.data["photo_id"] = row.id
            ctx.data["photo_message"] = ctx.message_id
            self.next_step(ctx, "photo", "写真を受け取りました。\n")
            return True
        if ctx.postback.get("photo") == "skip" or (ctx.text and _is_skip(ctx.text)):
            await discard_draft_photo(ctx.session, ctx.data.pop("photo_id", None), ctx.turn.user_id or "")
            self.next_step(ctx, "photo", "写真なしで進めます。\n")
            return True
        return False

    @state("location", free_text=True, hint="位置情報を送るか、住所や目印を入力してください。")
    async def location(self, ctx: Context) -> bool:
        town = ctx.services.town
        spot = ctx.location
        if spot is not None:
            if not town.area.contains(spot["latitude"], spot["longitude"]):
                self.ask_location(ctx, f"申し訳ありません。送っていただいた場所は{town.name}の外のようです。"
                                       f"{town.name}内の場所を選び直してください。\n")
                return True
            ctx.data.update(latitude=spot["latitude"], longitude=spot["longitude"],
                            address=spot["address"] or spot["title"], source="line",
                            location_message=ctx.message_id)
            self.next_step(ctx, "location", "場所を受け取りました。\n")
            return True
        if not ctx.text:
            return False
        place = await ctx.services.knowledge.geocoder.geocode(ctx.text)
        if place is None:
            self.ask_location(ctx, f"申し訳ありません。「{m.clip(ctx.text, 30)}」の場所が見つかりませんでした。"
                                   "町名と丁目（例：本町1丁目）か目印で入力するか、位置情報を送ってください。\n")
            return True
        if not town.area.contains(place.latitude, place.longitude):
            self.ask_location(ctx, f"申し訳ありません。その場所は{town.name}の外のようです。\n")
            return True
        ctx.data.update(latitude=place.latitude, longitude=place.longitude, address=m.clip(ctx.text, 100),
                        source="geocoded", location_message=ctx.message_id)
        self.next_step(ctx, "location", f"「{place.label}」付近として受け付けます。\n")
        return True

    @state("description", free_text=True, hint="状態を短く入力してください。")
    async def description(self, ctx: Context) -> bool:
        if ctx.postback.get("desc") == "skip":
            ctx.data["description"] = ""
            self.next_step(ctx, "description")
            return True
        text = ctx.text
        if not text:
            return False
        limit = ctx.services.town.max_description
        if len(text) > limit:
            self.ask_description(ctx, f"申し訳ありません。{limit}文字までで入力してください（今は{len(text)}文字です）。\n")
            return True
        ctx.data["description"] = text
        ctx.data["description_message"] = ctx.message_id
        self.next_step(ctx, "description")
        return True

    @state("confirm", hint="「送信する」か、修正する項目を選んでください。")
    async def confirm(self, ctx: Context) -> bool:
        pb = ctx.postback
        text = ctx.text or ""
        edit = pb.get("edit") or next((k for k, label in EDITABLE.items() if text.startswith(label)), None)
        if edit in EDITABLE:
            ctx.data["editing"] = True
            {"category": self.ask_category, "photo": self.ask_photo, "location": self.ask_location,
             "description": self.ask_description}[edit](ctx)
            return True
        if pb.get("confirm") == "yes" or text in {"送信する", "送信", "はい", "お願いします", "OK", "ok"}:
            if "latitude" not in ctx.data:  # the place was unsent (送信取消) after it was given
                ctx.data["editing"] = True
                self.ask_location(ctx, "送信の前に、場所をもう一度教えてください。\n")
                return True
            await self.submit(ctx)
            return True
        return False

    async def submit(self, ctx: Context) -> None:
        d = ctx.data
        citizen = ctx.turn.citizen
        report = await submit_report(
            ctx.session, category=str(d["category"]), description=str(d.get("description") or ""),
            latitude=float(d["latitude"]), longitude=float(d["longitude"]), address=str(d.get("address") or ""),
            location_source=str(d.get("source") or "line"), channel=ctx.turn.channel, reporter=ctx.turn.user_id,
            citizen_id=citizen.id if citizen is not None else None, photo_id=d.get("photo_id"), now=ctx.now,
        )
        ctx.finish(m.text(
            f"通報を受け付けました。受付番号は {report.receipt_no} です。\n"
            "対応の状況は、このトークでお知らせします。ご協力ありがとうございました。\n"
            f"お急ぎの場合：{ctx.services.town.report_contact}"))

    async def on_unsend(self, ctx: Context, record: dict[str, Any], message_id: str) -> None:
        """An unsent photo, place or description leaves the draft (the photo row is deleted); the
        confirmation kept to be repeated is rebuilt without it."""
        d = record.setdefault("data", {})
        owner = ctx.turn.user_id or ""
        changed = False
        if message_id and d.get("photo_message") == message_id:
            await discard_draft_photo(ctx.session, d.pop("photo_id", None), owner)
            d.pop("photo_message", None)
            changed = True
        if message_id and d.get("location_message") == message_id:
            for key in ("latitude", "longitude", "address", "source", "location_message"):
                d.pop(key, None)
            changed = True
        if message_id and d.get("description_message") == message_id:
            d["description"] = ""
            d.pop("description_message", None)
            changed = True
        if changed and record.get("state") == "confirm":
            record["prompt"] = [self.summary(ctx, d)]

    async def on_cancel(self, ctx: Context) -> None:
        flow = ctx.store.flow
        data = flow.get("data", {}) if flow else {}
        await discard_draft_photo(ctx.session, data.get("photo_id"), ctx.turn.user_id or "")


def _is_skip(text: str) -> bool:
    """「写真はありません」「撮れない」「スキップ」: short refusals to send a photo."""
    t = text.strip().rstrip("。！!")
    return t == SKIP_PHOTO or t in SKIP_WORDS or (len(t) <= 20 and _SKIP.search(t) is not None)


_SKIP = re.compile(r"(なし|無し|ない|ありません|撮れ|とれ|スキップ|飛ばす|とばす|次へ|無理|むり)")
