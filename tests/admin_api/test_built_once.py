"""The service builds one ``BookingService`` (the LIFF page, the chat and the staff API share its catalogue
cache and notifier) and one ``Auditor`` (the staff API and the counter's LIFF page write through it)."""

from __future__ import annotations

from typing import Any

from civic.booking.services import BookingService
from civic.database import Database
from civic.staff.audit import Auditor


async def test_one_booking_service_and_one_auditor(sqlite_db: Database, knowledge: Any, monkeypatch: Any) -> None:
    from bot.service import build_service
    from tests.bot.helpers import make_settings

    built: list[type] = []
    for cls in (BookingService, Auditor):
        original = cls.__init__

        def counting(self: Any, *args: Any, _original: Any = original, _cls: type = cls, **kw: Any) -> None:
            built.append(_cls)
            _original(self, *args, **kw)

        monkeypatch.setattr(cls, "__init__", counting)
    app = build_service(make_settings(sqlite_db.url), knowledge=knowledge)
    assert app is not None
    assert built.count(BookingService) == 1 and built.count(Auditor) == 1, built
