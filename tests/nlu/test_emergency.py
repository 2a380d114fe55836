"""Emergencies first: the 119 / 110 detector on the town's labelled set and on everything the town
already says (training examples, FAQ questions, garbage items), which must raise no alarm."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from nlu import load_training_data
from nlu.cli import main
from nlu.emergency import EmergencyDetector, evaluate_emergency, fold_pattern

TOWN = Path(__file__).resolve().parents[2] / "content" / "midori"
CASES = yaml.safe_load((TOWN / "eval" / "emergency.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def detector() -> EmergencyDetector:
    return EmergencyDetector.load(TOWN / "nlu" / "emergency.yml")


def test_the_set_is_large_enough() -> None:
    assert len(CASES["urgent"]) >= 40 and len(CASES["not_urgent"]) >= 40
    assert any(c["number"] == "110" for c in CASES["urgent"]) and any(c["number"] == "119" for c in CASES["urgent"])


@pytest.mark.parametrize("case", CASES["urgent"], ids=lambda c: c["text"])
def test_every_urgent_message_gets_its_number(detector: EmergencyDetector, case: dict[str, str]) -> None:
    found = detector.detect(case["text"])
    assert found is not None, case["text"]
    assert found.number == case["number"]
    assert found.number.split("/")[0] in found.answer


@pytest.mark.parametrize("text", CASES["not_urgent"])
def test_no_look_alike_raises_an_alarm(detector: EmergencyDetector, text: str) -> None:
    assert detector.detect(text) is None


def test_nothing_the_town_already_handles_raises_an_alarm(detector: EmergencyDetector) -> None:
    """The NLU examples, FAQ questions and garbage items are ordinary requests: no 119 for them
    (except the English 「help me」 example of the help intent, which is answered with both numbers
    and the menu)."""
    texts = [e.text for e in load_training_data(TOWN / "nlu").examples if e.text.lower() != "help me"]
    for entry in yaml.safe_load((TOWN / "faq.yml").read_text(encoding="utf-8")):
        texts += [entry["question"], *(entry.get("alternatives") or [])]
    with open(TOWN / "garbage" / "target.csv", encoding="utf-8-sig") as f:
        texts += [row[1] for row in csv.reader(f) if len(row) > 1]
    assert len(texts) > 1500
    alarms = [(t, found.kind) for t in texts if (found := detector.detect(t))]
    assert alarms == []


def test_kana_width_and_script_variants_meet(detector: EmergencyDetector) -> None:
    kinds = {detector.detect(t).kind for t in ("たすけて", "タスケテ", "ﾀｽｹﾃ", "助けて", "たすけてー！")}
    assert kinds == {"help"}
    assert detector.detect("ｷｭｳｷｭｳｼｬ").kind == "medical"


def test_the_first_kind_wins_and_english_gets_english(detector: EmergencyDetector) -> None:
    found = detector.detect("たすけて　家が火事です")
    assert (found.kind, found.number, found.language) == ("fire", "119", "ja")
    assert "119番" in found.answer and "火事" in found.answer
    english = detector.detect("help, fire")
    assert (english.kind, english.language) == ("fire", "en")
    assert "call 119" in english.answer.lower()


def test_a_town_adds_words_negatives_and_answers(tmp_path: Path) -> None:
    extra = tmp_path / "emergency.yml"
    extra.write_text(yaml.safe_dump({
        "kinds": {"medical": {"ja": ["ぎっくり腰で動けん"], "answer": {"ja": "町の救急: 119番 ({contact})"}},
                  "flood": {"number": "119", "ja": ["家が(浸水|水没)"], "answer": {"ja": "浸水: 119番"}}},
        "not": {"ja": ["みどり救急まつり"]},
    }, allow_unicode=True), encoding="utf-8")
    base, town = EmergencyDetector.load(), EmergencyDetector.load(extra)
    assert base.detect("ぎっくり腰で動けん") is None
    assert town.detect("ぎっくり腰で動けん").answer == "町の救急: 119番 ({contact})"
    assert town.detect("家が浸水しています").kind == "flood"
    assert base.detect("みどり救急まつりの日程") is not None and town.detect("みどり救急まつりの日程") is None


def test_a_broken_pattern_names_its_file(tmp_path: Path) -> None:
    bad = tmp_path / "emergency.yml"
    bad.write_text("kinds:\n  fire:\n    ja: ['(火事']\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"emergency.yml fire.ja"):
        EmergencyDetector.load(bad)


def test_patterns_fold_like_the_text() -> None:
    assert fold_pattern("タスケテ(ー)?") == "たすけて()?"
    assert fold_pattern("火事？") == r"火事\?"  # a full-width ？ is a character, not a quantifier


def test_odd_input_never_raises(detector: EmergencyDetector) -> None:
    for text in ("", "   ", None, "🔥" * 3000, "\x00\ud800", "あ" * 10000):
        detector.detect(text)


def test_evaluation_counts_wrong_numbers_as_misses(detector: EmergencyDetector) -> None:
    report = evaluate_emergency(detector, {"urgent": [{"text": "火事です", "number": "110"}, {"text": "不審者がいる",
                                                                                         "number": "110"}],
                                           "not_urgent": ["救急の日の予定", "救急車を呼んで"]})
    assert (report["recall"], report["false_alarm_rate"]) == (0.5, 0.5)
    assert report["misses"][0]["got"] == "119"


def test_cli_prints_recall_and_false_alarms(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["eval-emergency", "--cases", str(TOWN / "eval" / "emergency.yml")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["recall"] == 1.0 and report["false_alarm_rate"] == 0.0
    assert report["urgent"] >= 40 and report["not_urgent"] >= 40
    failing = tmp_path / "cases.yml"
    failing.write_text("urgent: [{text: 今日はいい天気, number: '119'}]\nnot_urgent: []\n", encoding="utf-8")
    assert main(["eval-emergency", "--cases", str(failing), "--errors"]) == 1
    assert json.loads(capsys.readouterr().out)["misses"][0]["text"] == "今日はいい天気"
