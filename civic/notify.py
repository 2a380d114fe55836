"""The one way civic services tell a citizen something they did not just ask for (a staff change
to their booking or report, a waitlist offer, a reminder, a procedure's result): a ``Notice``
handed to a ``CitizenNotifier``.

civic only produces notices; the running service implements the port on its outbox
(``bot.notifier.OutboxNotifier``). ``notify`` is called *inside* the transaction that made the
change, with its session, so an implementation that enqueues (an outbox row written with
``session``) sends a notice exactly when the change commits and never for a change that rolled
back. It must not call LINE directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession


@dataclass(frozen=True)
class NoticeAction:
    """A button under the message. ``data`` is a postback the dialogue layer routes back, e.g.
    ``booking.offer.accept:2612-00042`` (``BookingService.accept_offer``)."""

    label: str
    data: str


@dataclass(frozen=True)
class Notice:
    channel_user_id: str
    kind: str
    text: str  # polite Japanese, ready to send as a text message
    reservation_number: str | None = None
    actions: tuple[NoticeAction, ...] = ()
    #: The account the citizen used, when the caller knows it (a report keeps it); None: the
    #: notifier finds it (the test account for test citizens).
    channel: str | None = None


class CitizenNotifier(Protocol):
    async def notify(self, session: AsyncSession, notice: Notice) -> None:
        """Enqueue ``notice`` for delivery when the current transaction commits."""
        ...
