"""The counter's operation-log entries: which staff member opened which application, when, from where.

Opening a code at the counter shows a household's names, addresses and birth dates, so every
opening leaves an entry in the staff operation log (``civic.staff.audit``), and so does every code
the counter refuses (tampered, foreign, unreadable, sealed under a key no longer configured):
repeated failures are what an auditor looks for. 小郡市 spec §12(4) ログ: 「特定個人情報保護評価(PIA)を
想定したアクセス履歴の管理を可能とし、… ユーザーの操作ログを収集し、不正利用を抑止する効果と万が一の
事故発生時の原因特定ができること」; kept with the rest of the log (国富町 表3 項番26, ≥ 24 months).

An entry names the application by its code's reference (``payload.reference``: a digest of the
sealed text, the same for every opening of one issued code) and its kind (the life event and the
procedure codes). It never holds the household, the answers or the sealed text itself. Both doors
to the counter write the same entries: the counter page (``liff.procedures.counter``) and the staff
API (``admin_api.procedure_views``)::

    entry = opened_entry(ticket, joined_text, now=clock.now(), via="text")
    await auditor.record_alone(principal, entry.action, entry.target, after=entry.after, remote=request.remote)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from civic.clock import tokyo
from civic.procedures.payload import PayloadError, Ticket, reference

OPENED = "procedures.counter_open"
REFUSED = "procedures.counter_open_failed"  # the prefix "procedures.counter_open" finds both
TARGET_TYPE = "procedure_qr"


@dataclass(frozen=True)
class CounterEntry:
    """What to pass to ``Auditor.record`` / ``Call.audit``: action, ``kind:id`` target, after-snapshot."""

    action: str
    target: str
    after: dict[str, Any]


def _target(text: str | None) -> str:
    return f"{TARGET_TYPE}:{reference(text)}" if text else TARGET_TYPE


def opened_entry(ticket: Ticket, text: str, *, now: datetime, via: str) -> CounterEntry:
    """A code opened: ``text`` is the joined sealed text; ``via`` is how it came (``text``/``image``/``api``)."""
    return CounterEntry(OPENED, _target(text), {
        "event": ticket.event,
        "procedures": list(ticket.procedures),
        "issued_at": tokyo(ticket.issued_at).isoformat(timespec="minutes"),
        "stale": ticket.stale(now),
        "people": len(ticket.household.people) if ticket.household else 0,  # how many, never who
        "via": via,
    })


def refused_entry(error: PayloadError, text: str | None, *, via: str, parts: int) -> CounterEntry:
    """A code the counter could not open. ``text`` is the joined text when the parts joined into one
    of this town's codes (so repeated tries of one code share a target), else None."""
    return CounterEntry(REFUSED, _target(text), {"reason": error.code, "message": error.message, "via": via,
                                                 "parts": parts})
