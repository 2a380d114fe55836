"""Attribute definitions, values (personal ones encrypted, still matchable), the demo catalogue."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from civic.attributes import catalogue, services
from civic.attributes.blind import blind_index_of, month_code
from civic.attributes.errors import AttributeProblem
from civic.attributes.kinds import Choice, normalize, parse_date
from civic.attributes.models import DATE, MULTI, SINGLE
from civic.database import Database
from tests.attributes.support import NOW, TOWN, add_citizens, install_demo


async def test_demo_catalogue_has_what_the_spec_asks_and_installs_once(db: Database) -> None:
    first = await install_demo(db)
    again = await install_demo(db)
    assert first.attributes >= 25 and first.forms >= 5  # §9(2)(ア)⑤: 25 items or more
    assert again == catalogue.Installed(0, 0)
    async with db.read() as s:
        specs = await services.definitions_by_key(s)
    assert len(specs["area"].choices) >= 20 and specs["area"].label_of("honmachi") == "本町"
    assert len(specs["interests"].choices) >= 24  # 行政項目 (数十程度)
    assert specs["children_birth_dates"].kind == DATE and specs["children_birth_dates"].max_values >= 3
    assert {"age_group", "gender", "disaster_info", "household"} <= specs.keys()


async def test_values_round_trip_and_personal_dates_are_not_readable_in_the_table(db: Database) -> None:
    await install_demo(db)
    (cid,) = await add_citizens(db, 1)
    async with db.write() as s:
        written = await services.set_values(s, NOW, cid, {
            "area": "寺町", "interests": ["int01", "防災"], "children_birth_dates": ["2024-02-29", "令和6年5月1日"],
            "household_size": "４", "nickname": "はなこ"})
    assert written["area"] == ["teramachi"] and written["interests"] == ["int01", "int07"]
    async with db.read() as s:
        values = await services.citizen_values(s, cid)
        spec = await services.get_spec(s, "children_birth_dates")
        blind = blind_index_of(s)
        raw = (await s.exec(sa.text(
            "SELECT secret, digest, date_month FROM citizen_attribute_value WHERE attribute_id = :a ORDER BY position"
        ).bindparams(a=spec.id))).all()
    assert values["children_birth_dates"] == [date(2024, 2, 29), date(2024, 5, 1)]
    assert values["household_size"] == [4.0] and values["nickname"] == ["はなこ"]
    secret, digest, month = raw[0]
    assert "2024" not in secret and secret.startswith("v1.")  # AES-GCM token, not the date
    assert digest == blind.date(spec.id, date(2024, 2, 29)) and month == month_code(date(2024, 2, 29))
    # Replacing an attribute replaces all its values and leaves the others alone.
    async with db.write() as s:
        await services.set_values(s, NOW, cid, {"children_birth_dates": ["2025-01-15"]})
    async with db.read() as s:
        values = await services.citizen_values(s, cid)
    assert values["children_birth_dates"] == [date(2025, 1, 15)] and values["area"] == ["teramachi"]


async def test_a_bad_answer_changes_nothing(db: Database) -> None:
    await install_demo(db)
    (cid,) = await add_citizens(db, 1)
    async with db.write() as s:
        await services.set_values(s, NOW, cid, {"area": "honmachi"})
    with pytest.raises(AttributeProblem) as info:
        async with db.write() as s:
            await services.set_values(s, NOW, cid, {"area": "teramachi", "gender": "宇宙人"})
    assert info.value.field == "gender" and "宇宙人" in info.value.message
    async with db.read() as s:
        assert (await services.citizen_values(s, cid))["area"] == ["honmachi"]


def test_normalize_reads_what_people_type() -> None:
    from civic.attributes.kinds import AttributeSpec

    area = AttributeSpec(1, "area", "居住地区", SINGLE, (Choice("a", "本町"), Choice("b", "寺町")))
    many = AttributeSpec(2, "interests", "関心分野", MULTI, (Choice("x", "子育て"), Choice("y", "防災"), Choice("z", "観光")))
    kids = AttributeSpec(3, "kids", "子どもの生年月日", DATE, max_values=2)
    assert normalize(area, "寺町") == ["b"] and normalize(area, "２") == ["b"] and normalize(area, None) == []
    assert normalize(many, "観光、子育て") == ["x", "z"]  # in the list's order
    assert normalize(kids, ["2020/1/2", "R2.3.4"]) == [date(2020, 1, 2), date(2020, 3, 4)]
    assert parse_date("平成元年1月8日") == date(1989, 1, 8) and parse_date("2023-02-29") is None
    for spec, raw, word in [(area, ["a", "b"], "1つだけ"), (kids, ["2020-01-01"] * 3, "2件まで"),
                            (kids, "きのう", "日付"), (many, "スポーツ", "選択肢はありません")]:
        with pytest.raises(AttributeProblem) as info:
            normalize(spec, raw)
        assert word in info.value.message


async def test_staff_add_and_edit_attributes_safely(db: Database) -> None:
    (cid,) = await add_citizens(db, 1)
    async with db.write() as s:
        await services.create_definition(s, NOW, key="club", label="所属クラブ", kind=SINGLE,
                                         choices=[Choice("tennis", "テニス"), Choice("go", "囲碁")])
        await services.set_values(s, NOW, cid, {"club": "go"})
    with pytest.raises(AttributeProblem) as info:
        async with db.write() as s:
            await services.update_definition(s, NOW, "club", {"choices": [Choice("tennis", "テニス")]})
    assert info.value.code == "choice_in_use" and "囲碁" in info.value.message
    with pytest.raises(AttributeProblem) as info:
        async with db.write() as s:
            await services.update_definition(s, NOW, "club", {"kind": "number"})
    assert info.value.code == "kind_in_use"
    async with db.write() as s:  # renaming a label is fine
        row = await services.update_definition(s, NOW, "club", {
            "choices": [Choice("tennis", "テニス"), Choice("go", "囲碁・将棋")], "label": "クラブ"})
    assert row.label == "クラブ"
    with pytest.raises(AttributeProblem) as info:
        async with db.write() as s:
            await services.create_definition(s, NOW, key="club", label="x", kind=SINGLE, choices=[Choice("a", "a")])
    assert info.value.kind == "conflict"


def test_the_demo_file_parses() -> None:
    raw = catalogue.read(TOWN / "attributes.yml")
    keys = [a["key"] for a in raw["attributes"]]
    assert len(keys) == len(set(keys))
    for form in raw["forms"]:
        assert all(item["attribute"] in keys for item in form["items"]), form["key"]
