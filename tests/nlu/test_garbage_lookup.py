from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlu import GarbageDictionary, GarbageItem

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def garbage(morphology):
    return GarbageDictionary.from_csv(FIXTURES / "target.csv", synonyms={"蛍光灯": "蛍光管", "てんぷら油": "天ぷら油"},
                                      morphology=morphology)


@pytest.mark.parametrize(("query", "expected"), [
    ("しょうかき", "消火器"),  # hiragana reading of a kanji name
    ("ｽﾌﾟﾚｰ缶", "スプレー缶"),  # half-width
    ("すぷれーかん", "スプレー缶"),  # hiragana with long vowel
    ("スプレ缶", "スプレー缶"),  # dropped long vowel
    ("ぺっとぼとる", "ペットボトル"),
    ("ペトボトル", "ペットボトル"),  # one missing kana
    ("ペットボトロ", "ペットボトル"),  # one wrong kana
    ("空缶", "空き缶"),  # okurigana variant
    ("あきかん", "空き缶"),
    ("蛍光灯", "蛍光管"),  # synonym
    ("てんぷら油", "天ぷら油"),
    ("冷凍庫", "冷蔵庫・冷凍庫"),  # one of several names
    ("使い終わったスプレー缶ってどう捨てる？", "スプレー缶"),  # inside a sentence
    ("石油ストーブを捨てたい", "石油ストーブ"),  # longest match wins over ストーブ
    ("衣装ケース（金属製）", "衣装ケース（金属製）"),  # parenthetical qualifier
    ("金属のバケツ", "バケツ（金属製）"),
    ("落葉", "落ち葉"),  # okurigana dropped from a kanji compound
    ("吸殻はどうする", "たばこの吸い殻"),  # a part of a longer name
    ("ジャムの空き瓶", "ジャムのびん"),  # name tokens spread over the query; 瓶 is the head of 空き瓶
    ("ペットボトルのキャプ", "ペットボトルのキャップ"),  # a typo extending an exact match of a shorter item
    ("しょかき", "消火器"),  # a missing kana is preferred over a wrong one (食器)
    ("せんぷき", "扇風機"),  # not 栓抜き
    ("冷蔵子", "冷蔵庫・冷凍庫"),  # a slip beside the item's own word
    ("わり箸", "割りばし"),  # 箸 sounds like part of the item (rendaku: ばし)
    ("消化器", "消火器"),  # an IME homophone that keeps the item's own 器
])
def test_finds_the_item(garbage, query, expected):
    result = garbage.lookup(query)
    assert result.best is not None and result.best.item.name == expected, result
    assert result.outcome == "found"


@pytest.mark.parametrize(("query", "not_this"), [
    ("本町", "包丁"),  # a place written in kanji: ほんちょう is one kana from ほうちょう
    ("本町の燃やすごみの日", "包丁"),
    ("指定ごみ袋", "紙袋"),  # ごみぶくろ is one kana from かみぶくろ
    ("ごみ袋の値段", "紙袋"),
    ("川原", "瓦"),  # a homophone written in other kanji is another word
])
def test_a_near_reading_that_changes_the_word_is_not_accepted(garbage, query, not_this):
    result = garbage.lookup(query)
    assert result.outcome == "none", result
    assert not_this in {i.name for i in garbage.items}


def test_kana_slips_are_still_forgiven(garbage):
    assert garbage.lookup("かわら").best.item.name == "瓦"  # kana: the reading itself
    assert garbage.lookup("かみぶくろ").best.item.name == "紙袋"
    assert garbage.lookup("ほうちょ").best.item.name == "包丁"


def test_found_item_carries_category_and_notes(garbage):
    best = garbage.lookup("スプレー缶").best
    assert best.item.category == "資源物（かん）" and "使い切って" in best.item.notes


def test_same_name_different_qualifier_is_ambiguous(garbage):
    result = garbage.lookup("バケツの捨て方")
    assert result.outcome == "ambiguous"
    assert {result.best.item.name, *(a.item.name for a in result.alternatives)} >= {
        "バケツ（金属製）", "バケツ（プラスチック製）"}


def test_fuzzy_matching_does_not_invent_items_from_chatter(garbage):
    result = garbage.lookup("包丁ってどうやって捨てたら安全？")
    assert result.best.item.name == "包丁"
    assert garbage.lookup("犬のうんち").outcome == "none"


def test_no_false_hits_on_short_names_or_chatter(garbage):
    assert garbage.lookup("土曜日に出せるごみは？").best is None or garbage.lookup("土曜日に出せるごみは？").best.item.name != "土"
    assert garbage.lookup("こんにちは").outcome == "none"
    assert garbage.lookup("").outcome == "none"


def test_csv_with_and_without_header_and_plain(morphology):
    rows = GarbageDictionary.parse_csv((FIXTURES / "target_noheader.csv").read_text(encoding="utf-8"))
    assert [(r.name, r.category, r.notes) for r in rows] == [("生ごみ", "燃やすごみ", "水気を切る"),
                                                              ("フライパン", "燃やさないごみ", "")]
    plain = GarbageDictionary.from_csv(FIXTURES / "plain.csv", morphology=morphology)
    assert plain.lookup("PETボトル").best.item.name == "ペットボトル"
    assert plain.lookup("しょーかき").best.item.name == "消火器"
    assert plain.items[0].reading == "しょうかき"


def test_items_directly_and_to_dict(morphology):
    g = GarbageDictionary([GarbageItem("乾電池", "有害ごみ", "テープで絶縁")], morphology=morphology)
    d = g.lookup("かんでんち").to_dict()
    assert d["outcome"] == "found" and d["best"]["item"]["category"] == "有害ごみ"


def test_synonyms_csv(tmp_path):
    p = tmp_path / "synonyms.csv"
    p.write_text("word,name\nPETボトル,ペットボトル\n,\n", encoding="utf-8")
    assert GarbageDictionary.load_synonyms_csv(p) == {"PETボトル": "ペットボトル"}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=100))
def test_any_query_gives_a_result(garbage, query):
    r = garbage.lookup(query)
    assert r.outcome in ("found", "ambiguous", "none")
    assert (r.best is None) == (r.outcome == "none")
