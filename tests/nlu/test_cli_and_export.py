import io
import json
from pathlib import Path

import yaml

from nlu import load_training_data
from nlu.cli import main
from nlu.rasa_export import export_rasa_project

FIXTURES = Path(__file__).parent / "fixtures"


def test_train_then_parse_text_and_stdin(tmp_path, capsys, monkeypatch):
    model = tmp_path / "model"
    assert main(["train", "--data", str(FIXTURES / "nlu.yml"), "--out", str(model)]) == 0
    err = capsys.readouterr().err
    assert "featurizing" in err and (model / "metadata.json").is_file()

    assert main(["parse", "明日10時に体育館", "--model", str(model), "--now", "2026-11-21T10:00", "--compact"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["intent"]["name"] == "booking_make"
    assert {e["value"] for e in out["entities"]} >= {"2026-11-22", "10:00", "体育館"}

    monkeypatch.setattr("sys.stdin", io.StringIO("こんにちは\nありがとう\n\n"))
    assert main(["parse", "--model", str(model)]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["intent"]["name"] for x in lines] == ["greet", "thanks", "nlu_fallback"]


def test_evaluate_prints_accuracy_tables(capsys):
    assert main(["evaluate", "--data", str(FIXTURES / "nlu.yml"), "--folds", "3"]) == 0
    out = capsys.readouterr().out
    assert "intent accuracy:" in out and "entity F1:" in out and "gold \\ predicted" in out
    assert main(["evaluate", "--data", str(FIXTURES / "nlu.yml"), "--folds", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert 0.5 <= report["intent_accuracy"] <= 1.0
    assert sum(sum(row.values()) for row in report["confusion"].values()) == report["examples"]


def test_evaluate_heldout_trains_on_data_and_scores_the_other_file(tmp_path, capsys):
    held = tmp_path / "held.yml"
    held.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - こんにちはー、はじめまして\n'
                    "- intent: out_of_scope\n  examples: |\n    - 量子コンピューターの超伝導ジョセフソン接合\n",
                    encoding="utf-8")
    args = ["evaluate", "--data", str(FIXTURES / "nlu.yml"), "--heldout", str(held)]
    assert main([*args, "--errors"]) == 0
    out = capsys.readouterr().out
    assert "held-out examples: 1  intent accuracy: 1.0000" in out and "fallback rate: 1.0000" in out
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["out_of_scope"] == 1 and report["errors"] == []


def test_eval_faq_and_garbage_print_one_json_line(capsys):
    assert main(["eval-faq", "--corpus", str(FIXTURES / "beir_corpus.jsonl"), "--queries",
                 str(FIXTURES / "beir_queries.jsonl"), "--qrels", str(FIXTURES / "beir_qrels.tsv"), "--baseline"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    report = json.loads(line)
    assert report["queries"] == 3 and report["hit@3"] == 1.0 and "hit@5" in report["baseline_tfidf"]

    assert main(["eval-garbage", "--dictionary", str(FIXTURES / "target.csv"), "--queries",
                 str(FIXTURES / "garbage_queries.tsv")]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line) == {"queries": 4, "top1": 1.0, "top3": 1.0, "wrong_category": {
        "queries": 4, "wrong_category": 0.0, "found": 1.0, "ambiguous": 0.0, "none": 0.0}}


def test_missing_model_dir_falls_back_to_training_and_bad_paths_exit_2(tmp_path, capsys):
    assert main(["parse", "こんにちは", "--model", str(tmp_path / "none"), "--data", str(FIXTURES / "nlu.yml")]) == 0
    assert json.loads(capsys.readouterr().out)["intent"]["name"] == "greet"
    assert main(["evaluate", "--data", str(tmp_path / "missing")]) == 2


def test_export_rasa_project(tmp_path, training_data):
    files = export_rasa_project(training_data, tmp_path / "rasa")
    assert {p.name for p in files} == {"config.yml", "domain.yml", "nlu.yml"}
    config = yaml.safe_load((tmp_path / "rasa" / "config.yml").read_text(encoding="utf-8"))
    assert config["language"] == "ja"
    names = [c["name"] for c in config["pipeline"]]
    assert "SpacyTokenizer" in names and "FallbackClassifier" in names and "EntitySynonymMapper" in names
    domain = yaml.safe_load((tmp_path / "rasa" / "domain.yml").read_text(encoding="utf-8"))
    assert domain["intents"] == training_data.intents
    assert {"time": {"roles": ["end", "start"]}} in domain["entities"]
    again = load_training_data(tmp_path / "rasa" / "data" / "nlu.yml")
    assert again.examples == training_data.examples and again.synonyms == training_data.synonyms
