"""Mail to LINE: parsing Japanese mail (ISO-2022-JP, multipart, HTML, attachments), rules and
rewriting, approval, duplicates, the SMTP receiver end to end, and the upload route."""

from __future__ import annotations

import asyncio
import json
import smtplib
from email.header import Header
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

import pytest
from aiohttp import web
from sqlmodel import select

from admin_api import mail_views
from admin_api.app import create_admin_app
from admin_api.context import AdminContext
from bot.mail_receiver import MailHandler, MailReceiver, database_intake
from civic.clock import FrozenClock
from civic.database import Database
from civic.deliveries import mail
from civic.deliveries.models import D_APPROVAL, Delivery, InboundMail, MailRule
from civic.deliveries.services import DeliveryDesk
from tests.attributes.support import NOW
from tests.deliveries.conftest import Line
from tests.deliveries.test_sending import dispatcher
from tests.deliveries.test_views import Tokens, auth

BODY = "みどり町防災担当です。\n明日は大雨のおそれがあります。\n> 前回のお知らせ\n--\nみどり町役場 総務課\n電話 0000-00-1111\n"


def iso2022jp(subject: str = "【大雨】注意報のお知らせ", body: str = BODY, sender: str = "bousai@town.midori.example.jp",
              message_id: str = "<a1@town>") -> bytes:
    msg = MIMEText(body, "plain", "iso-2022-jp")
    msg["Subject"] = Header(subject, "iso-2022-jp")
    msg["From"] = f"{Header('防災担当', 'iso-2022-jp').encode()} <{sender}>"
    msg["To"] = "line@town.midori.example.jp"
    msg["Message-ID"] = message_id
    return msg.as_bytes()


def multipart_with_attachment() -> bytes:
    outer = MIMEMultipart("mixed")
    outer["Subject"] = Header("イベントのお知らせ", "utf-8")
    outer["From"] = "kouhou@town.midori.example.jp"
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText("秋祭りを開催します。", "plain", "utf-8"))
    alternative.attach(MIMEText("<p>秋祭りを<b>開催</b>します。</p>", "html", "utf-8"))
    outer.attach(alternative)
    outer.attach(MIMEApplication(b"%PDF-1.4 fake", Name="chirashi.pdf"))
    return outer.as_bytes()


def test_parsing_japanese_mail() -> None:
    parsed = mail.parse(iso2022jp())
    assert parsed.subject == "【大雨】注意報のお知らせ" and parsed.sender == "bousai@town.midori.example.jp"
    assert parsed.text.startswith("みどり町防災担当です。") and parsed.message_id == "<a1@town>"
    parsed = mail.parse(multipart_with_attachment())
    assert parsed.text == "秋祭りを開催します。" and parsed.attachments == 1  # the plain part; the PDF is ignored
    html_only = EmailMessage()
    html_only["Subject"] = "HTML"
    html_only["From"] = "a@b.jp"
    html_only.set_content("<div>一行目<br>二行目</div><script>x()</script>", subtype="html", charset="shift_jis")
    assert mail.parse(html_only.as_bytes()).text == "一行目\n二行目"


def test_rewriting_steps() -> None:
    steps = mail.STEPS.validate_python([
        {"type": "cut_after", "marker": "^-- ?$"}, {"type": "remove_quotes"},
        {"type": "replace", "pattern": "大雨", "replacement": "大雨（おおあめ）"},
        {"type": "prepend", "text": "【防災みどり】"}, {"type": "append", "text": "詳しくは町のホームページへ"}])
    assert mail.rewrite(BODY, steps) == ("【防災みどり】\nみどり町防災担当です。\n明日は大雨（おおあめ）のおそれがあります。\n"
                                         "詳しくは町のホームページへ")
    with pytest.raises(ValueError):
        mail.STEPS.validate_python([{"type": "replace", "pattern": "(", "replacement": ""}])


async def _rule(db: Database, **fields: Any) -> int:
    values = {"name": "防災メール", "sender": "@town.midori.example.jp", "subject": "注意報|警報",
              "rewrite": json.dumps([{"type": "cut_after", "marker": "^-- ?$"}, {"type": "remove_quotes"}]),
              "created_at": NOW, "updated_at": NOW} | fields
    async with db.write() as s:
        row = MailRule(**values)
        s.add(row)
        await s.flush()
        return row.id  # type: ignore[return-value]


async def test_rules_decide_and_mail_becomes_a_delivery(db: Database, line: Line) -> None:
    clock = FrozenClock(NOW)
    users = await line.citizens(db, 4)
    await _rule(db, name="承認が要るもの", priority=10, subject="訓練", needs_approval=True)
    await _rule(db)
    async with db.write() as s:
        got = await mail.receive(s, NOW, DeliveryDesk(), iso2022jp())
        again = await mail.receive(s, NOW, DeliveryDesk(), iso2022jp())  # an SMTP retry: the same Message-ID
        other = await mail.receive(s, NOW, DeliveryDesk(), iso2022jp(sender="someone@example.com", message_id="<x>"))
        drill = await mail.receive(s, NOW, DeliveryDesk(), iso2022jp(subject="防災訓練の警報テスト", message_id="<d>"))
    assert (got.status, again.id, other.status, drill.status) == (mail.DELIVERED, got.id, mail.IGNORED, mail.HELD)
    await dispatcher(db, clock, line).tick()
    (text,) = [m["text"] for m in line.sim.messages(users[0])]
    assert text == "【【大雨】注意報のお知らせ】\nみどり町防災担当です。\n明日は大雨のおそれがあります。"
    async with db.read() as s:
        held = await s.get(Delivery, drill.delivery_id)
        stored = (await s.exec(select(InboundMail))).all()
    assert held.status == D_APPROVAL and len(stored) == 3
    async with db.write() as s:
        await DeliveryDesk().approve(s, NOW, drill.delivery_id, "soumu-user")  # type: ignore[arg-type]
    await dispatcher(db, clock, line).tick()
    assert all(len(line.sim.messages(u)) == 2 for u in users)


async def test_smtp_receiver_end_to_end(db: Database) -> None:
    await _rule(db)
    woken: list[int] = []
    handler = MailHandler(database_intake(db, FrozenClock(NOW), DeliveryDesk(), lambda: woken.append(1)),
                          recipients={"line@town.midori.example.jp"})
    receiver = MailReceiver(handler, "127.0.0.1", 0)
    await receiver.start()
    try:
        def send(to: str, data: bytes) -> dict:
            with smtplib.SMTP("127.0.0.1", receiver.port, timeout=10) as client:
                return client.sendmail("bousai@town.midori.example.jp", [to], data)

        loop = asyncio.get_running_loop()
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            await loop.run_in_executor(None, send, "anyone@elsewhere.jp", iso2022jp())
        refused = await loop.run_in_executor(None, send, "line@town.midori.example.jp", iso2022jp())
        assert refused == {} and woken == [1]
    finally:
        await receiver.stop()
    async with db.read() as s:
        (row,) = (await s.exec(select(InboundMail))).all()
        delivery = await s.get(Delivery, row.delivery_id)
    assert row.via == "smtp" and row.status == mail.DELIVERED and delivery.source == "mail"


async def test_upload_preview_and_rule_routes(aiohttp_client: Any, db: Database) -> None:
    app = web.Application()
    app.add_subapp("/api", create_admin_app(Tokens(), [mail_views.router], context=AdminContext(db, FrozenClock(NOW))))
    client = await aiohttp_client(app)
    r = await client.post("/api/mail-rules", headers=auth("delivery"), json={
        "name": "防災", "sender": "@town.midori.example.jp", "rewrite": [{"type": "replace", "pattern": "("}]})
    assert r.status == 422 and (await r.json())["error"]["field"] == "rewrite"
    r = await client.post("/api/mail-rules", headers=auth("delivery"), json={
        "name": "防災", "sender": "@town.midori.example.jp", "subject": "注意報",
        "rewrite": [{"type": "cut_after"}, {"type": "append", "text": "みどり町"}]})
    rule = await r.json()
    assert r.status == 201 and rule["rewrite"][0]["marker"] == "^-- ?$"
    r = await client.post(f"/api/mail-rules/{rule['id']}/preview", data=iso2022jp(),
                          headers=auth("viewer") | {"Content-Type": "message/rfc822"})
    preview = await r.json()
    assert preview["matches"] is True and preview["text"].endswith("みどり町") and "総務課" not in preview["text"]
    r = await client.post("/api/mails", data=iso2022jp(message_id="<up>"),
                          headers=auth("delivery") | {"Content-Type": "message/rfc822"})
    assert r.status == 201 and (await r.json())["status"] == "delivered"
    r = await client.get("/api/mails", headers=auth("viewer"))
    (listed,) = await r.json()
    assert "0000-00-1111" not in listed["body"]  # phone numbers masked without personal.view
