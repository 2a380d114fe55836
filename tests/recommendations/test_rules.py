"""おすすめ rules on SQLite and PostgreSQL: who matches by attribute and date, periods, checks, dates shown."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from civic.clock import FrozenClock
from civic.database import Database
from civic.recommendations import services
from civic.recommendations.demo import seed_recommendations
from civic.segments.errors import SegmentProblem
from tests.attributes.support import NOW
from tests.recommendations.support import MIDORI, TODAY, build

KENSHIN_18 = "1歳6か月児健康診査のご案内"
TEATE = "児童手当 現況届の提出"
KAIGO = "介護予防教室「いきいき体操」"


async def _titles(db: Database, citizen: int, today: date = TODAY) -> list[str]:
    async with db.read() as s:
        return [m.rule.title for m in await services.for_citizen(s, citizen, today)]


async def test_rules_match_by_child_age_and_birth_date(db: Database) -> None:
    people = await build(db)
    assert await _titles(db, people["toddler"]) == [KENSHIN_18, TEATE]
    assert await _titles(db, people["senior"]) == [TEATE, KAIGO]
    assert await _titles(db, people["bare"]) == []
    async with db.read() as s:
        (kenshin, teate) = await services.for_citizen(s, people["toddler"], TODAY)
    assert kenshin.dates == (date(2026, 11, 10),)  # the day the child turned 1 year 6 months
    assert teate.dates == ()  # no date label: no date shown
    # Eight months on the toddler is past 1y6m (2y2m) and not yet 3 years.
    assert await _titles(db, people["toddler"], date(2027, 7, 21)) == [TEATE]
    # The senior's child turns 3 on 2027-01-10.
    assert (await _titles(db, people["senior"], date(2027, 1, 10)))[:1] == ["3歳児健康診査のご案内"]


async def test_counts_periods_and_inactive_rules(db: Database) -> None:
    people = await build(db)
    async with db.write() as s:
        rows = await services.list_rules(s)
        assert [r.position for r in rows] == [0, 1, 2, 3]
        assert list((await services.counts(s, rows, TODAY)).values()) == [1, 0, 2, 1]
        teate = rows[2]
        await services.update_rule(s, NOW, teate.id, starts_on=date(2027, 6, 1), ends_on=date(2027, 6, 30))
        await services.update_rule(s, NOW, rows[3].id, active=False)
    assert await _titles(db, people["senior"]) == []
    assert TEATE in await _titles(db, people["senior"], date(2027, 6, 1))  # in its period
    assert TEATE not in await _titles(db, people["senior"], date(2027, 7, 1))


async def test_saving_checks_the_condition_and_period(db: Database) -> None:
    await build(db)
    cases = [({"type": "choice", "attribute": "nowhere", "values": ["x"]}, {}, "unknown_attribute"),
             ({"type": "age", "attribute": "area", "min": 3}, {}, "kind_mismatch"),
             ({"type": "all"}, {"starts_on": date(2027, 1, 2), "ends_on": date(2027, 1, 1)}, "invalid_period")]
    for data, extra, code in cases:
        with pytest.raises(SegmentProblem) as info:
            async with db.write() as s:
                await services.create_rule(s, NOW, filter_data=data, title="x", **extra)
        assert info.value.code == code
    async with db.write() as s:
        with pytest.raises(SegmentProblem):
            await services.get_rule(s, 9999)
        row = await services.create_rule(s, NOW, filter_data={"type": "choice", "attribute": "area",
                                                              "values": ["honmachi"]}, title="本町の方へ")
        await services.delete_rule(s, row.id)
    # Seeding again adds nothing: staff edits stay.
    assert await seed_recommendations(db, FrozenClock(NOW + timedelta(days=1)), MIDORI) == 0


def test_the_day_an_age_is_reached() -> None:
    assert services.reached(date(2025, 5, 10), "months", 18) == date(2026, 11, 10)
    assert services.reached(date(2025, 8, 31), "months", 18) == date(2027, 3, 1)  # no 31 February
    assert services.reached(date(2024, 2, 29), "years", 1) == date(2025, 3, 1)
    assert services.reached(date(2024, 2, 29), "years", 4) == date(2028, 2, 29)
    assert services.reached(date(2026, 1, 1), "days", 10) == date(2026, 1, 11)
