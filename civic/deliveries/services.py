"""Writing, scheduling, approving, cancelling and test-sending deliveries; turning rules into runs.

Every method takes the caller's session (and the time), so the admin API records the operation
log in the same transaction as the change.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.attributes import services as attributes
from civic.attributes.models import DATE
from civic.database import Database
from civic.deliveries import content, schedule
from civic.deliveries.errors import DeliveryProblem
from civic.deliveries.models import (
    AT,
    D_ACTIVE,
    D_APPROVAL,
    D_CANCELLED,
    D_DRAFT,
    D_FINISHED,
    D_SCHEDULED,
    DRAFT,
    EVERYONE,
    NOW,
    R_CANCELLED,
    R_DUE,
    R_SKIPPED,
    RECURRING,
    REMINDER,
    ROUTINE,
    SEGMENT,
    TEST_ACCOUNTS,
    TIMINGS,
    URGENT,
    Delivery,
    DeliveryRun,
)
from civic.rows import pk, table_of
from civic.segments.models import Segment

RUN = table_of(DeliveryRun)
DELIVERY = table_of(Delivery)
MAX_AHEAD = timedelta(days=366 * 2)
EDITABLE = (D_DRAFT, D_APPROVAL, D_SCHEDULED, D_ACTIVE)


@dataclass(frozen=True)
class DeliveryConfig:
    #: LINE channel (account) names: the town's account, and the one test sends go through.
    production_channel: str = "production"
    test_channel: str = "test"
    #: Allow http:// image URLs (the local emulator and demo); LINE itself needs https.
    allow_http: bool = False
    #: A recurring occurrence missed by more than this (the service was down) is recorded as skipped.
    catch_up: timedelta = timedelta(hours=6)
    max_ahead: timedelta = field(default=MAX_AHEAD)


def _problem(code: str, message: str, field_name: str | None = None, kind: str = "invalid") -> DeliveryProblem:
    return DeliveryProblem(kind, code, message, field_name)


def parse_rule(timing: str, rule: Any) -> schedule.Rule | None:
    if timing not in (RECURRING, REMINDER):
        return None
    if rule is None:
        raise _problem("rule_required", "繰り返し・リマインドには配信ルール（rule）が必要です。", "rule")
    model = schedule.Recurrence if timing == RECURRING else schedule.Reminder
    try:
        return model.model_validate(rule if isinstance(rule, dict) else json.loads(rule))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        ctx = first.get("ctx") or {}
        message = str(ctx["error"]) if "error" in ctx else first.get("msg", "")
        raise _problem("invalid_rule", f"配信ルールが正しくありません（{where or 'rule'}: {message}）。",
                       f"rule.{where}" if where else "rule") from None


def rule_of(delivery: Delivery) -> schedule.Rule | None:
    return parse_rule(delivery.timing, delivery.rule) if delivery.rule else None


@dataclass
class DeliveryInput:
    title: str
    messages: list[dict[str, Any]]
    target: str = EVERYONE
    segment_id: int | None = None
    timing: str = NOW
    send_at: datetime | None = None
    rule: dict[str, Any] | None = None
    #: 緊急配信: before every other delivery (issue #22).
    urgent: bool = False


class DeliveryDesk:
    def __init__(self, config: DeliveryConfig | None = None) -> None:
        self.config = config or DeliveryConfig()

    # ---- checking -------------------------------------------------------------------------
    async def check(self, s: AsyncSession, now: datetime, data: DeliveryInput) -> tuple[list[dict[str, Any]],
                                                                                       schedule.Rule | None]:
        if not data.title.strip() or len(data.title) > 100:
            raise _problem("title", "タイトルは1〜100文字で入力してください。", "title")
        messages = content.check_messages(data.messages, allow_http=self.config.allow_http)
        if data.target not in (EVERYONE, SEGMENT, TEST_ACCOUNTS):
            raise _problem("target", "配信先（target）は all / segment / test のいずれかにしてください。", "target")
        if data.target == SEGMENT:
            if data.segment_id is None or await s.get(Segment, data.segment_id) is None:
                raise _problem("segment", f"セグメント（ID {data.segment_id}）がありません。", "segment_id")
        elif data.segment_id is not None:
            raise _problem("segment", "セグメントを指定するときは target を segment にしてください。", "segment_id")
        if data.timing not in TIMINGS:
            raise _problem("timing", f"配信タイミング（timing）は {', '.join(TIMINGS)} のいずれかにしてください。",
                           "timing")
        if data.timing == AT:
            if data.send_at is None:
                raise _problem("send_at", "予約配信には配信日時（send_at）が必要です。", "send_at")
            if data.send_at.tzinfo is None:
                raise _problem("send_at", "配信日時にはタイムゾーン（例 +09:00）を付けてください。", "send_at")
            if data.send_at < now - timedelta(minutes=1):
                raise _problem("send_at_past", "配信日時が過去になっています。", "send_at")
            if data.send_at > now + self.config.max_ahead:
                raise _problem("send_at_far", "配信日時は2年以内にしてください。", "send_at")
        rule = parse_rule(data.timing, data.rule)
        if isinstance(rule, schedule.Reminder):
            spec = (await attributes.definitions_by_key(s)).get(rule.attribute)
            if spec is None or spec.kind != DATE:
                raise _problem("reminder_attribute", f"リマインドの基準には日付の属性を指定してください"
                               f"（「{rule.attribute}」は{'ありません' if spec is None else '日付ではありません'}）。",
                               "rule.attribute")
        if rule is not None and schedule.next_after(rule, now) is None:
            raise _problem("rule_never", "この配信ルールでは今後一度も配信されません。", "rule")
        return messages, rule

    # ---- writing --------------------------------------------------------------------------
    async def create(self, s: AsyncSession, now: datetime, data: DeliveryInput, *, by: str = "",
                     source: str = "api", source_ref: str | None = None, needs_approval: bool = False) -> Delivery:
        messages, rule = await self.check(s, now, data)
        row = Delivery(title=data.title.strip(), messages=json.dumps(messages, ensure_ascii=False),
                       target=data.target, segment_id=data.segment_id, timing=data.timing,
                       send_at=data.send_at if data.timing == AT else None,
                       rule=rule.model_dump_json() if rule is not None else None,
                       status=D_DRAFT, source=source, source_ref=source_ref, created_by=by[:64],
                       urgent=data.urgent, created_at=now, updated_at=now)
        s.add(row)
        await s.flush()
        if needs_approval and data.timing != DRAFT:
            row.status = D_APPROVAL
        else:
            await self._activate(s, now, row, rule)
        await s.flush()
        return row

    async def _activate(self, s: AsyncSession, now: datetime, row: Delivery, rule: schedule.Rule | None) -> None:
        if row.timing == DRAFT:
            row.status = D_DRAFT
        elif row.timing in (NOW, AT):
            due = now if row.timing == NOW or row.send_at is None or row.send_at < now else row.send_at
            row.status = D_SCHEDULED
            await self._add_run(s, now, row, due)
        else:
            assert rule is not None
            row.next_due_at = schedule.next_after(rule, now - timedelta(seconds=1))
            row.status = D_ACTIVE if row.next_due_at is not None else D_FINISHED
        row.updated_at = now
        s.add(row)

    def channel_for(self, row: Delivery, is_test: bool) -> str:
        return self.config.test_channel if is_test or row.target == TEST_ACCOUNTS else self.config.production_channel

    async def _add_run(self, s: AsyncSession, now: datetime, row: Delivery, due: datetime, *, is_test: bool = False,
                       status: str = R_DUE) -> DeliveryRun:
        run = DeliveryRun(delivery_id=pk(row), due_at=due, is_test=is_test, status=status,
                          priority=URGENT if row.urgent else ROUTINE,
                          channel=self.channel_for(row, is_test), key_seed=str(uuid.uuid4()), created_at=now)
        s.add(run)
        await s.flush()
        return run

    async def get(self, s: AsyncSession, delivery_id: int) -> Delivery:
        row = await s.get(Delivery, delivery_id)
        if row is None:
            raise _problem("not_found", f"配信（ID {delivery_id}）は見つかりません。", "delivery_id", "not_found")
        return row

    async def update(self, s: AsyncSession, now: datetime, delivery_id: int, data: DeliveryInput) -> Delivery:
        """Change a delivery that has not been sent yet (or a rule, for its future occurrences)."""
        row = await self.get(s, delivery_id)
        if row.status not in EDITABLE:
            raise _problem("not_editable", "送信済み・取り消し済みの配信は変更できません。", kind="conflict")
        sending = (await s.exec(select(DeliveryRun.id).where(DeliveryRun.delivery_id == delivery_id,
                                                             DeliveryRun.status == "sending"))).first()
        if sending is not None:
            raise _problem("sending", "送信中の配信は変更できません。", kind="conflict")
        messages, rule = await self.check(s, now, data)
        await s.exec(sa.update(RUN).where(RUN.c.delivery_id == delivery_id, RUN.c.status == R_DUE,
                                          RUN.c.is_test == sa.false()).values(status=R_CANCELLED))
        row.title, row.messages = data.title.strip(), json.dumps(messages, ensure_ascii=False)
        row.target, row.segment_id, row.timing = data.target, data.segment_id, data.timing
        row.urgent = data.urgent
        row.send_at = data.send_at if data.timing == AT else None
        row.rule = rule.model_dump_json() if rule is not None else None
        row.next_due_at = None
        if row.status != D_APPROVAL:
            await self._activate(s, now, row, rule)
        row.updated_at = now
        s.add(row)
        await s.flush()
        return row

    async def approve(self, s: AsyncSession, now: datetime, delivery_id: int, by: str) -> Delivery:
        row = await self.get(s, delivery_id)
        if row.status != D_APPROVAL:
            raise _problem("not_waiting", "この配信は承認待ちではありません。", kind="conflict")
        row.approved_by = by[:64]
        await self._activate(s, now, row, rule_of(row))
        await s.flush()
        return row

    async def cancel(self, s: AsyncSession, now: datetime, delivery_id: int) -> Delivery:
        """Stop a delivery: runs not started are cancelled; a run being sent stops after its current batches."""
        row = await self.get(s, delivery_id)
        if row.status in (D_CANCELLED, D_FINISHED) and row.timing not in (RECURRING, REMINDER):
            raise _problem("not_cancellable", "この配信はすでに終了しています。", kind="conflict")
        row.status, row.next_due_at, row.updated_at = D_CANCELLED, None, now
        s.add(row)
        await s.exec(sa.update(RUN).where(RUN.c.delivery_id == delivery_id, RUN.c.status == R_DUE)
                     .values(status=R_CANCELLED))
        await s.flush()
        return row

    async def send_test(self, s: AsyncSession, now: datetime, delivery_id: int) -> DeliveryRun:
        """Send to the test accounts only, now, through the test channel (§9(2)(ア)⑧)."""
        row = await self.get(s, delivery_id)
        if row.status == D_CANCELLED:
            raise _problem("cancelled", "取り消した配信はテスト送信できません。", kind="conflict")
        return await self._add_run(s, now, row, now, is_test=True)

    # ---- occurrences ----------------------------------------------------------------------
    async def materialize(self, db: Database, now: datetime, *, limit: int = 200) -> int:
        """Turn due occurrences of recurring deliveries and reminders into runs.

        Each delivery moves its ``next_due_at`` with a compare-and-set in the same transaction
        that inserts the run, so two service instances doing this at once create each run once."""
        async with db.read() as s:
            due = (await s.exec(select(Delivery.id, Delivery.next_due_at).where(
                Delivery.status == D_ACTIVE, col(Delivery.next_due_at).is_not(None),
                col(Delivery.next_due_at) <= now).order_by(col(Delivery.next_due_at)).limit(limit))).all()
        created = 0
        for delivery_id, seen in due:
            if seen is None:  # excluded by the query
                continue
            async with db.write() as s:
                row = await s.get(Delivery, delivery_id)
                if row is None or row.status != D_ACTIVE or row.next_due_at != seen:
                    continue
                rule = rule_of(row)
                assert rule is not None
                times = [seen, *schedule.occurrences(rule, seen, now, limit=50)]
                following = schedule.next_after(rule, times[-1])
                moved = await s.exec(sa.update(DELIVERY).where(
                    DELIVERY.c.id == delivery_id, DELIVERY.c.next_due_at == seen, DELIVERY.c.status == D_ACTIVE
                ).values(next_due_at=following, status=D_ACTIVE if following else D_FINISHED, updated_at=now))
                if moved.rowcount != 1:
                    continue
                for at in times:
                    late = now - at > self.config.catch_up
                    await self._add_run(s, now, row, at, status=R_SKIPPED if late else R_DUE)
                    created += 1
        return created

    async def next_wakeup(self, s: AsyncSession) -> datetime | None:
        """The earliest time something is due: for the scheduler's next precise wake-up."""
        run_at = (await s.exec(select(sa.func.min(RUN.c.due_at)).where(RUN.c.status == R_DUE))).one()
        rule_at = (await s.exec(select(sa.func.min(DELIVERY.c.next_due_at)).where(
            DELIVERY.c.status == D_ACTIVE))).one()
        found = [t for t in (run_at, rule_at) if t is not None]
        return min(found) if found else None
