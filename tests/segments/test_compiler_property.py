"""The segment compiler agrees with the plain Python reading of a filter, on random citizens and
random filters, on SQLite and PostgreSQL — including ages across month ends and 29 February."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from civic.attributes import services as attributes
from civic.attributes.blind import blind_index_of
from civic.attributes.models import CitizenAttributeValue
from civic.citizens.models import Citizen
from civic.database import Database
from civic.segments import filters
from civic.segments import services as segments
from civic.segments.dates import age_range, month_end, month_start, months_between, years_between
from civic.segments.evaluate import Facts, matches
from tests.attributes.support import NOW, install_demo

TODAYS = [date(2026, 11, 21), date(2027, 2, 28), date(2028, 2, 29), date(2028, 3, 1), date(2026, 3, 31),
          date(2026, 4, 30), date(2026, 12, 31), date(2027, 1, 1), date(2025, 2, 28)]
SPECIAL = [date(2000, 2, 29), date(2024, 2, 29), date(2020, 2, 29), date(2024, 1, 31), date(2025, 3, 31),
           date(2026, 2, 28), date(2026, 10, 31), date(2026, 11, 30)]
AREAS = ["honmachi", "teramachi", "ekimae", "chuo"]
INTERESTS = ["int01", "int02", "int07", "int12", "int20"]
NAMES = ["はなこ", "ハナコ", "Taro", "taro "]
#: Ages filters and citizens share, so that boundaries meet often.
YEARS = [0, 1, 3, 6, 18, 20, 40, 65]
MONTHS = [0, 1, 2, 3, 4, 6, 12, 18, 36]


def _shift(today: date, years: int, days: int) -> date:
    try:
        base = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        base = today.replace(year=today.year - years, day=28)
    return base + timedelta(days=days)


def _months_back(today: date, months: int, days: int) -> date:
    total = today.year * 12 + today.month - 1 - months
    year, month = total // 12, total % 12 + 1
    for day in (today.day, 30, 29, 28):
        try:
            return date(year, month, day) + timedelta(days=days)
        except ValueError:
            continue
    raise AssertionError


def dates_near(today: date) -> st.SearchStrategy[date]:
    return st.one_of(
        st.builds(lambda y, d: _shift(today, y, d), st.sampled_from(sorted({*YEARS, *(y + 1 for y in YEARS)})),
                  st.integers(-35, 35)),
        st.builds(lambda m, d: _months_back(today, m, d), st.sampled_from(sorted({*MONTHS, *(m + 1 for m in MONTHS)})),
                  st.integers(-20, 20)),
        st.builds(lambda y, d: _shift(today, y, d), st.integers(0, 90), st.integers(-200, 200)),
        st.sampled_from(SPECIAL),
    )


def citizen(near: st.SearchStrategy[date], days: st.SearchStrategy[int]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({
        "friend": st.sampled_from([True, True, True, False]),
        "test": st.sampled_from([False, False, False, True]),
        "followed_days": st.none() | days,
        "followed_hour": st.integers(0, 23),
        "area": st.none() | st.sampled_from(AREAS),
        "interests": st.lists(st.sampled_from(INTERESTS), unique=True, max_size=4),
        "birth_date": st.none() | near,
        "children_birth_dates": st.lists(near, max_size=3, unique=True),
        "household_size": st.none() | st.integers(1, 8),
        "nickname": st.none() | st.sampled_from(NAMES),
    })


def _range(low: int, high: int) -> st.SearchStrategy[tuple[int | None, int | None]]:
    return st.tuples(st.none() | st.integers(low, high), st.none() | st.integers(low, high)).filter(
        lambda t: t != (None, None)).map(lambda t: (min(t), max(t)) if None not in t else t)


def _pick(values: list[int]) -> st.SearchStrategy[tuple[int | None, int | None]]:
    return st.tuples(st.none() | st.sampled_from(values), st.none() | st.sampled_from(values)).filter(
        lambda t: t != (None, None)).map(lambda t: (min(t), max(t)) if None not in t else t)


def leaf(today: date) -> st.SearchStrategy[dict[str, Any]]:
    date_attr = st.sampled_from(["birth_date", "children_birth_dates"])
    ages = st.one_of(
        st.tuples(st.just("years"), _pick(YEARS)), st.tuples(st.just("months"), _pick(MONTHS)),
        st.tuples(st.just("days"), _range(-40, 800)))
    dates_range = st.tuples(st.none() | dates_near(today), st.none() | dates_near(today)).filter(
        lambda t: t != (None, None)).map(lambda t: (min(t), max(t)) if None not in t else t) | st.builds(
        lambda d, k: (month_start(d), month_start(d) + timedelta(days=k)), dates_near(today), st.integers(0, 31))
    date_leaves = st.one_of(
        st.builds(lambda a, r: {"type": "date", "attribute": a, "from": r[0] and r[0].isoformat(),
                                "to": r[1] and r[1].isoformat()}, date_attr, dates_range),
        st.builds(lambda a, u: {"type": "age", "attribute": a, "unit": u[0], "min": u[1][0], "max": u[1][1]},
                  date_attr, ages),
    )
    other_leaves = st.one_of(
        st.builds(lambda a, v, m: {"type": "choice", "attribute": a, "values": v, "match": m},
                  st.just("area"), st.lists(st.sampled_from(AREAS), min_size=1, max_size=3, unique=True),
                  st.just("any")),
        st.builds(lambda v, m: {"type": "choice", "attribute": "interests", "values": v, "match": m},
                  st.lists(st.sampled_from(INTERESTS), min_size=1, max_size=3, unique=True),
                  st.sampled_from(["any", "all"])),
        st.builds(lambda a: {"type": "has", "attribute": a},
                  st.sampled_from(["area", "interests", "birth_date", "children_birth_dates", "nickname"])),
        st.builds(lambda r: {"type": "number", "attribute": "household_size", "min": r[0], "max": r[1]},
                  _range(1, 8)),
        st.builds(lambda n: {"type": "text", "attribute": "nickname", "equals": n}, st.sampled_from(NAMES)),
        st.builds(lambda r: {"type": "friend_days", "min": r[0], "max": r[1]}, _range(0, 60)),
    )
    # Dates are where the compiler does real work (months + digests): draw them most.
    return st.one_of(date_leaves, date_leaves, other_leaves)


def tree(today: date) -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(leaf(today), lambda inner: st.one_of(
        st.builds(lambda items: {"type": "and", "items": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda items: {"type": "or", "items": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda item: {"type": "not", "item": item}, inner),
    ), max_leaves=4)


def _leaves(node: filters.Filter) -> list[filters.Filter]:
    if isinstance(node, filters.AllOf | filters.AnyOf):
        return [leaf for item in node.items for leaf in _leaves(item)]
    if isinstance(node, filters.Not):
        return _leaves(node.item)
    return [node]


def _edges(today: date, trees: list[dict[str, Any]]) -> tuple[list[date], list[int]]:
    """The dates and day counts where the filters' answers change, and their neighbours: citizens
    are drawn there, so every boundary is tested (a month too many or a day too few shows)."""
    edges: set[date] = set()
    days: set[int] = set()
    for data in trees:
        for leaf in _leaves(filters.parse(data)):
            if isinstance(leaf, filters.AgeBetween):
                edges.update(d for d in age_range(today, leaf.unit, leaf.min, leaf.max) if d is not None)
            elif isinstance(leaf, filters.DateBetween):
                edges.update(d for d in (leaf.from_, leaf.to) if d is not None)
            elif isinstance(leaf, filters.FriendDays):
                days.update(d + k for d in (leaf.min, leaf.max) if d is not None for k in (-1, 0, 1) if d + k >= 0)
    out: set[date] = set()
    for edge in edges:
        if date(1901, 1, 1) < edge < date(2099, 1, 1):
            out.update(edge + timedelta(days=k) for k in (-1, 0, 1))
            out.update((month_start(edge), month_end(edge), month_start(edge) - timedelta(days=1),
                        month_end(edge) + timedelta(days=1)))
    return sorted(out), sorted(days)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[date, list[dict[str, Any]], list[dict[str, Any]]]:
    today = draw(st.sampled_from(TODAYS) | st.dates(date(2020, 1, 1), date(2030, 12, 31)))
    trees = draw(st.lists(tree(today), min_size=3, max_size=6))
    edge_dates, edge_days = _edges(today, trees)
    near = dates_near(today) if not edge_dates else st.sampled_from(edge_dates) | dates_near(today)
    days = st.integers(0, 60) if not edge_days else st.sampled_from(edge_days) | st.integers(0, 60)
    people = draw(st.lists(citizen(near, days), min_size=8, max_size=16))
    return today, people, trees


def _followed(today: date, days: int | None, hour: int) -> datetime | None:
    if days is None:
        return None
    day = today - timedelta(days=days)  # a Tokyo day; the hour makes some of them the UTC day before
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=9)


VALUE_KEYS = ("area", "interests", "birth_date", "children_birth_dates", "household_size", "nickname")


async def _load(db: Database, today: date, people: list[dict[str, Any]]) -> list[tuple[int, Facts, bool]]:
    async with db.write() as s:
        await s.exec(sa.delete(CitizenAttributeValue.__table__))  # type: ignore[call-overload,attr-defined]
        await s.exec(sa.delete(Citizen.__table__))  # type: ignore[call-overload,attr-defined]
        specs = await attributes.definitions_by_key(s)
        blind = blind_index_of(s)
        rows = [Citizen(channel_user_id=f"U{i:032x}", is_friend=p["friend"], is_test_account=p["test"],
                        followed_at=_followed(today, p["followed_days"], p["followed_hour"]), created_at=NOW)
                for i, p in enumerate(people)]
        s.add_all(rows)
        await s.flush()
        out = []
        values = []
        for row, p in zip(rows, people, strict=True):
            facts = Facts(followed_at=row.followed_at)
            for key in VALUE_KEYS:
                raw = p[key]
                vals = [] if raw is None else (list(raw) if isinstance(raw, list) else [raw])
                if key == "household_size":
                    vals = [float(v) for v in vals]
                if vals:
                    facts.values[key] = vals
                    values += attributes.value_rows(specs[key], row.id, vals, NOW, blind)  # type: ignore[arg-type]
            out.append((row.id, facts, p["friend"] and not p["test"]))
        s.add_all([CitizenAttributeValue(**v) for v in values])
    return out  # type: ignore[return-value]


@settings(max_examples=30, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(scenario=scenarios())
async def test_compiled_sql_agrees_with_python(db: Database, scenario) -> None:
    today, people, trees = scenario
    async with db.read() as s:
        installed = bool(await attributes.definitions(s))
    if not installed:
        await install_demo(db)
    population = await _load(db, today, people)
    for data in trees:
        node = filters.parse(data)
        expected = [cid for cid, facts, eligible in population if eligible and matches(node, facts, today)]
        async with db.read() as s:
            got = await segments.member_ids(s, node, today)
            counted = await segments.count(s, node, today)
        assert got == expected, (data, today, [p for p in people])
        assert counted == len(expected)


@settings(max_examples=400)
@given(today=st.sampled_from(TODAYS) | st.dates(date(1990, 1, 1), date(2090, 12, 31)),
       unit=st.sampled_from(["years", "months"]), low=st.none() | st.integers(0, 100),
       span=st.none() | st.integers(0, 30), data=st.data())
def test_age_ranges_hold_exactly_the_dates_of_that_age(today: date, unit: str, low: int | None,
                                                      span: int | None, data: st.DataObject) -> None:
    high = None if span is None else (low or 0) + span
    if low is None and high is None:
        low = 0
    edge = data.draw(st.sampled_from([x for x in (low, high, (high or 0) + 1) if x is not None]))
    near = (_shift(today, edge, 0) if unit == "years" else _months_back(today, edge, 0))
    born = data.draw(st.builds(lambda d: near + timedelta(days=d), st.integers(-3, 3)) | st.sampled_from(SPECIAL))
    first, last = age_range(today, unit, low, high)
    age = (years_between if unit == "years" else months_between)(born, today)
    in_range = (first is None or born >= first) and (last is None or born <= last)
    assert in_range == ((low is None or age >= low) and (high is None or age <= high))
