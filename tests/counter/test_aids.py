"""Input aids of the counter form: addresses by lists or first kana (§(5) i, j) and 単漢字検索 (§(4) h)."""

from __future__ import annotations

import pytest

from civic.counter.addresses import first_kana, index
from civic.counter.kanji import dictionary
from tests.counter.conftest import Counter


def test_first_kana_folds_katakana_voicing_and_width() -> None:
    assert [first_kana(t) for t in ("ブ", "ぶ", "ﾌﾞ", "フ", "ッ", "")] == ["ふ", "ふ", "ふ", "ふ", "つ", ""]


def test_each_kana_narrows_the_next_level() -> None:
    addresses = index()
    assert len(addresses.find().choices) == 47
    assert [c.prefecture for c in addresses.find(kana="ふ").choices] == ["福島県", "福井県", "福岡県"]
    cities = addresses.find(kana="ふく")
    assert cities.level == "city" and "久留米市" in [c.city for c in cities.choices]
    areas = addresses.find(kana="ふくみ")
    assert areas.level == "area"
    assert ("福岡県", "久留米市", "御井町", "8390851") in [(c.prefecture, c.city, c.area, c.postal_code)
                                                        for c in areas.choices]
    # with the prefecture (and municipality) already picked, the kana starts at the next level
    assert addresses.find(prefecture="福岡県", kana="く").level == "city"
    town = addresses.find(prefecture="福岡県", city="三井郡大刀洗町")
    assert town.level == "area" and "鵜木" in [c.area for c in town.choices]
    assert all(c.area and "以下に掲載がない場合" not in c.area for c in town.choices)


def test_kanji_by_reading_radical_and_strokes() -> None:
    kanji = dictionary()
    assert len(kanji.entries) > 13000
    assert {"崎", "﨑", "嵜"} <= {k.char for k in kanji.search(reading="さき", component="山")}
    water = kanji.search(component="さんずい", strokes=8)
    assert "沼" in {k.char for k in water} and all(k.radical == 85 and k.strokes == 8 for k in water)
    assert kanji.search(component="氵") and kanji.search(component="木", reading="カシ")[0].char in "樫橿柏"
    assert kanji.search(component="nothing") == []


async def test_the_counter_api_serves_both(counter: Counter) -> None:
    prefs = await counter.call("GET", "/counter/addresses", who="madoguchi", expect=200)
    assert prefs["level"] == "prefecture" and len(prefs["choices"]) == 47
    areas = await counter.call("GET", "/counter/addresses?prefecture=福岡県&kana=くみ", expect=200)
    assert areas["level"] == "area" and "福岡県久留米市御井町" in [c["label"] for c in areas["choices"]]
    await counter.call("GET", "/counter/addresses?city=久留米市", expect=422)
    town = await counter.call("GET", "/counter/addresses?kana=ふみ", expect=200)
    assert "福岡県みどり郡みどり町" in [c["label"] for c in town["choices"]]  # the demo town's own, made-up 町名
    mine = await counter.call("GET", "/counter/addresses?prefecture=福岡県&city=みどり郡みどり町&kana=み", expect=200)
    assert [(c["area"], c["postal_code"]) for c in mine["choices"]] == [("緑ヶ丘", "8390902")]
    found = await counter.call("GET", "/counter/kanji?reading=たか&limit=5", who="madoguchi", expect=200)
    assert "高" in [k["char"] for k in found] and len(found) == 5
    await counter.call("GET", "/counter/kanji", expect=422)


@pytest.mark.parametrize("text", ["ふくみ", "フクミ"])
def test_kana_in_either_script(text: str) -> None:
    assert index().find(kana=text).choices
