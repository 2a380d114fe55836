from datetime import datetime

from nlu.entities import EntityExtractor
from nlu.entities.dates import TOKYO
from nlu.entities.lookup import Gazetteer
from nlu.entities.numbers import extract_counts, to_int
from nlu.entities.patterns import extract_contact
from nlu.entities.types import make_entity, resolve_overlaps

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=TOKYO)


def test_kanji_numbers():
    assert [to_int(x) for x in ("12", "十二", "二十五", "二〇二六", "百")] == [12, 12, 25, 2026, 100]
    assert to_int("あ") is None


def test_counts_with_counters():
    got = [(e["entity"], e["value"], e["additional_info"]["unit"]) for e in extract_counts("10人で2面、三台")]
    assert got == [("people", 10, "人"), ("count", 2, "面"), ("count", 3, "台")]
    assert extract_counts("3日間と2時間") == []


def test_postal_codes_and_phone_numbers():
    got = {(e["entity"], e["value"]) for e in extract_contact("〒999-8501 電話0234-26-5731か09012345678")}
    assert got == {("postal_code", "999-8501"), ("phone_number", "0234265731"), ("phone_number", "09012345678")}


def test_gazetteer_folds_and_respects_token_boundaries(morphology):
    g = Gazetteer({"area": ["本町"], "garbage_item": ["ペットボトル"]}, {"ぺっとぼとる": "ペットボトル"})
    text = "ﾍﾟｯﾄﾎﾞﾄﾙは本町で"
    tokens = morphology.tokenize(text, "A")
    bounds = {t.start for t in tokens} | {t.end for t in tokens}
    got = [(e["entity"], e["value"], text[e["start"]:e["end"]]) for e in g.extract(text, bounds)]
    assert got == [("garbage_item", "ペットボトル", "ﾍﾟｯﾄﾎﾞﾄﾙ"), ("area", "本町", "本町")]
    text2 = "日本町内会"
    tokens2 = morphology.tokenize(text2, "A")
    assert g.extract(text2, {t.start for t in tokens2} | {t.end for t in tokens2}) == []


def test_overlaps_longest_span_wins():
    a = make_entity("x", 1, 0, 5, "lookup")
    b = make_entity("y", 2, 3, 8, "dates")
    c = make_entity("z", 3, 8, 9, "regex")
    d = make_entity("w", 4, 1, 3, "regex")
    assert resolve_overlaps([a, b, c, d]) == [a, c]


def test_extractor_uses_lookups_annotations_synonyms_and_regexes(training_data, morphology, tmp_path):
    ext = EntityExtractor.train(training_data, morphology, {"garbage_item": ["カセットボンベ"]})
    text = "総合体育館で蛍光灯とカセットボンベ、〒123-4567"
    got = {(e["entity"], e["value"]) for e in ext.process(text, NOW)}
    assert {("facility", "体育館"), ("garbage_item", "蛍光管"), ("garbage_item", "カセットボンベ"),
            ("postal_code", "123-4567")} <= got
    ext.persist(tmp_path)
    again = EntityExtractor.load(tmp_path, morphology)
    assert again.process(text, NOW) == ext.process(text, NOW)
