import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlu import FALLBACK_INTENT, Interpreter

INTENTS = {"greet", "thanks", "garbage_lookup", "booking_make", "report_damage", "stop", FALLBACK_INTENT}


def assert_rasa_shape(result, text):
    assert set(result) == {"text", "intent", "intent_ranking", "entities"}
    assert result["text"] == text
    assert set(result["intent"]) == {"name", "confidence"}
    assert result["intent"]["name"] in INTENTS
    assert 0.0 <= result["intent"]["confidence"] <= 1.0
    for r in result["intent_ranking"]:
        assert set(r) == {"name", "confidence"}
    for e in result["entities"]:
        assert {"entity", "value", "start", "end", "confidence", "role", "extractor"} <= set(e)
        assert 0 <= e["start"] < e["end"] <= len(text)
    json.dumps(result, ensure_ascii=False)  # must be JSON-serialisable as is


def test_parse_booking_message(interpreter, now):
    text = "来週の土曜に体育館を10人で2時から4時まで借りたい"
    result = interpreter.parse(text, now=now)
    assert_rasa_shape(result, text)
    assert result["intent"]["name"] == "booking_make"
    got = {(e["entity"], e["value"], e["role"]) for e in result["entities"]}
    assert got == {("date", "2026-11-28", None), ("facility", "体育館", None), ("people", 10, None),
                   ("time", "14:00", "start"), ("time", "16:00", "end")}


def test_intents_on_unseen_wording(interpreter, now):
    assert interpreter.parse("ｽﾌﾟﾚｰ缶ってどう捨てる？", now=now)["intent"]["name"] == "garbage_lookup"
    assert interpreter.parse("ありがとうございました！", now=now)["intent"]["name"] == "thanks"
    assert interpreter.parse("道路のガードレールが壊れてます", now=now)["intent"]["name"] == "report_damage"


def test_low_confidence_becomes_nlu_fallback(training_data, morphology, now):
    strict = Interpreter.train(training_data, morphology=morphology, threshold=0.99)
    result = strict.parse("うーん", now=now)
    assert result["intent"] == {"name": FALLBACK_INTENT, "confidence": 0.99}
    assert result["intent_ranking"][0]["name"] == FALLBACK_INTENT
    assert len(result["intent_ranking"]) > 1  # the real ranking follows the fallback


def test_persist_and_load_give_identical_results(interpreter, tmp_path, now):
    interpreter.persist(tmp_path / "model")
    loaded = Interpreter.load(tmp_path / "model", morphology=interpreter.morphology)
    for text in ["明日10時から体育館を予約", "蛍光灯の捨て方", "こんにちは", ""]:
        assert loaded.parse(text, now=now) == interpreter.parse(text, now=now)
    assert not list((tmp_path / "model").glob("*.pkl"))


def test_load_refuses_a_non_model_directory(tmp_path):
    import pytest

    with pytest.raises(FileNotFoundError, match="metadata.json"):
        Interpreter.load(tmp_path)


def test_bad_input_examples(interpreter, now):
    for text in ["", " ", "😀😀😀", "\x00\x07\x1b[31m", "あ" * 10_000, "ｱｲｳ abc 123 한국어 中文 ١٢٣", "\ud800", None]:
        result = interpreter.parse(text, now=now)
        assert_rasa_shape(result, text if isinstance(text, str) else "")
    assert interpreter.parse("", now=now)["intent"]["name"] == FALLBACK_INTENT


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_text_gives_a_valid_result(interpreter, now, text):
    assert_rasa_shape(interpreter.parse(text, now=now), text)
