"""Outbound e-mail: the outbox sender (``civic.mypage.outbox``) over SMTP (aiosmtplib; STARTTLS and
AUTH as configured), and ``MailCatcher``, a local capture mailbox (aiosmtpd) for the demo and tests.

``SMTP_URL`` says where: ``smtp://user:password@host:587`` (STARTTLS when the server offers it;
``?starttls=require`` refuses a server without it), ``smtps://…:465`` (implicit TLS), empty: no
e-mail is sent (rows wait in the outbox). Each mail carries a ``Message-ID`` derived from its
outbox key: a resend after a crash between the server's 250 and our record is the same message.
Transient refusals (4xx, network) are tried again with backoff; 5xx fail the row for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from civic.clock import Clock
from civic.database import Database
from civic.mypage import outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    username: str = ""
    password: str = ""
    use_tls: bool = False
    starttls: str = "auto"  # auto | require | off
    sender: str = "no-reply@localhost"
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str, sender: str) -> SmtpConfig | None:
        if not url:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465")
        query = parse_qs(parts.query)
        tls = parts.scheme == "smtps"
        return cls(parts.hostname, parts.port or (465 if tls else 25), unquote(parts.username or ""),
                   unquote(parts.password or ""), tls, (query.get("starttls") or ["off" if tls else "auto"])[0],
                   sender or "no-reply@localhost")

    @property
    def domain(self) -> str:
        return parseaddr(self.sender)[1].rpartition("@")[2] or "localhost"


def build_message(config: SmtpConfig, mail: outbox.Outgoing) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = config.sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = outbox.message_id(mail.dedupe_key, config.domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(mail.text, charset="utf-8")
    msg.add_alternative(mail.html, subtype="html", charset="utf-8")
    return msg


def is_transient(exc: BaseException) -> bool:
    code = getattr(exc, "code", None)
    return not (isinstance(code, int) and 500 <= code < 600)


class MailSender:
    """Sends the outbox: woken when a mail is queued, and every ``interval`` seconds for retries."""

    def __init__(self, db: Database, clock: Clock, config: SmtpConfig, *, interval: float = 15.0,
                 batch: int = 100, record_every: int = 20) -> None:
        self.db, self.clock, self.config = db, clock, config
        self.interval, self.batch, self.record_every = interval, batch, max(1, record_every)
        self._wake = asyncio.Event()
        self.sent = 0

    def wake(self) -> None:
        self._wake.set()

    async def send_one(self, smtp: aiosmtplib.SMTP, mail: outbox.Outgoing) -> tuple[int, str | None, bool]:
        try:  # the envelope sender names the mail, so a bounce (DSN) finds it (``BounceHandler``)
            await smtp.send_message(build_message(self.config, mail), sender=bounce_address(mail.id, self.config.domain))
        except (aiosmtplib.SMTPException, OSError) as exc:
            return mail.id, str(exc)[:300], is_transient(exc)
        return mail.id, None, False

    def _client(self) -> aiosmtplib.SMTP:
        c = self.config
        return aiosmtplib.SMTP(hostname=c.host, port=c.port, use_tls=c.use_tls, timeout=c.timeout,
                               start_tls=None if c.starttls == "auto" else c.starttls == "require",
                               username=c.username or None, password=c.password or None)

    async def drain(self) -> int:
        """Send everything due now, over one connection per claimed batch. Outcomes are recorded every
        ``record_every`` mails (one write each time): a crash leaves at most those mails sent but not
        recorded, and they are sent again with the same Message-ID. The number sent."""
        total = 0
        while True:
            async with self.db.write() as s:
                due = await outbox.claim(s, self.clock.now(), self.batch)
            if not due:
                return total
            pending: list[tuple[outbox.Outgoing, str | None, bool]] = []
            trouble = False
            try:
                async with self._client() as smtp:
                    for mail in due:
                        _, err, transient = await self.send_one(smtp, mail)
                        pending.append((mail, err, transient))
                        trouble = trouble or err is not None
                        if len(pending) >= self.record_every:
                            total += await self._record(pending)
                            pending = []
            except (aiosmtplib.SMTPException, OSError) as exc:  # could not connect, or lost the server
                log.warning("mail sender: %s", exc)  # the claimed rest is taken again when the claim runs out
                trouble = True
            total += await self._record(pending)
            self.sent += total
            if trouble:
                return total

    async def _record(self, outcomes: list[tuple[outbox.Outgoing, str | None, bool]]) -> int:
        if not outcomes:
            return 0
        async with self.db.write() as s:
            now = self.clock.now()
            for mail, err, transient in outcomes:
                if err is None:
                    await outbox.sent(s, now, mail.id)
                    continue
                retry = min(timedelta(minutes=1) * 2 ** min(mail.attempts, 8), timedelta(hours=6))
                give_up = mail.attempts >= 12 or not transient
                await outbox.failed(s, now, mail.id, err, retry_in=None if give_up else retry)
        return sum(1 for _, err, _ in outcomes if err is None)

    async def run(self) -> None:
        while True:
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("mail sender: a pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)
            self._wake.clear()


@contextlib.asynccontextmanager
async def sending_mail(sender: MailSender) -> AsyncIterator[MailSender]:
    task = asyncio.create_task(sender.run(), name="mail sender")
    try:
        yield sender
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# ---- bounces (DSNs) ---------------------------------------------------------------------------------

BOUNCE = re.compile(r"^bounces\+(\d+)@(.+)$", re.I)


def bounce_address(mail_id: int, domain: str) -> str:
    return f"bounces+{mail_id}@{domain}"


def hard_failure(raw: bytes) -> str | None:
    """The reason when ``raw`` is a delivery status notification saying "failed" with a 5.x.x status
    (RFC 3464); None for delays, successes and anything else."""
    message = message_from_bytes(raw, policy=policy.default)
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        blocks = payload if isinstance(payload, list) else [part]
        for block in blocks:
            if isinstance(block, str):
                continue
            fields = {k.lower(): str(v) for k, v in block.items()}
            if fields.get("action", "").strip().lower() == "failed" and fields.get("status", "").strip().startswith("5"):
                return (fields.get("diagnostic-code") or fields["status"]).strip()[:200]
    return None


class BounceHandler:
    """An SMTP endpoint for the bounces of our mails (the envelope sender ``bounces+<id>@<domain>``):
    a hard failure fails the mail and makes the citizen verify the address again."""

    def __init__(self, db: Database, clock: Clock, domain: str) -> None:
        self.db, self.clock, self.domain = db, clock, domain.lower()

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        found = BOUNCE.match(address)
        if found is None or found.group(2).lower() != self.domain:
            return "550 5.1.1 No such recipient here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        reason = hard_failure(raw if isinstance(raw, bytes) else raw.encode())
        if reason is not None:
            try:
                async with self.db.write() as s:
                    for rcpt in envelope.rcpt_tos:
                        found = BOUNCE.match(rcpt)
                        if found is not None:
                            await outbox.bounced(s, self.clock.now(), int(found.group(1)), reason)
            except Exception:
                log.exception("bounces: could not record a DSN")
                return "451 4.3.0 Try again later"
        return "250 Message accepted"


@contextlib.asynccontextmanager
async def receiving_bounces(db: Database, clock: Clock, *, host: str, port: int, domain: str) -> AsyncIterator[None]:
    controller = Controller(BounceHandler(db, clock, domain), hostname=host, port=port)
    await asyncio.to_thread(controller.start)
    try:
        yield
    finally:
        await asyncio.to_thread(controller.stop)


# ---- the local catcher ----------------------------------------------------------------------------

@dataclass
class CaughtMail:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class CatcherHandler:
    messages: list[CaughtMail] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        self.messages.append(CaughtMail(envelope.mail_from or "", list(envelope.rcpt_tos),
                                        raw if isinstance(raw, bytes) else raw.encode()))
        self.arrived.set()
        return "250 Message accepted"


class MailCatcher:
    """A capture mailbox on ``host:port`` (0: any free port): every mail is kept in ``messages``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.handler = CatcherHandler()
        self.controller = Controller(self.handler, hostname=host, port=port or _free_port(host))

    @property
    def port(self) -> int:
        return int(self.controller.port)

    @property
    def messages(self) -> list[CaughtMail]:
        return self.handler.messages

    def parsed(self) -> list[Any]:
        return [message_from_bytes(m.data, policy=policy.default) for m in self.messages]

    def start(self) -> MailCatcher:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def mailbox_app(catcher: MailCatcher) -> web.Application:
    """The demo's mailbox as a page: every mail the catcher received, newest first (text part)."""

    async def index(_: web.Request) -> web.Response:
        items = []
        for m in reversed(catcher.parsed()):
            body = m.get_body(("plain",))
            text = body.get_content() if body is not None else ""
            items.append(f"<article><h2>{html.escape(str(m['Subject'] or ''))}</h2>"
                         f"<p>宛先：{html.escape(str(m['To'] or ''))}　{html.escape(str(m['Date'] or ''))}</p>"
                         f"<pre>{html.escape(text)}</pre></article>")
        page = ('<!doctype html><html lang="ja"><head><meta charset="utf-8"><meta name="viewport" '
                'content="width=device-width, initial-scale=1"><title>デモのメール受信箱</title></head><body><main>'
                f'<h1>デモのメール受信箱（{len(items)}通）</h1>{"".join(items) or "<p>まだメールはありません。</p>"}'
                '</main></body></html>')
        return web.Response(text=page, content_type="text/html", charset="utf-8",
                            headers={"Content-Security-Policy": "default-src 'none'", "Cache-Control": "no-store"})

    app = web.Application()
    app.router.add_get("/", index)
    return app
