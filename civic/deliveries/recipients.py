"""Who a run goes to, fixed when the run starts: everyone, a segment, a reminder's day, test accounts."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.deliveries import schedule
from civic.deliveries.models import SEGMENT, TEST_ACCOUNTS, Delivery, DeliveryRun
from civic.deliveries.services import rule_of
from civic.segments import compiler
from civic.segments import services as segments
from civic.segments.compiler import PRODUCTION, TEST
from civic.segments.filters import AllOf, AnyOf, DateBetween, Everyone, Filter

NOBODY = "nobody"


async def filter_for(s: AsyncSession, delivery: Delivery, run: DeliveryRun | None, day: date) -> tuple[Filter, str]:
    """The filter and audience of a run on ``day`` (a Tokyo date). Test sends reach every test
    account and nobody else, whatever the delivery's target (国富町 §9(2)(ア)⑧)."""
    if (run is not None and run.is_test) or delivery.target == TEST_ACCOUNTS:
        return Everyone(), TEST
    node: Filter = Everyone()
    if delivery.target == SEGMENT and delivery.segment_id is not None:
        node = await segments.segment_filter(s, delivery.segment_id)
    rule = rule_of(delivery)
    if isinstance(rule, schedule.Reminder):
        on_day: list[Filter] = [DateBetween(attribute=rule.attribute, **{"from": d}, to=d) for d in rule.dates_for(day)]
        if not on_day:
            return Everyone(), NOBODY
        reminder = on_day[0] if len(on_day) == 1 else AnyOf(items=on_day)
        node = reminder if isinstance(node, Everyone) else AllOf(items=[node, reminder])
    return node, PRODUCTION


async def resolve(s: AsyncSession, delivery: Delivery, run: DeliveryRun, day: date) -> list[str]:
    node, audience = await filter_for(s, delivery, run, day)
    if audience == NOBODY:
        return []
    return await segments.member_user_ids(s, node, day, audience=audience)


async def where(s: AsyncSession, delivery: Delivery, run: DeliveryRun, day: date) -> ColumnElement[bool] | None:
    """The run's recipients as a condition on ``citizen`` (None: nobody), for planning a run in SQL
    without turning each recipient into Python (a city's two million friends, issue #19)."""
    node, audience = await filter_for(s, delivery, run, day)
    if audience == NOBODY:
        return None
    ctx = await segments.context(s, day)
    return sa.and_(compiler.population(audience), compiler.condition(node, ctx))


async def estimate(s: AsyncSession, delivery: Delivery, day: date) -> int:
    """How many a production run on ``day`` would reach (shown before sending)."""
    node, audience = await filter_for(s, delivery, None, day)
    if audience == NOBODY:
        return 0
    return await segments.count(s, node, day, audience=audience)
