"""The daily retention job (``bot.retention``): each kind of personal data past its period goes,
everything younger stays; the operation log is never kept less than 24 months. Frozen clock;
SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from bot.appkeys import SCHEDULE
from bot.dialogue_wiring import build_knowledge
from bot.inbox.models import webhook_event
from bot.retention import HANDOVER_PURGERS, Retention, enforce_retention
from bot.service import build_service
from bot.settings import Settings, SettingsError
from civic.citizens.erasure import ERASED
from civic.clock import FrozenClock
from civic.database import Database
from civic.reports.models import Report
from tests.bot.helpers import make_settings
from tests.citizens.seed import NOW, insert
from tests.citizens.test_erasure import count


def _settings(**env: str) -> Settings:
    return Settings.from_env({"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t",
                              "DATA_ENCRYPTION_KEY": "0" * 64, **env})


async def _seed_at(db: Database, inbox: Database, age: timedelta, tag: str) -> None:
    at = NOW - age
    async with db.write() as s:
        conn = await s.connection()
        await insert(conn, "talk_entry", channel_user_id="U1", direction="in", kind="text", text=tag, at=at)
        await insert(conn, "faq_answer", entry_id="e", question=tag, channel="line", asker="U1", at=at)
        await insert(conn, "faq_unanswered", question=tag, channel="line", status="open", at=at)
        for status in ("sent", "pending"):
            await insert(conn, "outbound_message", channel="line", to="U1", retry_key=f"{tag}{status}", status=status,
                         messages="[]", created_at=at)
        for status in ("done", "in_progress"):
            report = await insert(conn, "report", receipt_no=f"{tag}{status}", category="road", description=tag,
                                  channel="line", reporter="U1", has_photo=True, status=status, created_at=at,
                                  updated_at=at)
            await insert(conn, "report_photo", report_id=report, owner="U1", content_type="image/jpeg", data="p",
                         created_at=at)
        await insert(conn, "operation_log", staff_login="admin", action=tag, target_type="x", at=at)
    async with inbox.write() as s:
        result = await (await s.connection()).execute(sa.insert(webhook_event).values(
            webhook_event_id=tag, channel="production", user_key="U1", event_type="message",
            payload=json.dumps({"text": tag}), received_at=at))
        event_id = result.inserted_primary_key[0]
    async with db.write() as s:
        await insert(await s.connection(), "inbox_outcome", event_id=event_id, status="done", done_at=at)


async def test_each_kind_goes_after_its_own_period(db: Database, inbox: Database) -> None:
    clock = FrozenClock(NOW)
    await _seed_at(db, inbox, timedelta(days=10), "fresh")       # younger than every period
    await _seed_at(db, inbox, timedelta(days=120), "months")     # past the inbox's 30 days only
    await _seed_at(db, inbox, timedelta(days=500), "year")       # past talk log's 13 months too
    await _seed_at(db, inbox, timedelta(days=1200), "old")       # past reports' and the log's 36 months
    handed: list[object] = []

    async def handover(_db: Database, cutoff: object) -> int:
        handed.append(cutoff)
        return 0

    HANDOVER_PURGERS.append(handover)
    try:
        purged = await enforce_retention(db, inbox, clock, Retention())
    finally:
        HANDOVER_PURGERS.remove(handover)

    assert purged.rows["talk_entry"] == 2 and purged.rows["faq_answer"] == 2 and purged.rows["faq_unanswered"] == 2
    assert purged.rows["outbound_message"] == 2  # sent ones; answers still waiting are never dropped
    assert purged.rows["webhook_event"] == 3
    assert purged.rows["report"] == 1 and purged.rows["operation_log"] == 1
    assert len(handed) == 1  # the hand-over hook ran with its own cutoff
    assert await count(db, "talk_entry") == 2
    assert await count(db, "outbound_message", status="pending") == 4
    assert await count(db, "outbound_message") == 6
    assert await count(db, "operation_log") == 3
    # the old closed report stays for statistics, without the reporter's words, id or photo
    assert await count(db, "report") == 8
    async with db.read() as s:
        reports = {r.receipt_no: r for r in (await (await s.connection()).execute(sa.text("SELECT * FROM report")))}
        texts = {r.receipt_no: r.description for r in (await s.exec(select(Report))).all()}
    assert (reports["olddone"].reporter, reports["olddone"].has_photo, texts["olddone"]) == (None, False, ERASED)
    assert (reports["oldin_progress"].reporter, texts["oldin_progress"]) == ("U1", "old")  # open: kept whole
    assert texts["yeardone"] == "year"
    assert await count(db, "report_photo") == 7
    async with inbox.read() as s:
        left = set((await (await s.connection()).execute(sa.select(webhook_event.c.webhook_event_id))).scalars())
    assert left == {"fresh"}

    again = await enforce_retention(db, inbox, clock, Retention())  # idempotent
    assert not any(again.rows.values())

    clock.advance(timedelta(days=120))  # shorter periods from the settings
    purged = await enforce_retention(db, inbox, clock, _settings(TALK_LOG_KEEP_MONTHS="1").retention)
    assert purged.rows["talk_entry"] == 2  # "fresh" (130 days) and "months" both pass one month
    assert await count(db, "talk_entry") == 0


def test_retention_settings_have_documented_defaults_and_a_floor_for_the_operation_log() -> None:
    assert _settings().retention == Retention(13, 30, 36, 13, 36)
    with pytest.raises(SettingsError, match="OPERATION_LOG_KEEP_MONTHS"):
        _settings(OPERATION_LOG_KEEP_MONTHS="12")
    with pytest.raises(ValueError):
        Retention(operation_log_months=23)


async def test_the_service_runs_it_daily_with_its_settings(sqlite_db: Database) -> None:
    settings = make_settings(sqlite_db.url, retention=Retention(talk_log_months=2))
    app = build_service(settings, knowledge=build_knowledge(settings), clock=FrozenClock(NOW))
    seconds, job = app[SCHEDULE].jobs["retention"]
    assert seconds == 24 * 3600
    async with sqlite_db.write() as s:
        for days in (40, 70):  # one month and a bit, two months and a bit
            await insert(await s.connection(), "talk_entry", channel_user_id="U1", direction="in", kind="text",
                         text=f"{days}", at=NOW - timedelta(days=days))
    await job()
    async with sqlite_db.read() as s:
        left = list((await (await s.connection()).execute(sa.text("SELECT count(*) FROM talk_entry"))).scalars())
    assert left == [1]


async def test_closed_hand_overs_lose_their_messages_and_citizen_after_their_period(db: Database, inbox: Database) -> None:
    from civic.handover.models import CLOSED, OPEN, Handover, HandoverMessage

    async with db.write() as s:
        for days, status in ((500, CLOSED), (500, OPEN), (30, CLOSED)):
            at = NOW - timedelta(days=days)
            row = Handover(channel_user_id="U" + "a" * 32, status=status, waiting_since=at,
                           closed_at=at if status == CLOSED else None)
            s.add(row)
            await s.flush()
            assert row.id is not None
            s.add(HandoverMessage(handover_id=row.id, author="citizen", text="山田です。相談があります", image="aGVsbG8=", at=at))
    purged = await enforce_retention(db, inbox, FrozenClock(NOW), Retention())
    assert purged.rows["handover"] == 1  # the old closed one; the old open one is still being answered
    async with db.read() as s:
        left = (await s.exec(select(Handover.status, Handover.channel_user_id))).all()
        messages = (await s.exec(select(HandoverMessage.handover_id))).all()
    # the row stays for the figures (wait, rating), without its citizen or what was written
    assert sorted(who for _, who in left) == ["-", "U" + "a" * 32, "U" + "a" * 32] and len(messages) == 2
