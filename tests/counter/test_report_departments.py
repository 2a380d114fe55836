"""The operations report by department (担当課別, 小郡市 spec (4) j): a 届書 counts for the 課 of its kind
and for the 課 of every related form made from it, with the mean reception time of those 届書."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from civic.counter.departments import UNSET, DepartmentsProblem, load_departments, parse_departments
from civic.counter.related import load_templates
from tests.counter.conftest import TOWN, Counter, tennyu


async def _finish(counter: Counter, body: dict, related: tuple[str, ...] = (), minutes: int = 0) -> None:
    made = await counter.call("POST", "/counter/forms", json=body, expect=201)
    for template in related:
        await counter.call("POST", f"/counter/forms/{made['id']}/related", json={"template": template}, expect=201)
    counter.clock.advance(timedelta(minutes=minutes))
    await counter.call("PATCH", f"/counter/forms/{made['id']}", json={"status": "review"}, expect=200)
    await counter.call("PATCH", f"/counter/forms/{made['id']}", json={"status": "done"}, expect=200)


async def test_report_by_department(counter: Counter) -> None:
    await _finish(counter, tennyu(), ("kokuho-shutoku", "juminhyo", "jido-teate", "kodomo-iryo"), minutes=30)
    await _finish(counter, tennyu(kind="tenkyo"), minutes=10)
    await counter.call("POST", "/counter/forms", json=tennyu(), expect=201)  # not finished: not counted
    figures = await counter.call("GET", "/counter/report")
    rows = {r["key"]: r for r in figures["department"]}
    assert [r["key"] for r in figures["department"]] == ["市民課", "保険年金課", "子育て支援課"]  # the town's order
    assert rows["市民課"] == {"key": "市民課", "count": 2, "mean_minutes": 20.0, "todoke": 2, "related": 1}
    assert rows["保険年金課"] == {"key": "保険年金課", "count": 1, "mean_minutes": 30.0, "todoke": 0, "related": 1}
    # two forms of one 課 from one 届書: one 届書, two related forms
    assert rows["子育て支援課"] == {"key": "子育て支援課", "count": 1, "mean_minutes": 30.0, "todoke": 0, "related": 2}
    csv = (await counter.call("GET", "/counter/report", params={"format": "csv"})).decode("utf-8-sig")
    assert csv.splitlines()[0] == "集計,区分,件数,平均受付時間（分）,届出,関連申請書"
    assert "担当課別,子育て支援課,1,30.0,0,2" in csv.splitlines()
    assert "日別,2026-12-04,2,20.0,," in csv.splitlines()


async def test_report_csv_cells_never_start_a_formula(counter: Counter) -> None:
    body = tennyu()
    body["household"]["origin"] = '=HYPERLINK("http://evil.example/","x")'
    await _finish(counter, body)
    csv = (await counter.call("GET", "/counter/report", params={"format": "csv"})).decode("utf-8-sig")
    line = next(x for x in csv.splitlines() if x.startswith("転入前の市区町村別"))
    assert "'=HYPERLINK" in line


def test_the_demo_town_names_a_department_for_every_kind_and_form() -> None:
    related = load_templates(TOWN / "counter" / "related")
    departments = load_departments(TOWN / "counter" / "departments.json", set(related))
    from civic.counter.forms import KINDS

    assert all(departments.of_kind(k) != UNSET for k in KINDS)
    assert all(departments.of_related(k) != UNSET for k in related)
    assert departments.of_related("kokuho-shutoku") == "保険年金課" and departments.of_related(None) == UNSET


def test_a_wrong_configuration_names_the_department_and_key(tmp_path: Path) -> None:
    cases = [
        ({"departments": {"市民課": {"kinds": ["tennyu", "passport"]}}}, "departments.市民課.kinds: passport はありません"),
        ({"departments": {"市民課": {"related": ["juminhyo"]}, "税務課": {"related": ["juminhyo"]}}},
         "departments.税務課.related: juminhyo は 市民課 にもあります"),
        ({"departments": {"市民課": {"related": ["nothing"]}}}, "departments.市民課.related: nothing はありません"),
        ({"departments": {"市民課": {"kind": ["tennyu"]}}}, "departments.市民課: kinds と related だけ"),
        ({"departments": {"市民課": {"kinds": "tennyu"}}}, "departments.市民課.kinds: 文字列のリスト"),
        ({"departments": []}, "departments:"),
    ]
    for raw, words in cases:
        with pytest.raises(DepartmentsProblem) as exc:
            parse_departments(raw, {"juminhyo"})
        assert words in str(exc.value), (words, str(exc.value))
    path = tmp_path / "departments.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(DepartmentsProblem, match="JSON として読めません"):
        load_departments(path)
    assert load_departments(tmp_path / "none.json").of_kind("tennyu") == UNSET  # not configured: all unset
