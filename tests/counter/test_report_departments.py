"""The operations report by department (担当課別, 小郡市 spec (4) j): a 届書 counts for the 課 of its kind
and for the 課 of every related form made from it, with the mean reception time of those 届書."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from civic.counter.departments import UNSET, DepartmentsProblem, load_departments, parse_departments
from civic.counter.related import load_templates
from civic.counter.report import template_of
from tests.conftest import PG_SERVER, _admin
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


async def test_renaming_a_template_keeps_older_forms_with_their_department(counter: Counter) -> None:
    """The related form's template key is stored: the town renaming 「国民健康保険 資格取得届」 in its files (a
    new title read at the next start) leaves the forms made before under 保険年金課, not 未設定."""
    assert counter.desk is not None
    await _finish(counter, tennyu(), ("kokuho-shutoku",), minutes=30)
    made = await counter.call("GET", "/counter/forms", params={"q": "山田"})
    listed = await counter.call("GET", f"/counter/forms/{made[0]['id']}/related")
    assert {m["template"] for m in listed["made"]} == {"kokuho-shutoku"}
    old = counter.desk.related["kokuho-shutoku"]
    counter.desk.related["kokuho-shutoku"] = dataclasses.replace(old, title="国民健康保険 加入届（新様式）")
    rows = {r["key"]: r for r in (await counter.call("GET", "/counter/report"))["department"]}
    assert rows["保険年金課"]["related"] == 1 and UNSET not in rows
    # what the label alone would give after the rename: nothing (the old way put it under 未設定)
    label = next(m["label"] for m in listed["made"] if m["kind"] == "related")
    assert template_of(label, {t.title: t.key for t in counter.desk.related.values()}) is None


@pytest.fixture(params=["sqlite", "postgresql"])
def bare_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, not migrated (a migration is tested from where it starts)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'counter.db'}"
        return
    name = f"madoguchi_migration_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _run(url: str, statements: list[tuple[str, dict[str, Any]]], query: str = "") -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for sql, params in statements:
                await conn.execute(sa.text(sql), params)
            return list((await conn.execute(sa.text(query))).all()) if query else []
    finally:
        await engine.dispose()


def test_the_migration_fills_the_key_of_older_forms_from_their_label(bare_database: str, monkeypatch: Any) -> None:
    """``counter_0003`` on a database made before it, SQLite and PostgreSQL: the rows whose label starts with a
    template's title (the longest that fits) get its key; others keep "" (the report then matches their label)."""
    from alembic import command

    from bot.migrate import alembic_config

    monkeypatch.setenv("CONTENT_DIR", "content")
    monkeypatch.setenv("TOWN", "midori")
    cfg = alembic_config(bare_database)
    command.upgrade(cfg, "counter_0002")
    labels = {1: "住民票の写し等交付申請書（山田太郎）", 2: "住民票記載事項証明書交付申請書（山田花子）",
              3: "国民健康保険 資格取得届（山田太郎）", 4: "昔の様式（山田太郎）", 5: "山田太郎の届書"}
    kinds = {1: "related", 2: "related-xlsx", 3: "related", 4: "related", 5: "form"}
    titles = {t.title: t.key for t in load_templates(TOWN / "counter" / "related").values()}
    at = "'2026-12-04 01:00:00+00:00'"
    rows = [("INSERT INTO counter_form (id, number, kind, status, origin, source, data, search_text, created_at, "
             f"created_by, updated_at, updated_by) VALUES (1, '2026-1', 'tennyu', 'done', '', 'typed', 'x', 'x', {at}, "
             f"'k', {at}, 'k')", {})]
    rows += [("INSERT INTO counter_document (id, form_id, kind, label, \"full\", masked, size, created_at, created_by) "
              f"VALUES (:id, 1, :kind, :label, 'x', 'x', 1, {at}, 'k')", {"id": i, "kind": kinds[i], "label": label})
             for i, label in labels.items()]
    asyncio.run(_run(bare_database, rows))
    command.upgrade(cfg, "counter_0003")
    got = dict(asyncio.run(_run(bare_database, [], "SELECT id, template FROM counter_document")))
    assert got == {1: titles["住民票の写し等交付申請書"], 2: titles["住民票記載事項証明書交付申請書"],
                   3: titles["国民健康保険 資格取得届"], 4: "", 5: ""}


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
