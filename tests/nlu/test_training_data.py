import pytest

from nlu.training_data import TrainingData, TrainingDataError, load_training_data, parse_annotated_text


def test_inline_annotations_all_forms():
    text, ents = parse_annotated_text(
        '[明日]{"entity": "date"}[10時]{"entity": "time", "role": "start"}から[蛍光灯](garbage_item:蛍光管)'
    )
    assert text == "明日10時から蛍光灯"
    assert [(e.entity, e.role, e.value, text[e.start:e.end]) for e in ents] == [
        ("date", None, "明日", "明日"),
        ("time", "start", "10時", "10時"),
        ("garbage_item", None, "蛍光管", "蛍光灯"),
    ]


def test_list_form_and_non_annotation_brackets():
    text, ents = parse_annotated_text('[体育館][{"entity": "facility"}, {"entity": "place", "group": "1"}]と[注意]です')
    assert text == "体育館と[注意]です"
    assert {(e.entity, e.group) for e in ents} == {("facility", None), ("place", "1")}


def test_sections_are_read(training_data):
    assert "greet" in training_data.intents and len(training_data.intents) == 6
    assert training_data.synonyms["蛍光灯"] == "蛍光管"
    assert training_data.synonyms["総合体育館"] == "体育館"
    assert "公民館" in training_data.lookups["facility"]
    assert training_data.regexes["postal_code"] == [r"\d{3}-\d{4}"]
    assert training_data.entity_roles()["time"] == ["end", "start"]


def test_round_trip_through_yaml(training_data):
    again = TrainingData.from_yaml(training_data.to_yaml())
    assert again.examples == training_data.examples
    assert again.synonyms == training_data.synonyms
    assert again.lookups == training_data.lookups
    assert again.regexes == training_data.regexes


def test_list_examples_and_errors_name_the_place(tmp_path):
    data = TrainingData.from_yaml('nlu:\n- intent: a\n  examples:\n  - text: "x"\n  - y\n')
    assert [e.text for e in data.examples] == ["x", "y"]
    with pytest.raises(TrainingDataError, match="nlu\\[0\\]"):
        TrainingData.from_yaml("nlu:\n- foo: bar\n")
    with pytest.raises(TrainingDataError, match="regex"):
        TrainingData.from_yaml("nlu:\n- regex: r\n  examples: |\n    - ([a\n")
    with pytest.raises(TrainingDataError, match="no such file"):
        load_training_data(tmp_path / "missing")


def test_directory_loading_skips_non_nlu_files(tmp_path):
    (tmp_path / "a.yml").write_text("nlu:\n- intent: a\n  examples: |\n    - x\n", encoding="utf-8")
    (tmp_path / "domain.yml").write_text("intents: [a]\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yaml").write_text("nlu:\n- intent: b\n  examples: |\n    - y\n", encoding="utf-8")
    assert load_training_data(tmp_path).intents == ["a", "b"]
