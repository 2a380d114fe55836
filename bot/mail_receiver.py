"""The SMTP receiver for mail to LINE (aiosmtpd on its own port, in the service's event loop).

Only the addresses in ``recipients`` are accepted (others get 550), so the port cannot be used to
send the town's friends anything by guessing; the sender and subject are then matched against the
staff's mail rules (``civic.deliveries.mail``). A mail is acknowledged (250) only after it is
stored; if storing fails the answer is 451 and the sending server tries again later.

Wiring: the composition root (``bot/service.py``) enters ``receiving_mail(db, clock, port=…,
recipients={"line@town.example.jp"}, on_delivery=…)`` on the service's exit stack.

Put a TLS-terminating MTA (Postfix) in front of it on the public side; it relays to this port.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from civic.clock import Clock
from civic.database import Database
from civic.deliveries import mail
from civic.deliveries.errors import DeliveryProblem
from civic.deliveries.services import DeliveryDesk

log = logging.getLogger(__name__)
Intake = Callable[[bytes, str | None], Awaitable[Any]]


class MailHandler:
    def __init__(self, intake: Intake, recipients: set[str] | None = None) -> None:
        self.intake = intake
        self.recipients = {r.lower() for r in recipients} if recipients else None

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if self.recipients is not None and address.lower() not in self.recipients:
            return "550 5.1.1 No such recipient here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="replace")
        try:
            await self.intake(raw, envelope.mail_from)
        except DeliveryProblem as exc:
            return f"554 5.6.0 {exc.code}"
        except Exception:
            log.exception("mail receiver: could not store a mail")
            return "451 4.3.0 Try again later"
        return "250 Message accepted"


def database_intake(db: Database, clock: Clock, desk: DeliveryDesk,
                    on_delivery: Callable[[], None] | None = None,
                    on_committed: Callable[[], Awaitable[Any]] | None = None) -> Intake:
    """``on_committed()`` runs after each mail's transaction (the 防災モード's menus: a rule may switch it)."""
    async def intake(raw: bytes, envelope_from: str | None) -> Any:
        async with db.write() as s:
            row = await mail.receive(s, clock.now(), desk, raw, via="smtp", envelope_from=envelope_from)
            status = row.status
        if status == mail.DELIVERED and on_delivery is not None:
            on_delivery()
        if on_committed is not None:
            try:
                await on_committed()
            except Exception:
                log.exception("mail receiver: the disaster mode's menus were not relinked")
        return row

    return intake


class MailReceiver:
    def __init__(self, handler: MailHandler, host: str = "127.0.0.1", port: int = 2525,
                 data_size_limit: int = mail.MAX_MAIL_BYTES) -> None:
        self.handler, self.host, self.port, self.limit = handler, host, port, data_size_limit
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self.handler, data_size_limit=self.limit, enable_SMTPUTF8=True, hostname="madoguchi"),
            self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()




@contextlib.asynccontextmanager
async def receiving_mail(db: Database, clock: Clock, *, host: str = "127.0.0.1", port: int = 2525,
                         recipients: set[str] | None = None, desk: DeliveryDesk | None = None,
                         on_delivery: Callable[[], None] | None = None,
                         on_committed: Callable[[], Awaitable[Any]] | None = None) -> AsyncIterator[MailReceiver]:
    """``on_delivery()`` runs after a mail became a delivery (e.g. the delivery scheduler's ``wake``)."""
    intake = database_intake(db, clock, desk or DeliveryDesk(), on_delivery, on_committed)
    receiver = MailReceiver(MailHandler(intake, recipients), host, port)
    await receiver.start()
    log.info("mail to LINE: SMTP on %s:%s", host, receiver.port)
    try:
        yield receiver
    finally:
        await receiver.stop()
