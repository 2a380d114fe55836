from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from admin_api.auth import Principal
from civic.clock import FrozenClock
from civic.procedures.kana import SudachiKanaReader
from civic.procedures.loader import load_content
from civic.procedures.payload import QrKeyring
from civic.procedures.tree import Content
from civic.staff.audit import Auditor
from liff.procedures import LineUser, create_procedures_app

CONTENT_DIR = Path(__file__).resolve().parents[3] / "content" / "midori" / "procedures"
QR_KEY = bytes(range(32))


class StaffTokens:
    async def authenticate(self, token: str, *, remote: str | None) -> Principal | None:
        return {
            "counter": Principal(1, "madoguchi", "窓口 職員", frozenset({"procedures.counter"})),
            "other": Principal(2, "other", "他課 職員", frozenset({"bookings.manage"})),
        }.get(token)


class LineTokens:
    async def verify(self, id_token: str) -> LineUser | None:
        return LineUser("U0123456789abcdef0123456789abcdef", "山田") if id_token == "good-id-token" else None


@dataclass
class Talk:
    sent: list[tuple[str, str]] = field(default_factory=list)

    async def send_result(self, line_user_id: str, text: str) -> None:
        self.sent.append((line_user_id, text))


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content(CONTENT_DIR)


@pytest.fixture(scope="session")
def kana_reader() -> SudachiKanaReader:
    return SudachiKanaReader()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))


@pytest.fixture
def talk() -> Talk:
    return Talk()


@pytest.fixture
def procedures_app(sqlite_db, clock, content, kana_reader, talk):
    return create_procedures_app(db=sqlite_db, clock=clock, content=content, qr_keys=QrKeyring(QR_KEY),
                                 authenticator=StaffTokens(), kana_reader=kana_reader,
                                 id_token_verifier=LineTokens(), result_notifier=talk)


@pytest.fixture
def audited_procedures_app(db, clock, content, kana_reader, talk):
    """On SQLite and PostgreSQL, with the operation log wired the way the service wires it."""
    return create_procedures_app(db=db, clock=clock, content=content, qr_keys=QrKeyring(QR_KEY),
                                 authenticator=StaffTokens(), auditor=Auditor(db, clock), kana_reader=kana_reader,
                                 id_token_verifier=LineTokens(), result_notifier=talk)
