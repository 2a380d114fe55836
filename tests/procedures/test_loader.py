"""Staff edit the trees: every mistake is reported with the file, the path, the line and the reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from civic.procedures.loader import ContentError, load_content
from tests.procedures.conftest import CONTENT_DIR


@pytest.fixture
def town_dir(tmp_path: Path) -> Path:
    target = tmp_path / "procedures"
    shutil.copytree(CONTENT_DIR, target)
    for extra in (target / "events").glob("*.yaml"):
        if extra.name != "shomei.yaml":
            extra.unlink()
    return target


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(ContentError) as exc:
        load_content(directory)
    return [str(p) for p in exc.value.problems]


def write_event(directory: Path, text: str) -> None:
    (directory / "events" / "broken.yaml").write_text(text, encoding="utf-8")


BASE = """code: broken
title: 壊れた例
label: 例
questions:
{questions}
procedures:
{procedures}
"""
Q_OK = """  - id: first
    text: 最初の質問
    options:
      - {value: a, label: A}
      - {value: b, label: B}"""
P_OK = "  - code: 171"


def test_the_copied_content_loads(town_dir: Path) -> None:
    assert set(load_content(town_dir).events) == {"shomei"}


def test_a_long_label_names_file_path_line_and_length(town_dir: Path) -> None:
    write_event(town_dir, BASE.format(questions=Q_OK.replace("label: B", "label: " + "あ" * 21), procedures=P_OK))
    [problem] = problems_of(town_dir)
    assert problem.startswith("events/broken.yaml: questions[0].options[1].label (")
    assert "20文字以内" in problem and "21文字" in problem and "行目" in problem


@pytest.mark.parametrize(("questions", "procedures", "fragment"), [
    (Q_OK + "\n    wehn: {first: a}", P_OK, "questions[0].wehn"),
    (Q_OK + "\n    when: {later: a}", P_OK, "前の質問だけを条件にできます"),
    (Q_OK, P_OK + "\n    when: {first: c}", "選択肢 c はありません"),
    (Q_OK, "  - code: 999", "手続きコード 999 は catalogue.yaml にありません"),
    (Q_OK, P_OK + "\n    deadline_from: first", "first は日付の質問ではありません"),
    (Q_OK + "\n" + Q_OK, P_OK, "質問ID first が重複しています"),
    ("  - id: only\n    text: 一つだけ\n    options:\n      - {value: a, label: A}", P_OK, "2つ以上"),
    ("  - id: d\n    text: 日付\n    kind: date\n    options:\n      - {value: a, label: A}\n      - {value: b, label: B}",
     P_OK, "日付の質問に選択肢は書けません"),
    (Q_OK + "\n    when: [first]", P_OK, "質問ID: 回答"),
    ("  - id: All\n    text: 大文字\n    kind: date", P_OK, "質問IDは英小文字"),
])
def test_mistakes_are_reported_precisely(town_dir: Path, questions: str, procedures: str, fragment: str) -> None:
    write_event(town_dir, BASE.format(questions=questions, procedures=procedures))
    problems = problems_of(town_dir)
    assert any(fragment in p and p.startswith("events/broken.yaml") for p in problems), problems


def test_a_fourth_level_is_refused(town_dir: Path) -> None:
    def level(n: int, indent: str) -> str:
        q = (f"{indent}- id: q{n}\n{indent}  text: 質問{n}\n{indent}  options:\n"
             f"{indent}    - value: a\n{indent}      label: A\n")
        if n < 4:
            q += f"{indent}      then:\n" + level(n + 1, indent + "        ")
        return q + f"{indent}    - {{value: b, label: B}}\n"
    write_event(town_dir, BASE.format(questions=level(1, "  ").rstrip("\n"), procedures=P_OK))
    problems = problems_of(town_dir)
    assert any("3階層まで" in p and "then" in p for p in problems), problems


def test_yaml_syntax_errors_have_a_line(town_dir: Path) -> None:
    write_event(town_dir, "code: broken\nquestions: [\n  - oops")
    [problem] = problems_of(town_dir)
    assert problem.startswith("events/broken.yaml") and "YAML" in problem and "行目" in problem


def test_catalogue_and_town_mistakes(town_dir: Path) -> None:
    catalogue = (town_dir / "catalogue.yaml").read_text(encoding="utf-8")
    (town_dir / "catalogue.yaml").write_text(catalogue.replace("counter: zeimu", "counter: nowhere", 1),
                                             encoding="utf-8")
    town = (town_dir / "town.yaml").read_text(encoding="utf-8")
    (town_dir / "town.yaml").write_text(town.replace("theme: green", "theme: orange"), encoding="utf-8")
    problems = problems_of(town_dir)
    assert any(p.startswith("catalogue.yaml") and "窓口 nowhere は town.yaml にありません" in p for p in problems)
    assert any(p.startswith("town.yaml: theme") for p in problems)


def test_yes_and_no_are_read_as_answers_not_booleans(town_dir: Path) -> None:
    write_event(town_dir, BASE.format(
        questions="  - id: first\n    text: はい？\n    options:\n      - {value: yes, label: はい}\n      - {value: no, label: いいえ}",
        procedures="  - code: 171\n    when: {first: yes}"))
    event = load_content(town_dir).event("broken")
    assert [o.value for o in event.questions[0].options] == ["yes", "no"]
    assert event.procedures[0].when.holds({"first": "yes"})


def test_the_check_command_reports_problems(town_dir: Path, capsys) -> None:
    from civic.procedures.__main__ import main

    assert main(["check", str(town_dir)]) == 0
    assert "OK: みどり町" in capsys.readouterr().out
    write_event(town_dir, BASE.format(questions=Q_OK, procedures="  - code: 999"))
    assert main(["check", str(town_dir)]) == 1
    assert "events/broken.yaml: procedures[0].code" in capsys.readouterr().err
