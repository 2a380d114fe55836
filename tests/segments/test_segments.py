"""Saved segments: checks on save, counts and samples, who is never included, the rich-menu resolver."""

from __future__ import annotations

from datetime import date

import pytest

from civic.attributes import services as attributes
from civic.clock import FrozenClock
from civic.database import Database
from civic.segments import services as segments
from civic.segments.errors import SegmentProblem
from richmenus.segments import SegmentResolver
from tests.attributes.support import NOW, add_citizens, install_demo

TODAY = date(2026, 11, 21)
BABIES = {"type": "and", "items": [
    {"type": "choice", "attribute": "area", "values": ["honmachi", "teramachi"]},
    {"type": "age", "attribute": "children_birth_dates", "unit": "months", "min": 3, "max": 4}]}


async def _town(db: Database) -> dict[str, int]:
    await install_demo(db)
    ids = await add_citizens(db, 5)
    (test_id,) = await add_citizens(db, 1, prefix="T", test=True)
    (blocked,) = await add_citizens(db, 1, prefix="B", friend=False)
    people = dict(zip(["a", "b", "c", "d", "e"], ids, strict=True)) | {"test": test_id, "blocked": blocked}
    answers = {
        "a": {"area": "honmachi", "children_birth_dates": ["2026-07-21"]},  # 4 months today
        "b": {"area": "teramachi", "children_birth_dates": ["2026-07-22", "2020-01-01"]},  # 3 months (and 6 years)
        "c": {"area": "honmachi", "children_birth_dates": ["2026-07-20"]},  # 4 months and a day: 4
        "d": {"area": "ekimae", "children_birth_dates": ["2026-08-01"]},  # right age, other area
        "e": {"area": "honmachi", "children_birth_dates": ["2026-03-20"]},  # 8 months
        "test": {"area": "honmachi", "children_birth_dates": ["2026-08-01"]},
        "blocked": {"area": "honmachi", "children_birth_dates": ["2026-08-01"]},
    }
    async with db.write() as s:
        for who, values in answers.items():
            await attributes.set_values(s, NOW, people[who], values)
    return people


async def test_count_sample_and_audiences(db: Database) -> None:
    people = await _town(db)
    async with db.read() as s:
        node = await segments.checked(s, BABIES)
        assert await segments.member_ids(s, node, TODAY) == [people["a"], people["b"], people["c"]]
        assert await segments.count(s, node, TODAY) == 3
        assert [c.id for c in await segments.sample(s, node, TODAY, limit=2)] == [people["a"], people["b"]]
        # Test accounts are their own audience; blocked citizens are nobody's.
        assert await segments.member_ids(s, node, TODAY, audience="test") == [people["test"]]
        assert await segments.is_member(s, node, TODAY, people["blocked"]) is True
        assert await segments.is_member(s, node, TODAY, people["blocked"], audience="production") is False
        # A month on, a's and c's children have had their 5-month day; b's (born on the 22nd) not yet.
        assert await segments.member_ids(s, node, date(2026, 12, 21)) == [people["b"]]


async def test_saving_checks_attributes_kinds_and_choices(db: Database) -> None:
    await install_demo(db)
    cases = [
        ({"type": "choice", "attribute": "nowhere", "values": ["x"]}, "unknown_attribute", "filter.attribute"),
        ({"type": "choice", "attribute": "area", "values": ["atlantis"]}, "unknown_choice", "filter.values.0"),
        ({"type": "age", "attribute": "area", "min": 3}, "kind_mismatch", "filter.type"),
        ({"type": "and", "items": [{"type": "number", "attribute": "household_size"}]}, "invalid_filter", None),
        ({"type": "or", "items": []}, "invalid_filter", None),
    ]
    for data, code, field in cases:
        with pytest.raises(SegmentProblem) as info:
            async with db.write() as s:
                await segments.create_segment(s, NOW, name="x", filter_data=data)
        assert info.value.code == code, data
        if field:
            assert info.value.field == field
    async with db.write() as s:
        row = await segments.create_segment(s, NOW, name="赤ちゃんのいる本町・寺町", filter_data=BABIES, by="delivery")
    with pytest.raises(SegmentProblem) as info:
        async with db.write() as s:
            await segments.create_segment(s, NOW, name="赤ちゃんのいる本町・寺町", filter_data={"type": "all"})
    assert info.value.kind == "conflict"
    async with db.write() as s:
        await segments.update_segment(s, NOW, row.id, filter_data={"type": "not", "item": BABIES})
        assert (await segments.segment_filter(s, row.id)).type == "not"


async def test_members_resolver_serves_rich_menus(db: Database) -> None:
    people = await _town(db)
    async with db.write() as s:
        row = await segments.create_segment(s, NOW, name="babies", filter_data=BABIES)
    clock = FrozenClock(NOW)
    resolver: SegmentResolver = segments.SegmentMembers(db, clock)
    members = await resolver.members(str(row.id))
    async with db.read() as s:
        wanted = await segments.member_ids(s, segments.parse_filter(BABIES), TODAY)
    # a, b and c (the first three citizens): not d (other area), e (8 months), the test account or the blocked one
    assert wanted == [people["a"], people["b"], people["c"]]
    assert sorted(members) == [f"U{i:032x}" for i in range(3)]
    assert await resolver.members("999") == [] and await resolver.members("not-a-number") == []
    test_menu = segments.SegmentMembers(db, clock, audience="test")
    assert await test_menu.members(str(row.id)) == [f"T{0:032x}"]
