"""How long personal data is kept, per kind, enforced by one daily job (issue #18; 国富町 仕様書
§9(4)(キ), 機能要件 26: the operation log at least 24 months).

=====================  ==========================  =================================================
setting                default                     what happens when it has passed
=====================  ==========================  =================================================
TALK_LOG_KEEP_MONTHS   13 (a year, month to month)  talk log, FAQ question history and sent answers
                                                   (``talk_entry``, ``faq_answer``,
                                                   ``faq_unanswered``, ``outbound_message`` sent or
                                                   failed) are deleted
INBOX_KEEP_DAYS        30                          finished webhook events are deleted
                                                   (``bot.inbox.retention``)
REPORT_KEEP_MONTHS     36                          closed reports (完了・対応不可・重複) are
                                                   anonymised: description, reporter and photos go,
                                                   category, place and status stay for statistics
HANDOVER_KEEP_MONTHS   13                          closed hand-over chats: messages deleted, the
                                                   citizen's id taken out (the row stays for the
                                                   figures; ``civic.handover.retention``)
OPERATION_LOG_KEEP_    36 (at least 24)            operation-log entries are deleted
MONTHS
=====================  ==========================  =================================================

Months are whole calendar months in Japan time (``civic.staff.tasks.months_before``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from bot.inbox.retention import purge_inbox
from bot.outbox.models import PENDING, OutboundMessage
from civic.citizens.erasure import ERASED
from civic.clock import Clock
from civic.database import Database
from civic.faq.models import FaqAnswer, UnansweredQuestion
from civic.handover.retention import purge_closed_handovers
from civic.reports.models import DONE, DUPLICATE, REJECTED, Report, ReportPhoto, ReportStatusChange
from civic.rows import table_of
from civic.staff.audit import MIN_RETENTION_MONTHS
from civic.staff.tasks import months_before, purge_operation_log
from civic.talklog.models import TalkEntry

log = logging.getLogger(__name__)

#: Deleted per statement, so no write lock is held long.
CHUNK = 1000


@dataclass(frozen=True)
class Retention:
    talk_log_months: int = 13
    inbox_days: int = 30
    report_months: int = 36
    handover_months: int = 13
    operation_log_months: int = 36

    def __post_init__(self) -> None:
        if self.operation_log_months < MIN_RETENTION_MONTHS:
            raise ValueError(f"the operation log is kept at least {MIN_RETENTION_MONTHS} months")


#: Hand-over chats, when they exist: ``purge(db, cutoff) -> rows`` registered here by their feature.
HANDOVER_PURGERS: list[Callable[[Database, datetime], Awaitable[int]]] = [purge_closed_handovers]


@dataclass
class Purged:
    rows: dict[str, int] = field(default_factory=dict)


async def _delete_before(db: Database, table: sa.Table, column: sa.Column, cutoff: datetime,
                         *extra: sa.ColumnElement[bool]) -> int:
    """Delete in chunks by primary key: each statement is short."""
    key = next(iter(table.primary_key.columns))
    total = 0
    while True:
        async with db.write() as s:
            conn = await s.connection()
            ids = list((await conn.execute(
                sa.select(key).where(column < cutoff, *extra).order_by(key).limit(CHUNK))).scalars())
            if ids:
                await conn.execute(sa.delete(table).where(key.in_(ids)))
        total += len(ids)
        if len(ids) < CHUNK:
            return total


async def purge_talk_log(db: Database, cutoff: datetime) -> dict[str, int]:
    talk, answers, unanswered, outbox = (table_of(TalkEntry), table_of(FaqAnswer), table_of(UnansweredQuestion),
                                         table_of(OutboundMessage))
    return {
        "talk_entry": await _delete_before(db, talk, talk.c.at, cutoff),
        "faq_answer": await _delete_before(db, answers, answers.c.at, cutoff),
        "faq_unanswered": await _delete_before(db, unanswered, unanswered.c.at, cutoff),
        "outbound_message": await _delete_before(db, outbox, outbox.c.created_at, cutoff, outbox.c.status != PENDING),
    }


async def anonymise_closed_reports(db: Database, cutoff: datetime, now: datetime) -> int:
    """Closed reports last changed before ``cutoff`` lose what identifies the reporter."""
    report, photo, change = table_of(Report), table_of(ReportPhoto), table_of(ReportStatusChange)
    async with db.write() as s:
        conn = await s.connection()
        ids = [row.id for row in (await conn.execute(sa.select(report.c.id, report.c.description).where(
            report.c.status.in_((DONE, REJECTED, DUPLICATE)), report.c.updated_at < cutoff))).all()
            if row.description != ERASED]  # encrypted: compared once decrypted
        for start in range(0, len(ids), CHUNK):
            part = ids[start:start + CHUNK]
            await conn.execute(sa.delete(photo).where(photo.c.report_id.in_(part)))
            await conn.execute(sa.update(change).where(change.c.report_id.in_(part)).values(note=""))
            await conn.execute(sa.update(report).where(report.c.id.in_(part)).values(
                description=ERASED, reporter=None, citizen_id=None, has_photo=False, updated_at=now))
    return len(ids)


async def enforce_retention(db: Database, inbox: Database, clock: Clock, retention: Retention) -> Purged:
    """The daily job: every kind of data past its period, each in short transactions of its own."""
    now = clock.now()
    purged = Purged()
    purged.rows.update(await purge_talk_log(db, months_before(now, retention.talk_log_months)))
    purged.rows["webhook_event"] = (await purge_inbox(db, inbox, clock, keep_days=retention.inbox_days)).events
    purged.rows["report"] = await anonymise_closed_reports(db, months_before(now, retention.report_months), now)
    handover_cutoff = months_before(now, retention.handover_months)
    purged.rows["handover"] = sum([await purge(db, handover_cutoff) for purge in HANDOVER_PURGERS])
    purged.rows["operation_log"] = await purge_operation_log(db, clock, keep_months=retention.operation_log_months)
    if any(purged.rows.values()):
        log.info("retention: %s", ", ".join(f"{k} {v}" for k, v in purged.rows.items() if v))
    return purged
