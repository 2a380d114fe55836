"""What the booking dialogue says: labels, the date picker, the summary, my reservations as a carousel."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from civic.booking import messages as bm
from civic.booking.types import Quote, ReservationView, Slot
from civic.facilities.catalogue import FacilityBundle
from dialogues import messages as m
from dialogues.booking.wish import length_text
from dialogues.paging import page

if TYPE_CHECKING:
    from dialogues.services import Services

FLOW = "booking"
_BRACKETS = re.compile(r"[（(]([^）)]+)[）)]")


def short_name(name: str, town: str = "") -> str:
    """「みどり町総合体育館（アリーナみどり）」→「アリーナみどり」, 「みどり町桜木体育館」→「桜木体育館」."""
    inner = _BRACKETS.search(name)
    if inner:
        return inner.group(1)
    for prefix in (town, "みどり町"):
        if prefix and name.startswith(prefix) and len(name) > len(prefix) + 1:
            return name[len(prefix):]
    return name


def day_text(d: date) -> str:
    return f"{d.year}年{bm.day_label(d)}"


def slot_label(slot: Slot) -> str:
    """「夜間 18:00〜21:00」 for a frame, 「18:00〜20:00（2時間）」 for a free interval."""
    times = f"{bm.hm(slot.start_minute)}〜{bm.hm(slot.end_minute)}"
    if slot.label:
        return f"{slot.label} {times}"
    return f"{times}（{length_text(slot.end_minute - slot.start_minute)}）"


def when_text(d: date, start: int, end: int) -> str:
    return f"{day_text(d)} {bm.hm(start)}〜{bm.hm(end)}"


def act(label: str, display: str | None = None, **fields: Any) -> dict[str, Any]:
    """A postback button of this flow."""
    return m.postback(label, m.data(flow=FLOW, **fields), display or label)


def day_picker(low: date, high: date, initial: date | None = None, label: str = "日付を選ぶ") -> dict[str, Any]:
    """LINE's date picker; its postback carries ``params.date``."""
    initial = min(max(initial or low, low), high)
    return {"type": "datetimepicker", "label": label, "data": m.data(flow=FLOW, pick="day"), "mode": "date",
            "initial": initial.isoformat(), "min": low.isoformat(), "max": high.isoformat()}


def calendar_link(services: Services, query: str = "", label: str = "カレンダーで見る") -> list[dict[str, Any]]:
    """The LIFF booking page (``?unit=<id>``, ``?view=mine``); empty when the service has no public address."""
    uri = services.page_url("booking", query)
    return [m.uri_action(label, uri)] if uri else []


def equipment_text(bundle: FacilityBundle, chosen: dict[str, int]) -> str:
    items = {str(e.id): e for e in bundle.equipment}
    parts = [f"{items[k].name} {q}{items[k].unit_label}" for k, q in sorted(chosen.items()) if k in items and q]
    return "、".join(parts) if parts else "なし"


def summary(lines: list[tuple[str, str]], quote: Quote | None = None) -> str:
    out = [f"・{k}：{v}" for k, v in lines]
    if quote is not None:
        out.append(f"・使用料：{bm.yen(quote.fee)}")
        if len(quote.lines) > 1:
            out += [f"　（{line.label} {bm.yen(line.amount)}）" for line in quote.lines]
    return "\n".join(out)


def reservation_text(view: ReservationView) -> str:
    return "\n".join([f"予約番号：{view.number}", f"施設：{view.facility_name} {view.unit_name}",
                      f"日時：{when_text(view.day, view.start_minute, view.end_minute)}",
                      f"人数：{view.people}人" + (f"（{view.purpose}）" if view.purpose else ""),
                      f"使用料：{bm.yen(view.fee)}", f"状態：{view.status_label}"])


def reservation_bubble(view: ReservationView) -> dict[str, Any]:
    body = [m.flex_text(view.facility_name, size="md", weight="bold"),
            m.flex_text(view.unit_name, color="#555555"),
            m.flex_text(when_text(view.day, view.start_minute, view.end_minute), margin="md"),
            m.flex_text(f"{view.people}人" + (f"・{view.purpose}" if view.purpose else "")),
            m.flex_text(f"使用料 {bm.yen(view.fee)}"),
            m.flex_text(f"予約番号 {view.number}・{view.status_label}", color="#555555", size="xs")]
    footer: list[dict[str, Any]] = []
    if view.status == "offered":
        until = f"（{bm.at_label(view.offer_expires_at)}まで）" if view.offer_expires_at else ""
        body.append(m.flex_text(f"キャンセル待ちの枠をご案内しています{until}", color="#b45309", size="xs"))
        footer = [m.flex_button(m.postback("予約する", m.data(offer="accept", no=view.number), "予約する"), style="primary"),
                  m.flex_button(m.postback("辞退する", m.data(offer="decline", no=view.number), "辞退する"))]
    elif view.cancel_reason is not None:
        body.append(m.flex_text(f"施設により取り消されました：{view.cancel_reason}", color="#b91c1c", size="xs"))
    else:
        if view.can_change:
            footer.append(m.flex_button(m.postback("変更", m.data(action=FLOW, op="change", no=view.number, restart=1),
                                                   f"予約 {view.number} を変更")))
        if view.can_cancel:
            footer.append(m.flex_button(m.postback("取消", m.data(action=FLOW, op="cancel", no=view.number, restart=1),
                                                   f"予約 {view.number} を取消")))
        if not footer:
            body.append(m.flex_text("変更・取消の受付期限を過ぎています。施設へお電話ください。", color="#555555",
                                    size="xs"))
    return m.bubble(body, footer=footer or None)


def my_reservations(views: list[ReservationView], extra: list[dict[str, Any]], *, intro: str,
                    number: int = 0) -> list[dict[str, Any]]:
    """Reservations as a carousel of up to ten (with 変更 / 取消 buttons), introduced by a line; more
    than ten: 「もっと見る」 (``action=booking&op=mine&page=…``) shows the next ten."""
    shown = page(views, number)
    alt = "ご予約の一覧: " + " / ".join(f"{v.facility_name} {bm.day_label(v.day)}" for v in shown.items)
    more = shown.more(action=FLOW, op="mine", restart=1)
    return [m.text(intro + shown.note()),
            m.flex(alt, m.carousel([reservation_bubble(v) for v in shown.items]), [*more, *extra] or None)]
