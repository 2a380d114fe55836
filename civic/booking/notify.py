"""Telling a citizen about something they did not just ask for: staff changes and cancellations,
approvals, waitlist offers and day-before reminders.

The booking service only produces ``Notice``s; the running service implements ``CitizenNotifier``
with its LINE gateway. The notifier is called *inside* the transaction that made the change, with
its session, so an implementation that enqueues (an outbox row written with ``session``) sends a
notice exactly when the change commits and never for a change that rolled back. It must not call
LINE directly from ``notify``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

# Notice kinds.
STAFF_CHANGED = "booking.staff_changed"
STAFF_CANCELLED = "booking.staff_cancelled"
APPROVED = "booking.approved"
REJECTED = "booking.rejected"
WAITLIST_OFFER = "booking.waitlist_offer"
OFFER_LAPSED = "booking.offer_lapsed"
REMINDER = "booking.reminder"


@dataclass(frozen=True)
class NoticeAction:
    """A button under the message. ``data`` is a postback the dialogue layer routes back, e.g.
    ``booking.offer.accept:2612-00042`` (call ``BookingService.accept_offer``)."""

    label: str
    data: str


@dataclass(frozen=True)
class Notice:
    channel_user_id: str
    kind: str
    text: str  # polite Japanese, ready to send as a text message
    reservation_number: str | None = None
    actions: tuple[NoticeAction, ...] = ()


class CitizenNotifier(Protocol):
    async def notify(self, session: AsyncSession, notice: Notice) -> None:
        """Enqueue ``notice`` for delivery when the current transaction commits."""
        ...


OFFER_ACCEPT = "booking.offer.accept"
OFFER_DECLINE = "booking.offer.decline"


def offer_actions(number: str) -> tuple[NoticeAction, ...]:
    return (NoticeAction("予約する", f"{OFFER_ACCEPT}:{number}"),
            NoticeAction("辞退する", f"{OFFER_DECLINE}:{number}"))
