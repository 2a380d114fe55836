"""Drafts with an idle time-out, and access counts, on the database (SQLite or PostgreSQL).

A draft (the answers and the household's names, birth dates and addresses, 小郡市 §8(6)) is sealed
with a key derived from its token, which only the citizen's browser holds (the database keeps the
token's hash). Once the draft is erased — QR code issued, discarded or idle — what is left of it in
SQLite's WAL, in free pages, in PostgreSQL's dead rows or in a backup cannot be read, not even with
the data key: the erasure holds without relying on the storage engine to forget.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.clock import Clock, tokyo
from civic.database import Database
from civic.procedures.models import ProcedureAccess, ProcedureDraft
from civic.procedures.tree import CHANNELS
from civic.rows import table_of

DEFAULT_IDLE = timedelta(minutes=15)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_SEALED = "d1."


def _aead(token: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"madoguchi procedure draft").derive(
        token.encode("utf-8"))
    return AESGCM(key)


def _seal(token: str, data: dict[str, Any]) -> str:
    nonce = os.urandom(12)
    sealed = _aead(token).encrypt(nonce, json.dumps(data, ensure_ascii=False).encode("utf-8"), _hash(token).encode())
    return _SEALED + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def _unseal(token: str, text: str) -> dict[str, Any]:
    if not text.startswith(_SEALED):
        return dict(json.loads(text))  # a draft from before sealing (at most ``idle`` old)
    raw = base64.urlsafe_b64decode(text[len(_SEALED):])
    return dict(json.loads(_aead(token).decrypt(raw[:12], raw[12:], _hash(token).encode())))


@dataclass(frozen=True)
class Draft:
    event: str
    channel: str
    answers: dict[str, str]
    household: dict[str, Any] | None
    expires_at: datetime


class DraftStore:
    """Entries in progress: readable only with the token, gone after ``idle`` without activity."""

    def __init__(self, db: Database, clock: Clock, idle: timedelta = DEFAULT_IDLE) -> None:
        self.db, self.clock, self.idle = db, clock, idle

    @staticmethod
    def _draft(row: ProcedureDraft, token: str) -> Draft:
        data = _unseal(token, row.data)
        return Draft(row.event_code, row.channel, dict(data.get("answers") or {}), data.get("household"),
                     row.expires_at)

    async def create(self, event: str, channel: str) -> str:
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        async with self.db.write() as s:
            s.add(ProcedureDraft(token_hash=_hash(token), event_code=event, channel=channel,
                                 data=_seal(token, {"answers": {}, "household": None}), created_at=now,
                                 expires_at=now + self.idle))
        return token

    async def load(self, token: str) -> Draft | None:
        """The draft, its idle time restarted; None (and wiped) when it has expired."""
        now = self.clock.now()
        async with self.db.write() as s:
            row = await s.get(ProcedureDraft, _hash(token))
            if row is None:
                return None
            if row.expires_at <= now:
                await s.delete(row)
                return None
            row.expires_at = now + self.idle
            s.add(row)
            return self._draft(row, token)

    async def save(self, token: str, *, answers: dict[str, str] | None = None,
                   household: dict[str, Any] | None = None) -> Draft | None:
        now = self.clock.now()
        async with self.db.write() as s:
            row = await s.get(ProcedureDraft, _hash(token))
            if row is None or row.expires_at <= now:
                if row is not None:
                    await s.delete(row)
                return None
            data = _unseal(token, row.data)
            if answers is not None:
                data["answers"] = answers
            if household is not None:
                data["household"] = household
            row.data = _seal(token, data)
            row.expires_at = now + self.idle
            s.add(row)
            return self._draft(row, token)

    async def take(self, token: str) -> Draft | None:
        """Read and delete in one transaction: after the QR code is issued the server keeps nothing."""
        now = self.clock.now()
        async with self.db.write() as s:
            row = await s.get(ProcedureDraft, _hash(token))
            if row is None:
                return None
            draft = self._draft(row, token)
            await s.delete(row)
            return draft if row.expires_at > now else None

    async def discard(self, token: str) -> None:
        async with self.db.write() as s:
            await s.exec(delete(ProcedureDraft).where(col(ProcedureDraft.token_hash) == _hash(token)))

    async def wipe_idle(self) -> int:
        """Delete every draft idle past its time; returns how many (run it every minute)."""
        async with self.db.write() as s:
            result = await s.exec(delete(ProcedureDraft).where(col(ProcedureDraft.expires_at) <= self.clock.now()))
            return result.rowcount or 0

    async def count(self) -> int:
        async with self.db.read() as s:
            return (await s.exec(select(sa.func.count()).select_from(ProcedureDraft))).one()


# ---- access counts (§8(6) z) ---------------------------------------------------------------------

@dataclass(frozen=True)
class AccessCount:
    event: str
    channel: str
    count: int


async def record_access(db: Database, clock: Clock, event: str, channel: str) -> None:
    """Count one navigation started (the web page; a dialogue turn uses ``record_access_in``)."""
    async with db.write() as s:
        await record_access_in(s, tokyo(clock.now()).date(), event, channel)


async def record_access_in(session: AsyncSession, day: date, event: str, channel: str) -> None:
    """``record_access`` inside the caller's transaction: the LINE dialogue's turn already holds the
    database's write lock, so it counts with its own session (``channel="line"``)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; expected one of {CHANNELS}")
    is_sqlite = (await session.connection()).dialect.name == "sqlite"
    insert = sqlite.insert if is_sqlite else postgresql.insert
    table = table_of(ProcedureAccess)
    stmt = insert(table).values(day=day, event_code=event, channel=channel, count=1)
    stmt = stmt.on_conflict_do_update(index_elements=["day", "event_code", "channel"],
                                      set_={"count": table.c.count + 1})
    await session.exec(stmt)


async def access_counts(db: Database, *, since: date | None = None, until: date | None = None
                        ) -> list[AccessCount]:
    """Totals per life event and channel over [since, until] (Tokyo dates, both inclusive)."""
    total = sa.func.sum(ProcedureAccess.count)
    query = select(ProcedureAccess.event_code, ProcedureAccess.channel, total).group_by(
        ProcedureAccess.event_code, ProcedureAccess.channel).order_by(ProcedureAccess.event_code, ProcedureAccess.channel)
    if since is not None:
        query = query.where(col(ProcedureAccess.day) >= since)
    if until is not None:
        query = query.where(col(ProcedureAccess.day) <= until)
    async with db.read() as s:
        rows = (await s.exec(query)).all()
    return [AccessCount(e, c, int(n)) for e, c, n in rows]
