"""Recording fakes for the booking service's outside world: citizen notices and the operation log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from civic.booking.notify import Notice


class RecordingNotifier:
    """Keeps notices; like the real outbox it only keeps those whose transaction committed."""

    def __init__(self) -> None:
        self.pending: list[tuple[AsyncSession, Notice]] = []

    async def notify(self, session: AsyncSession, notice: Notice) -> None:
        assert session.in_transaction(), "notices are enqueued inside the change's transaction"
        self.pending.append((session, notice))

    @property
    def notices(self) -> list[Notice]:
        return [n for _, n in self.pending]

    def of(self, kind: str) -> list[Notice]:
        return [n for n in self.notices if n.kind == kind]


@dataclass
class AuditEntry:
    principal: Any
    action: str
    target: str
    before: dict | None
    after: dict | None
    remote: str | None


class RecordingAuditLog:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    async def record(self, session: AsyncSession, principal: Any, action: str, target: str,
                     before: dict | None, after: dict | None, remote: str | None) -> None:
        assert session.in_transaction(), "the log entry is written in the change's transaction"
        self.entries.append(AuditEntry(principal, action, target, before, after, remote))

    def actions(self) -> list[str]:
        return [e.action for e in self.entries]
