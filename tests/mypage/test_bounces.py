"""Bounces: a mail's envelope sender names it (``bounces+<id>@<domain>``); a DSN saying "failed"
(5.x.x) sent there fails the mail and makes the citizen verify the address again (nothing more is
sent to it until then). A delay notice changes nothing; other recipients are refused."""

from __future__ import annotations

import aiosmtplib
import pytest
from sqlmodel import select

from bot.mail_sender import MailCatcher, MailSender, SmtpConfig, receiving_bounces
from civic.mypage import identity
from civic.mypage.models import M_FAILED, MailMessage
from civic.mypage.notices import verified_email
from tests.mypage.test_data import _delivery
from tests.mypage.town import ALICE, build


def dsn(rcpt: str, action: str, status: str) -> bytes:
    return (f"From: MAILER-DAEMON@mx.example.jp\r\nTo: {rcpt}\r\nSubject: Undelivered Mail\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
            "--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
            "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.jp\r\n\r\n"
            f"Final-Recipient: rfc822; alice@example.jp\r\nAction: {action}\r\nStatus: {status}\r\n"
            "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n--B--\r\n").encode()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_hard_bounce_fails_the_mail_and_unverifies_the_address(sqlite_db) -> None:
    t = await build(sqlite_db, notices=0)
    now = t.town.clock.now()
    async with sqlite_db.write() as s:
        await identity.set_address(s, now, t.alice, "alice@example.jp", verified=True)
        from civic.mypage import channels
        from civic.mypage.deliveries import plan

        await channels.set_choices(s, t.alice, {"general": "email"})
        d, run = await _delivery(s, now)
        await plan(s, now, d, run, now.date(), [ALICE])
    catcher = MailCatcher().start()
    port = free_port()
    try:
        await MailSender(sqlite_db, t.town.clock, SmtpConfig("127.0.0.1", catcher.port,
                                                            sender="town@town.example.jp")).drain()
        [caught] = catcher.messages
        assert caught.mail_from.startswith("bounces+") and caught.mail_from.endswith("@town.example.jp")
        async with receiving_bounces(sqlite_db, t.town.clock, host="127.0.0.1", port=port, domain="town.example.jp"):
            async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False) as smtp:
                with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
                    await smtp.sendmail("", ["someone@town.example.jp"], dsn("x", "failed", "5.1.1"))
                await smtp.sendmail("", [caught.mail_from], dsn(caught.mail_from, "delayed", "4.4.1"))
                async with sqlite_db.read() as s:
                    assert await verified_email(s, t.alice) is not None  # a delay changes nothing
                await smtp.sendmail("", [caught.mail_from], dsn(caught.mail_from, "failed", "5.1.1"))
        async with sqlite_db.read() as s:
            [mail] = (await s.exec(select(MailMessage))).all()
            assert mail.status == M_FAILED and "5.1.1" in (mail.error or "")
            assert await verified_email(s, t.alice) is None  # verified again before anything more is sent
    finally:
        catcher.stop()
