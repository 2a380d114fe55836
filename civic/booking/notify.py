"""The booking service's notices (``civic.notify``): staff changes and cancellations, approvals,
waitlist offers and day-before reminders. Their kinds and the waitlist offer's buttons live here.
"""

from __future__ import annotations

from civic.notify import CitizenNotifier, Notice, NoticeAction

__all__ = ["APPROVED", "OFFER_ACCEPT", "OFFER_DECLINE", "OFFER_LAPSED", "REJECTED", "REMINDER", "STAFF_CANCELLED",
           "STAFF_CHANGED", "WAITLIST_OFFER", "CitizenNotifier", "Notice", "NoticeAction", "offer_actions"]

# Notice kinds.
STAFF_CHANGED = "booking.staff_changed"
STAFF_CANCELLED = "booking.staff_cancelled"
APPROVED = "booking.approved"
REJECTED = "booking.rejected"
WAITLIST_OFFER = "booking.waitlist_offer"
OFFER_LAPSED = "booking.offer_lapsed"
REMINDER = "booking.reminder"

#: A waitlist offer's buttons: ``<kind>:<reservation number>``, the spelling offers already sent
#: carry; ``conversation.postback`` reads it into ``{"offer": "accept" | "decline", "no": …}``.
OFFER_ACCEPT = "booking.offer.accept"
OFFER_DECLINE = "booking.offer.decline"


def offer_actions(number: str) -> tuple[NoticeAction, ...]:
    return (NoticeAction("予約する", f"{OFFER_ACCEPT}:{number}"),
            NoticeAction("辞退する", f"{OFFER_DECLINE}:{number}"))
