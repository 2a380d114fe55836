"""Facility search (国富町 spec §9(2)(イ)): a location (or 「○○の近くの体育館」) gives the nearest
facilities, optionally of one kind, as a Flex carousel — thumbnail, name, kind, distance, today's
hours, and buttons for the map (a LINE location message), the details and the map page. A keyword
(「テニスコート」「武道館」) lists matching facilities in the staff's display order. See ``facility.mmd``.

A facility citizens can book in the talk also gets 予約する (``action=booking&fac=ID``): the booking
flow starts with that facility chosen. The search and the booking read the same catalogue rows
(``civic.facilities.models.Facility``), so the link is the facility's id; "bookable" is what the
booking flow itself offers (``BookingDesk.bookable_units``: a unit visible to citizens and bookable
online, not availability-only).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from civic.facilities.models import Facility
from civic.rows import pk
from dialogues import messages as m
from dialogues.booking.desk import BookingDesk
from dialogues.engine import Context, Engine, Entry, Flow, state
from dialogues.facility_directory import FacilityDirectory, FacilityGroup, Found, distance_text
from dialogues.paging import page, requested

ALL = "すべて見る"
_NEAR = re.compile(r"(近く|近い|最寄り|周辺|付近|そば)")


def directory(ctx: Context) -> FacilityDirectory | None:
    return ctx.services.knowledge.facilities


def map_page_url(ctx: Context, **params: str) -> str | None:
    base = ctx.services.public_base_url
    if not base:
        return None
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{base.rstrip('/')}/liff/map/" + (f"?{query}" if query else "")


def thumbnail(ctx: Context, f: Facility) -> str | None:
    if f.thumbnail_url:
        return f.thumbnail_url
    base = ctx.services.public_base_url
    return f"{base.rstrip('/')}/liff/map/thumbs/{f.category}.png" if base else None


async def bookable(ctx: Context) -> set[int]:
    """Ids of the facilities this citizen can book in the talk (none without the booking service, or
    on the web chat, where the booking flow only points to the calendar)."""
    service = ctx.services.booking
    if service is None or not ctx.turn.user_id or ctx.turn.channel == "web":
        return set()
    return {bundle.id for bundle, _ in await BookingDesk(service).bookable_units()}


def book_action(f: Facility) -> dict[str, Any]:
    return m.postback("予約する", m.data(action="booking", fac=f.id), f"{f.name}を予約したい")


async def carousel(ctx: Context, found: list[Found], title: str, number: int = 0,
                   more: dict[str, Any] | None = None) -> m.Message:
    """Ten facilities per carousel; with ``more`` (the postback fields that find them again), a
    「もっと見る」 quick reply shows the next ten (``facility=more&…&page=…``)."""
    d = directory(ctx)
    assert d is not None
    shown = page(found, number)
    found = shown.items
    today = await d.today(ctx.session, [x.facility for x in found], ctx.local_now.date())
    can_book = await bookable(ctx)
    bubbles = []
    for x in found:
        f = x.facility
        body = [m.flex_text(f.name, size="md", weight="bold"),
                m.flex_text(d.label(f.category), size="xs", color="#2e7d32")]
        if x.distance_m is not None:
            body.append(m.flex_text(f"現在地から{distance_text(x.distance_m)}", size="sm"))
        body.append(m.flex_text(today.get(pk(f), ""), size="sm", color="#555555"))
        if f.address:
            body.append(m.flex_text(f.address, size="xs", color="#888888"))
        footer = [m.flex_button(m.postback("地図", m.data(facility="map", id=f.id), f"{f.name}の地図"), style="primary"),
                  m.flex_button(m.postback("詳しく見る", m.data(facility="detail", id=f.id), f"{f.name}について"))]
        if f.id in can_book:
            footer.append(m.flex_button(book_action(f)))
        url = map_page_url(ctx, facility=f.code)
        if url:
            footer.append(m.flex_button(m.uri_action("地図ページで見る", url)))
        bubbles.append(m.bubble(body, footer=footer, hero_url=thumbnail(ctx, f), size="kilo"))
    alt = title + shown.note() + "：" + "、".join(
        x.facility.name + (f"（{distance_text(x.distance_m)}）" if x.distance_m is not None else "") for x in found[:5])
    return m.flex(alt, m.carousel(bubbles), shown.more(facility="more", **more) if more is not None else None)


async def found_again(ctx: Context, pb: dict[str, str]) -> list[Found]:
    """The list a 「もっと見る」 belongs to: near a point (``lat``/``lon``), a kind, or a keyword."""
    d = directory(ctx)
    assert d is not None
    group = d.group(pb.get("g", ""))
    categories = group.categories if group else None
    try:
        if pb.get("lat") and pb.get("lon"):
            return await d.nearest(ctx.session, float(pb["lat"]), float(pb["lon"]), categories)
    except ValueError:
        return []
    if pb.get("q"):
        return await d.keyword(ctx.session, pb["q"])
    return [Found(f) for f in await d.visible(ctx.session, categories)]


async def on_postback(ctx: Context, pb: dict[str, str]) -> bool:
    """``facility=map&id=…`` (a location message) and ``facility=detail&id=…`` (with 予約する when
    bookable) work at any time."""
    d = directory(ctx)
    if d is None:
        return False
    number = requested(pb)
    if pb.get("facility") == "more" and number is not None:
        found = await found_again(ctx, pb)
        if not found:
            return False
        more = {k: v for k, v in pb.items() if k in ("lat", "lon", "g", "q")}
        ctx.say(await carousel(ctx, found, "施設の一覧", number, more))
        return True
    try:
        facility_id = int(pb.get("id", ""))
    except ValueError:
        return False
    f = await d.get(ctx.session, facility_id)
    if f is None:
        ctx.say(m.text("申し訳ありません。この施設の情報は、いまはご案内できません。"))
        return True
    if pb.get("facility") == "map" and f.latitude is not None and f.longitude is not None:
        ctx.say(m.location(f.name, f.address or f.name, f.latitude, f.longitude))
        return True
    if pb.get("facility") == "detail":
        today = (await d.today(ctx.session, [f], ctx.local_now.date())).get(pk(f), "")
        lines = [f"【{f.name}】", d.label(f.category)]
        if f.description:
            lines.append(f.description)
        lines += [x for x in (today, f"住所：{f.address}" if f.address else "", f"電話：{f.phone}" if f.phone else "",
                              f"詳しくは：{f.guide_url}" if f.guide_url else "") if x]
        actions = [m.postback("地図", m.data(facility="map", id=f.id), f"{f.name}の地図")]
        if f.id in await bookable(ctx):
            actions.append(book_action(f))
        actions.append(m.postback("ほかの施設をさがす", m.data(action="facility"), "ほかの施設をさがす"))
        ctx.say(m.text("\n".join(lines), actions))
        return True
    return False


class FacilityFlow(Flow):
    name = "facility"
    title = "施設の検索"
    owns = frozenset({"facility_search"})
    notify_timeout = False
    #: ``facility=map|detail|more`` at any time; a location sent outside a flow finds what is near.
    entrance = Entry(intents=frozenset({"facility_search"}), postbacks=("facility",), location=True)

    async def on_postback(self, ctx: Context, postback: dict[str, str], engine: Engine) -> bool:
        if not await on_postback(ctx, postback):
            return False
        engine.resume_after_answer(ctx)
        return True

    # -- entry -----------------------------------------------------------------------------------
    async def start(self, ctx: Context, **params: Any) -> None:
        d = directory(ctx)
        if d is None:
            ctx.finish(m.text("申し訳ありません。施設の検索は準備中です。\n"
                              f"お問い合わせ：{ctx.services.town.contact}"))
            return
        if params.get("location"):
            spot = params["location"]
            await self.show_nearest(ctx, spot["latitude"], spot["longitude"], None)
            return
        text = params.get("text")
        if text and await self.understand(ctx, text):
            return
        self.ask_what(ctx)

    def ask_what(self, ctx: Context, lead: str = "", number: int = 0) -> None:
        d = directory(ctx)
        assert d is not None
        actions = [m.location_action("現在地から探す")]
        shown = page(d.groups, number)
        actions += [m.postback(g.label, m.data(flow="facility", group=g.label), g.label) for g in shown.items]
        actions += shown.more(flow="facility", more="group")
        actions.append(m.postback(ALL, m.data(flow="facility", group="*"), ALL))
        ctx.ask("what", m.text("どの施設をおさがしですか？\n位置情報を送っていただくと、近くの施設をご案内します。"
                               "施設の種類や名前で探すこともできます。", actions), lead=lead)

    def ask_location(self, ctx: Context, group: FacilityGroup | None) -> None:
        ctx.data["group"] = group.label if group else None
        what = group.label if group else "施設"
        actions = [m.location_action(), m.postback("一覧で見る", m.data(flow="facility", list="1"), "一覧で見る")]
        ctx.ask("location", m.text(f"近くの{what}をおさがしですね。下の「位置情報を送る」から現在地を送るか、"
                                   "町名や目印（例：本町、みどり山公園）を入力してください。", actions))

    async def understand(self, ctx: Context, text: str) -> bool:
        """A request in words: 「本町の近くの体育館」「近くの公園」「テニスコート」「武道館」."""
        d = directory(ctx)
        assert d is not None
        near = _NEAR.search(text)
        rest = text[near.end():] if near else text
        group = d.group_in(rest) or d.group_in(text)
        if near:
            place_text = text[: near.start()]
            place = await ctx.services.knowledge.geocoder.geocode(place_text) if place_text.strip() else None
            if place is not None and ctx.services.town.area.contains(place.latitude, place.longitude):
                await self.show_nearest(ctx, place.latitude, place.longitude, group, place.label)
                return True
            self.ask_location(ctx, group)
            return True
        named = await d.keyword(ctx.session, text)
        if named:
            ctx.finish(await carousel(ctx, named, "見つかった施設", more={"q": m.clip(text, 60)}))
            return True
        if group is not None:
            await self.show_group(ctx, group)
            return True
        return False

    # -- answers ---------------------------------------------------------------------------------
    async def show_nearest(self, ctx: Context, lat: float, lon: float, group: FacilityGroup | None,
                           place: str = "") -> None:
        d = directory(ctx)
        assert d is not None
        town = ctx.services.town
        if not town.area.contains(lat, lon):
            ctx.finish(m.text(f"送っていただいた場所は{town.name}から離れているようです。"
                              f"{town.name}の施設を一覧でご案内します。"))
            listed = await d.visible(ctx.session, group.categories if group else None)
            if listed:
                ctx.say(await carousel(ctx, [Found(f) for f in listed], "施設の一覧", more={"g": group.label if group else ""}))
            return
        found = await d.nearest(ctx.session, lat, lon, group.categories if group else None)
        what = group.label if group else "施設"
        if not found:
            ctx.finish(m.text(f"申し訳ありません。近くに{what}が見つかりませんでした。",
                              [m.postback(ALL, m.data(action="facility"), "施設をさがす")]))
            return
        where = f"{place}から" if place else ""
        near = {"lat": f"{lat:.5f}", "lon": f"{lon:.5f}", "g": group.label if group else ""}
        ctx.finish(m.text(f"{where}近い{what}を、近い順にご案内します。"), await carousel(ctx, found, f"近くの{what}", more=near))

    async def show_group(self, ctx: Context, group: FacilityGroup | None) -> None:
        d = directory(ctx)
        assert d is not None
        found = [Found(f) for f in await d.visible(ctx.session, group.categories if group else None)]
        if not found:
            ctx.finish(m.text(f"申し訳ありません。{group.label if group else '施設'}は見つかりませんでした。"))
            return
        ctx.finish(await carousel(ctx, found, f"{group.label if group else '施設'}の一覧"))
        actions = page(found).more(facility="more", g=group.label if group else "")  # on the last message
        actions.append(m.location_action("近い順に並べる"))
        url = map_page_url(ctx, group=group.label if group else "")
        if url:
            actions.append(m.uri_action("地図で見る", url))
        ctx.say(m.text("現在地から近い順に見るには、位置情報を送ってください。", actions))

    # -- states ----------------------------------------------------------------------------------
    @state("what", free_text=True, hint="施設の種類を選ぶか、位置情報を送ってください。")
    async def what(self, ctx: Context) -> bool:
        d = directory(ctx)
        assert d is not None
        spot = ctx.location
        if spot is not None:
            await self.show_nearest(ctx, spot["latitude"], spot["longitude"], None)
            return True
        number = requested(ctx.postback)
        if number is not None:
            self.ask_what(ctx, number=number)
            return True
        label = ctx.postback.get("group")
        if label == "*":
            await self.show_group(ctx, None)
            return True
        if label:
            group = d.group(label)
            if group is None:
                return False
            self.ask_location(ctx, group)
            return True
        if ctx.text:
            if ctx.text.strip() == ALL:
                await self.show_group(ctx, None)
                return True
            return await self.understand(ctx, ctx.text)
        return False

    @state("location", free_text=True, hint="位置情報を送るか、町名や目印を入力してください。")
    async def location(self, ctx: Context) -> bool:
        d = directory(ctx)
        assert d is not None
        group = d.group(str(ctx.data.get("group") or ""))
        spot = ctx.location
        if spot is not None:
            await self.show_nearest(ctx, spot["latitude"], spot["longitude"], group)
            return True
        if ctx.postback.get("list"):
            await self.show_group(ctx, group)
            return True
        if ctx.text:
            place = await ctx.services.knowledge.geocoder.geocode(ctx.text)
            if place is not None:
                await self.show_nearest(ctx, place.latitude, place.longitude, group, place.label)
                return True
        return False
