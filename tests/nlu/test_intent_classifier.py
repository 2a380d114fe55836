"""The intent classifier's own choices: SVM margins as confidences, unseen words in the norm,
answer marks folded, old model directories still loading, and the held-out evaluation."""

import json
import re
from pathlib import Path

import pytest

from nlu import FALLBACK_INTENT, load_training_data
from nlu.evaluation import evaluate_heldout
from nlu.intent_classifier import IntentClassifier, fold_symbols
from nlu.normalize import fold_kana
from nlu.training_data import TrainingData

FIXTURES = Path(__file__).parent / "fixtures"
CONTENT = Path(__file__).parents[2] / "content" / "midori" / "nlu"


@pytest.fixture(scope="module")
def classifier(training_data, morphology) -> IntentClassifier:
    return IntentClassifier.train(training_data, morphology)


def as_dict(ranking: list[tuple[str, float]]) -> dict[str, float]:
    return dict(ranking)


def top(classifier: IntentClassifier, text: str) -> tuple[str, float]:
    return classifier.ranking(text)[0]


def test_fold_symbols_keeps_yes_and_no_marks_apart():
    assert fold_symbols("🙅‍♀️") != fold_symbols("🙆‍♀️")
    assert fold_symbols("🙅\u2640\ufe0f") == fold_symbols("🙅🏽") == "🙅"
    assert {fold_symbols(x) for x in "✕✖❌×"} == {"×"}
    assert fold_symbols("⭕️です") == "○です"
    assert fold_symbols("二〇二六年") == "二〇二六年"  # the kanji zero is not a circle mark


def test_gendered_emoji_answer_gets_the_plain_one_s_features(classifier):
    assert classifier.featurizer.features("🙅‍♀️") == classifier.featurizer.features("🙅")
    assert classifier.featurizer.features("✖") == classifier.featurizer.features("❌")


def test_unseen_words_lower_the_confidence(classifier):
    known = "ありがとう"
    padded = known + "、量子コンピューターの超伝導ジョセフソン接合"
    assert top(classifier, known)[0] == "thanks"
    assert top(classifier, padded)[1] < top(classifier, known)[1] - 0.2


def test_without_unknown_mass_unseen_words_are_ignored(classifier):
    """What a model persisted before the option did: unseen features dropped, nothing else changes."""
    legacy = IntentClassifier(classifier.featurizer, classifier.labels, classifier.vocabulary, classifier.idf,
                              classifier.weights, classifier.bias, classifier.threshold,
                              temperature=classifier.temperature, unknown_idf=None)
    assert as_dict(legacy.ranking("ありがとう")) == pytest.approx(as_dict(classifier.ranking("ありがとう")))
    assert top(legacy, "ありがとう、量子ジョセフソン")[1] > top(classifier, "ありがとう、量子ジョセフソン")[1]


def test_process_falls_back_below_the_threshold(classifier):
    result = classifier.process("量子コンピューターの超伝導ジョセフソン接合の仕組み")
    assert result["intent"] == {"name": FALLBACK_INTENT, "confidence": classifier.threshold}
    assert classifier.process("ありがとうございました")["intent"]["name"] == "thanks"


def test_temperature_sharpens_without_changing_the_order(training_data, morphology):
    soft = IntentClassifier.train(training_data, morphology, temperature=1.0)
    sharp = IntentClassifier.train(training_data, morphology, temperature=5.0)
    text = "スプレー缶の捨て方"
    assert [n for n, _ in soft.ranking(text)] == [n for n, _ in sharp.ranking(text)]
    assert top(sharp, text)[1] > top(soft, text)[1]


def test_logistic_regression_remains_available(training_data, morphology):
    clf = IntentClassifier.train(training_data, morphology, classifier="logreg")
    assert clf.temperature == 1.0
    assert top(clf, "ありがとうございました")[0] == "thanks"
    with pytest.raises(ValueError, match="classifier"):
        IntentClassifier.train(training_data, morphology, classifier="forest")


def test_persist_keeps_temperature_and_unknown_mass(classifier, morphology, tmp_path, training_data):
    classifier.persist(tmp_path)
    meta = json.loads((tmp_path / "intent_classifier.json").read_text(encoding="utf-8"))
    assert meta["temperature"] == classifier.temperature and meta["unknown_idf"] == classifier.unknown_idf
    loaded = IntentClassifier.load(tmp_path, morphology, training_data.lookups, training_data.regexes)
    for text in ["こんにちは", "ありがとう、量子ジョセフソン", "🙅‍♀️"]:
        assert as_dict(loaded.ranking(text)) == pytest.approx(as_dict(classifier.ranking(text)))


def test_model_directory_without_the_new_keys_loads_as_before(classifier, morphology, tmp_path, training_data):
    classifier.persist(tmp_path)
    path = tmp_path / "intent_classifier.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    del meta["temperature"], meta["unknown_idf"]
    path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    old = IntentClassifier.load(tmp_path, morphology, training_data.lookups, training_data.regexes)
    assert old.temperature == 1.0 and old.unknown_idf is None
    assert top(old, "ありがとうございました")[0] == "thanks"


def test_evaluate_heldout_scores_unseen_sentences_and_out_of_scope(training_data, morphology):
    heldout = TrainingData.from_yaml(
        'version: "3.1"\nnlu:\n'
        "- intent: thanks\n  examples: |\n    - 本当にありがとうございました\n    - こんにちは\n"
        "- intent: out_of_scope\n  examples: |\n    - 量子コンピューターの超伝導ジョセフソン接合の仕組み\n",
        "inline")
    report = evaluate_heldout(training_data, heldout, morphology=morphology)
    assert report["examples"] == 2 and report["intent_accuracy"] == 0.5
    assert report["out_of_scope"] == 1 and report["out_of_scope_fallback_rate"] == 1.0
    assert [(e["text"], e["gold"]) for e in report["errors"]] == [("こんにちは", "thanks")]


def _key(text: str) -> str:
    return re.sub(r"[、。！？!?,.\s〜~…]", "", fold_kana(text))


def test_demo_training_data_has_no_repeats_contradictions_or_heldout_sentences():
    """Guards the honesty of `python -m nlu evaluate` on the demo town: an example that appears twice
    (or once per intent) would be scored against itself across folds."""
    data = load_training_data(CONTENT)
    texts = [e.text.strip() for e in data.examples]
    assert len(texts) == len(set(texts)), "an example is repeated verbatim"
    by_key: dict[str, set[str]] = {}
    for e in data.examples:
        by_key.setdefault(_key(e.text), set()).add(e.intent)
    contradictions = {k: v for k, v in by_key.items() if len(v) > 1}
    assert not contradictions
    heldout = load_training_data(FIXTURES / "intent_heldout.yml")
    leaked = [e.text for e in heldout.examples if _key(e.text) in by_key]
    assert not leaked, f"held-out sentences in the training data: {leaked}"
