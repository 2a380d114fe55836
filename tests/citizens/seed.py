"""One citizen (and a bystander) seeded in every feature, for the erasure and export tests."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from bot.inbox.models import webhook_event
from bot.schema import load_metadata
from civic.database import Database
from civic.types import EncryptedText, UTCDateTime

NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Person:
    uid: str
    name: str
    phone: str
    email: str
    said: tuple[str, ...]
    photo: str

    @property
    def needles(self) -> list[str]:
        return [self.uid, self.name, self.phone, self.email, self.photo, *self.said]


TARO = Person("U" + "7a" * 16, "山田太郎", "090-1234-5678", "taro.yamada@example.jp",
              ("うちの前の道路に大きな穴があいています", "粗大ごみの出し方を教えて", "児童手当の申請について知りたい"),
              base64.b64encode(b"JPEG-PHOTO-OF-TAROS-HOUSE").decode())
HANAKO = Person("U" + "3c" * 16, "佐藤花子", "080-9876-5432", "hanako@example.jp",
                ("図書館の開館時間は？", "体育館を借りたいです"), base64.b64encode(b"JPEG-OTHER").decode())


def _blank(column: sa.Column) -> Any:
    t = column.type
    if isinstance(t, UTCDateTime):
        return NOW
    if isinstance(t, EncryptedText | sa.Text | sa.String):
        return "x"
    if isinstance(t, sa.Boolean):
        return False
    if isinstance(t, sa.Integer | sa.Float):
        return 1
    if isinstance(t, sa.Date):
        return date(2026, 11, 20)
    if isinstance(t, sa.JSON):
        return {}
    raise TypeError(f"{column} needs a value")


async def insert(conn: Any, table_name: str, /, **values: Any) -> Any:
    """Insert one row with ``values``, every other required column blank; returns the id."""
    table = load_metadata().tables[table_name]
    row = {c.name: _blank(c) for c in table.columns
           if not c.nullable and c.name not in values and c.default is None and c.server_default is None
           and not (c.primary_key and isinstance(c.type, sa.Integer) and c.autoincrement in (True, "auto"))}
    row.update(values)
    result = await conn.execute(sa.insert(table).values(**row))
    key = [c for c in table.primary_key.columns if c.name == "id"]
    return result.inserted_primary_key[0] if key else None


async def _parents(conn: Any) -> dict[str, int]:
    p: dict[str, int] = {}
    p["attr"] = await insert(conn, "attribute_definition", key="email", kind="text", label="メール")
    p["form"] = await insert(conn, "attribute_form", key="signup", title="登録")
    p["facility"] = await insert(conn, "facility", code="hall", name="公民館", phone="0985-00-0000")
    p["unit"] = await insert(conn, "facility_unit", facility_id=p["facility"], code="r1", name="会議室")
    p["area"] = await insert(conn, "facility_area", facility_id=p["facility"], code="a1", name="全面")
    p["delivery"] = await insert(conn, "delivery", title="お知らせ", messages="[]")
    p["run"] = await insert(conn, "delivery_run", delivery_id=p["delivery"])
    p["link"] = await insert(conn, "delivery_link", token="tok1", run_id=p["run"], url="https://example.jp/")
    p["safety"] = await insert(conn, "safety_check", title="安否確認", question="状況を教えてください。", target="all",
                               status="open", created_at=NOW)
    return p


async def _person(conn: Any, who: Person, p: dict[str, int], n: int) -> int:
    cid = await insert(conn, "citizen", channel_user_id=who.uid, display_name=who.name, is_friend=True,
                       followed_at=NOW)
    await insert(conn, "friendship_event", citizen_id=cid, kind="follow", at=NOW)
    await insert(conn, "citizen_attribute_value", citizen_id=cid, attribute_id=p["attr"], secret=who.email)
    await insert(conn, "attribute_form_response", form_id=p["form"], citizen_id=cid, via="liff")
    for text in who.said:
        await insert(conn, "talk_entry", channel_user_id=who.uid, direction="in", kind="text", text=text, at=NOW)
    await insert(conn, "talk_entry", channel_user_id=who.uid, direction="out", kind="text",
                 text=f"{who.name}さん、受け付けました。", at=NOW)
    await insert(conn, "conversation_state", channel_user_id=who.uid,
                 data=json.dumps({"flow": "report", "name": who.name}, ensure_ascii=False))
    await insert(conn, "faq_answer", entry_id="gomi", question=who.said[-1], channel="line", asker=who.uid)
    await insert(conn, "faq_unanswered", question=who.said[0], channel="line", status="open")
    await insert(conn, "outbound_message", channel="line", to=who.uid, retry_key=f"rk{n}", status="sent",
                 messages=json.dumps([{"type": "text", "text": f"{who.name}様"}], ensure_ascii=False))
    await insert(conn, "procedure_draft", token_hash=f"{n:064d}", event_code="birth", channel="line",
                 data=json.dumps({"answers": {"name": who.name, "phone": who.phone}}, ensure_ascii=False),
                 expires_at=NOW)
    await insert(conn, "procedure_access", day=date(2026, 11, n), event_code="birth", channel="line", count=1)
    await insert(conn, "rich_menu_tap", channel_user_id=who.uid, data="action=faq", at=NOW)
    await insert(conn, "rich_menu_user_link", account="production", channel_user_id=who.uid,
                 line_rich_menu_id="richmenu-1", linked_at=NOW)
    booker = await insert(conn, "booking_booker", channel_user_id=who.uid, name=who.name, phone=who.phone,
                          group_name=f"{who.name}の会", note=who.email, attributes={"resident": True})
    reservation = await insert(conn, "booking_reservation", number=f"R{n}", facility_id=p["facility"],
                               unit_id=p["unit"], status="confirmed", channel_user_id=who.uid, booker_id=booker,
                               applicant_name=who.name, applicant_phone=who.phone, activity=who.said[1],
                               staff_note=who.phone, start_minute=600 + 60 * n, end_minute=660 + 60 * n,
                               fee_breakdown=[])
    await insert(conn, "booking_occupancy", area_id=p["area"], cell=n, reservation_id=reservation)
    await insert(conn, "booking_waitlist", facility_id=p["facility"], unit_id=p["unit"], channel_user_id=who.uid,
                 applicant_name=who.name, applicant_phone=who.phone, activity=who.said[1], status="waiting")
    report = await insert(conn, "report", receipt_no=f"R-{n}", category="road", description=who.said[0],
                          channel="line", reporter=who.uid, citizen_id=cid, has_photo=True, status="received",
                          public_description=who.said[0], address="みどり町1-1", latitude=32.0, longitude=131.0)
    await insert(conn, "report_photo", report_id=report, owner=who.uid, content_type="image/jpeg", data=who.photo)
    await insert(conn, "report_status_change", report_id=report, to_status="done", staff_name="職員",
                 note=f"{who.name}さんに電話（{who.phone}）")
    handover = await insert(conn, "handover", channel_user_id=who.uid, status="closed", rating="good",
                            assignee_name="職員", waiting_since=NOW)
    await insert(conn, "handover_message", handover_id=handover, author="citizen", text=f"{who.name}です。{who.phone}",
                 at=NOW)
    await insert(conn, "safety_answer", check_id=p["safety"], citizen_id=cid, status="need_help",
                 place=f"{who.name}の自宅", location="32.000000,131.000000", note=f"{who.name}です。{who.phone}",
                 answered_at=NOW, updated_at=NOW)
    # the my-page (civic.mypage): notices, saved to-dos, the e-mail identity and its codes, mails
    await insert(conn, "mypage_notice", citizen_id=cid, kind="delivery", title="お知らせ", body=f"{who.name}様", at=NOW)
    await insert(conn, "mypage_todo", citizen_id=cid, event_code="birth", event_title="出生", code=1, name="出生届")
    await insert(conn, "mypage_email", citizen_id=cid, address=who.email, digest=f"d{n}", unsubscribe_token=f"u{n}")
    await insert(conn, "mypage_code", subject=f"d{n}", purpose="verify", code_hash="h", citizen_id=cid)
    await insert(conn, "mypage_session", token_hash=f"s{n}", citizen_id=cid)
    await insert(conn, "mypage_channel", citizen_id=cid, topic="general", channel="both")
    await insert(conn, "mail_message", citizen_id=cid, kind="delivery", dedupe_key=f"k{n}", to_address=who.email,
                 subject="お知らせ", text=f"{who.name}様", html=f"{who.name}様")
    await insert(conn, "operation_log", staff_login="admin", action="booking.create", target_type="reservation",
                 target_id=str(reservation), after=json.dumps({"applicant_name": who.name}, ensure_ascii=False))
    return cid


async def seed(db: Database, inbox: Database) -> tuple[int, int]:
    """Both people in every feature; returns (Taro's citizen id, Hanako's)."""
    async with db.write() as s:
        conn = await s.connection()
        p = await _parents(conn)
        taro = await _person(conn, TARO, p, 1)
        hanako = await _person(conn, HANAKO, p, 2)
        await insert(conn, "delivery_batch", run_id=p["run"], number=0, retry_key="b0", status="sent", size=2,
                     recipients=json.dumps([TARO.uid, HANAKO.uid]))
        await insert(conn, "delivery_link_click", link_id=p["link"], visitor="0" * 32, at=NOW)
        await insert(conn, "inbox_outcome", event_id=1, status="done", done_at=NOW)
    async with inbox.write() as s:
        conn = await s.connection()
        for i, (who, key, source) in enumerate([
            (TARO, TARO.uid, {"type": "user", "userId": TARO.uid}),
            (TARO, "Cgroup1", {"type": "group", "groupId": "Cgroup1", "userId": TARO.uid}),
            (HANAKO, HANAKO.uid, {"type": "user", "userId": HANAKO.uid}),
        ]):
            event = {"type": "message", "source": source, "message": {"type": "text", "text": who.said[0]}}
            await conn.execute(sa.insert(webhook_event).values(
                webhook_event_id=f"EV{i}", channel="production", user_key=key, event_type="message",
                payload=json.dumps(event), received_at=NOW))
    return taro, hanako
