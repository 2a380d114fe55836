"""The operation log (表3 no.26) as booking and facility management need it.

The real log lives in ``civic.staff`` (another engineer's module); the lead plugs it in. Staff
views call ``record`` inside the same transaction as the change, so a change is never committed
without its log entry.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession


class AuditLog(Protocol):
    async def record(self, session: AsyncSession, actor: Any, action: str, target: str,
                     before: dict[str, Any] | None, after: dict[str, Any] | None,
                     remote: str | None) -> object:
        """Who (``actor``: the staff member), what (``action`` like ``booking.cancel`` on
        ``target`` like ``reservation:42``), the state before and after (JSON-able dicts), from where."""
        ...
