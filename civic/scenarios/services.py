"""Scenarios: validate, create / edit the draft, publish, import and export YAML, find at run time.

A tree (both the draft and the published version) is a plain dict::

    {"title": "引っ越しの手続き", "keywords": ["引っ越し"], "start": "root",
     "nodes": {"root": {"messages": ["…"], "options": [{"label": "…", "next": "within"},
                                                       {"label": "…", "faq": "faq-017"},
                                                       {"label": "…", "url": "https://…"},
                                                       {"label": "…", "flow": "garbage"}]}}}

Each option leads to exactly one of: another node (``next``), an FAQ answer (``faq``), a web page
(``url``) or a flow (``flow``). Problems are reported with the field path and a Japanese reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.scenarios.models import Scenario
from civic.urls import https_problem

FLOWS = ("garbage", "facility", "report", "faq", "booking", "procedure")
TARGETS = ("next", "faq", "url", "flow")
MAX_NODES = 200
MAX_OPTIONS = 12  # quick replies: 13 at most, one kept for 「やめる」
MAX_LABEL = 20
MAX_MESSAGES = 3
MAX_MESSAGE = 1000
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_NODE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True)
class Problem:
    field: str
    message: str


class ScenarioError(ValueError):
    def __init__(self, problems: list[Problem], code: str = "invalid_scenario") -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems
        self.code = code


def validate_tree(tree: Any, *, faq_ids: Iterable[str] | None = None) -> list[Problem]:
    """Every problem of the tree (empty when it can be published)."""
    if not isinstance(tree, dict):
        return [Problem("", "シナリオは start と nodes を持つオブジェクトにしてください。")]
    out: list[Problem] = []
    known_faq = set(faq_ids) if faq_ids is not None else None
    nodes = tree.get("nodes")
    if not isinstance(nodes, dict) or not nodes:
        return [Problem("nodes", "ノードが1つもありません。")]
    if len(nodes) > MAX_NODES:
        out.append(Problem("nodes", f"ノードは{MAX_NODES}個までです（{len(nodes)}個あります）。"))
    start = tree.get("start")
    if start not in nodes:
        out.append(Problem("start", f"開始ノード「{start}」が nodes にありません。"))
    keywords = tree.get("keywords") or []
    if not isinstance(keywords, list) or not all(isinstance(k, str) and 0 < len(k.strip()) <= 30 for k in keywords):
        out.append(Problem("keywords", "キーワードは30文字以内の文字列の一覧にしてください。"))
    for name, node in nodes.items():
        where = f"nodes.{name}"
        if not isinstance(name, str) or not _NODE.match(name):
            out.append(Problem(where, "ノード名は英数字・_・- の40文字以内にしてください。"))
        if not isinstance(node, dict):
            out.append(Problem(where, "ノードは messages と options を持つオブジェクトにしてください。"))
            continue
        messages = node.get("messages")
        if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_MESSAGES:
            out.append(Problem(f"{where}.messages", f"メッセージは1〜{MAX_MESSAGES}件にしてください。"))
        else:
            for i, text in enumerate(messages):
                if not isinstance(text, str) or not text.strip() or len(text) > MAX_MESSAGE:
                    out.append(Problem(f"{where}.messages[{i}]", f"メッセージは1〜{MAX_MESSAGE}文字にしてください。"))
        options = node.get("options") or []
        if not isinstance(options, list) or len(options) > MAX_OPTIONS:
            out.append(Problem(f"{where}.options", f"選択肢は{MAX_OPTIONS}個までです。"))
            continue
        labels: set[str] = set()
        for i, option in enumerate(options):
            at = f"{where}.options[{i}]"
            if not isinstance(option, dict):
                out.append(Problem(at, "選択肢は label と行き先を持つオブジェクトにしてください。"))
                continue
            label = option.get("label")
            if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL:
                out.append(Problem(f"{at}.label", f"ボタンの文字は1〜{MAX_LABEL}文字にしてください。"))
            elif label in labels:
                out.append(Problem(f"{at}.label", f"ボタン「{label}」が同じノードに2つあります。"))
            else:
                labels.add(label)
            targets = [t for t in TARGETS if option.get(t)]
            if len(targets) != 1:
                out.append(Problem(at, "行き先（next / faq / url / flow）をちょうど1つ指定してください。"))
                continue
            target = targets[0]
            value = option[target]
            if target == "next" and value not in nodes:
                out.append(Problem(f"{at}.next", f"行き先のノード「{value}」がありません。"))
            elif target == "faq" and known_faq is not None and value not in known_faq:
                out.append(Problem(f"{at}.faq", f"FAQ「{value}」がありません。"))
            elif target == "url" and (problem := https_problem(value)):
                out.append(Problem(f"{at}.url", problem))
            elif target == "flow" and value not in FLOWS:
                out.append(Problem(f"{at}.flow", f"フローは {', '.join(FLOWS)} のいずれかにしてください。"))
    if start in nodes and not out:
        reachable, todo = set(), [start]
        while todo:
            n = todo.pop()
            if n in reachable:
                continue
            reachable.add(n)
            todo += [o["next"] for o in nodes[n].get("options") or [] if o.get("next")]
        for name in nodes:
            if name not in reachable:
                out.append(Problem(f"nodes.{name}", "開始ノードからたどり着けないノードです。"))
    return out


def _tree(data: dict[str, Any]) -> dict[str, Any]:
    return {"start": data.get("start"), "keywords": list(data.get("keywords") or []), "nodes": data.get("nodes") or {}}


async def get_by_key(session: AsyncSession, key: str) -> Scenario | None:
    return (await session.exec(select(Scenario).where(Scenario.key == key))).first()


async def create(session: AsyncSession, data: dict[str, Any], *, staff: str, now: datetime,
                 faq_ids: Iterable[str] | None = None) -> Scenario:
    key = str(data.get("key") or "")
    if not _KEY.match(key):
        raise ScenarioError([Problem("key", "キーは英小文字・数字・_・- の40文字以内にしてください。")])
    if await get_by_key(session, key) is not None:
        raise ScenarioError([Problem("key", f"キー「{key}」のシナリオはすでにあります。")], "duplicate_key")
    tree = _tree(data)
    problems = validate_tree(tree, faq_ids=faq_ids)
    if problems:
        raise ScenarioError(problems)
    row = Scenario(key=key, title=_title(data), draft=tree, updated_at=now, updated_by=staff)
    session.add(row)
    await session.flush()
    return row


def _title(data: dict[str, Any]) -> str:
    title = str(data.get("title") or "").strip()
    if not title or len(title) > 100:
        raise ScenarioError([Problem("title", "タイトルは1〜100文字にしてください。")])
    return title


async def update_draft(session: AsyncSession, scenario: Scenario, data: dict[str, Any], *, staff: str, now: datetime,
                       faq_ids: Iterable[str] | None = None) -> Scenario:
    tree = _tree(data)
    problems = validate_tree(tree, faq_ids=faq_ids)
    if problems:
        raise ScenarioError(problems)
    scenario.title = _title(data)
    scenario.draft = tree
    scenario.draft_version += 1
    scenario.updated_at, scenario.updated_by = now, staff
    session.add(scenario)
    return scenario


async def publish(session: AsyncSession, scenario: Scenario, *, staff: str, now: datetime,
                  faq_ids: Iterable[str] | None = None) -> Scenario:
    problems = validate_tree(scenario.draft, faq_ids=faq_ids)
    if problems:
        raise ScenarioError(problems)
    scenario.published = dict(scenario.draft)
    scenario.published_version = scenario.draft_version
    scenario.published_at, scenario.published_by = now, staff
    session.add(scenario)
    return scenario


async def unpublish(session: AsyncSession, scenario: Scenario) -> Scenario:
    scenario.published = None
    scenario.published_version = None
    scenario.published_at = None
    session.add(scenario)
    return scenario


def export_yaml(scenario: Scenario, *, version: str = "draft") -> str:
    tree = scenario.draft if version == "draft" else scenario.published
    if tree is None:
        raise ScenarioError([Problem("version", "公開中の版がありません。")], "not_published")
    doc = {"key": scenario.key, "title": scenario.title, **tree}
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120)


MAX_YAML_DEPTH = 32


class _StaffYaml(yaml.SafeLoader):
    """Safe YAML without aliases (a few hundred bytes of ``*a`` can stand for billions of nodes)
    and at most ``MAX_YAML_DEPTH`` levels deep (PyYAML recurses per level)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise _Refused("YAML の別名（*）は使えません", self.peek_event().start_mark)
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _Refused(f"入れ子は{MAX_YAML_DEPTH}段までです", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Refused(yaml.YAMLError):
    def __init__(self, reason: str, mark: Any) -> None:
        super().__init__(reason)
        self.reason, self.problem_mark = reason, mark


def parse_yaml(text: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_StaffYaml)  # a SafeLoader
    except _Refused as exc:
        raise ScenarioError([Problem("yaml", f"YAML を読めません（{exc.problem_mark.line + 1}行目: {exc.reason}）。")],
                            "invalid_yaml") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{mark.line + 1}行目" if mark is not None else ""
        raise ScenarioError([Problem("yaml", f"YAML を読めません{('（' + where + '）') if where else ''}。")],
                            "invalid_yaml") from None
    if not isinstance(data, dict):
        raise ScenarioError([Problem("yaml", "YAML の最上位は key・title・start・nodes を持つ対応表にしてください。")],
                            "invalid_yaml")
    return data


async def import_yaml(session: AsyncSession, text: str, *, staff: str, now: datetime,
                      faq_ids: Iterable[str] | None = None) -> tuple[Scenario, bool]:
    """Create the scenario, or replace the draft of the one with the same key. Returns (row, created)."""
    data = parse_yaml(text)
    existing = await get_by_key(session, str(data.get("key") or ""))
    if existing is None:
        return await create(session, data, staff=staff, now=now, faq_ids=faq_ids), True
    return await update_draft(session, existing, data, staff=staff, now=now, faq_ids=faq_ids), False


def read_directory(directory: str | Path) -> list[str]:
    """The YAML texts of ``content/<town>/dialogues/scenarios/*.yml`` (read before a transaction)."""
    return [p.read_text(encoding="utf-8") for p in sorted(Path(directory).glob("*.yml"))]


async def seed(session: AsyncSession, documents: Iterable[str], *, now: datetime, publish_all: bool = True,
               faq_ids: Iterable[str] | None = None) -> list[str]:
    """Scenarios from content files whose key is not in the database yet (idempotent)."""
    created = []
    for text in documents:
        data = parse_yaml(text)
        if await get_by_key(session, str(data.get("key") or "")) is not None:
            continue
        row = await create(session, data, staff="content", now=now, faq_ids=faq_ids)
        if publish_all:
            await publish(session, row, staff="content", now=now, faq_ids=faq_ids)
        created.append(row.key)
    return created


@dataclass(frozen=True)
class Runnable:
    """The version of a scenario a citizen gets: the published one, or the draft for test accounts."""

    key: str
    title: str
    version: str  # "published:<n>" | "draft:<n>"
    tree: dict[str, Any]


def runnable(scenario: Scenario, *, tester: bool) -> Runnable | None:
    if tester:
        return Runnable(scenario.key, scenario.title, f"draft:{scenario.draft_version}", scenario.draft)
    if scenario.published is None:
        return None
    return Runnable(scenario.key, scenario.title, f"published:{scenario.published_version}", scenario.published)


async def find(session: AsyncSession, key: str, *, tester: bool) -> Runnable | None:
    row = await get_by_key(session, key)
    return runnable(row, tester=tester) if row is not None else None


async def match_keyword(session: AsyncSession, text: str, *, tester: bool,
                        fold: Callable[[str], str] = lambda s: s) -> Runnable | None:
    """The scenario whose keyword the text contains (the longest keyword wins)."""
    t = fold(text)
    best: tuple[int, Runnable] | None = None
    for row in (await session.exec(select(Scenario).order_by(col(Scenario.id)))).all():
        run = runnable(row, tester=tester)
        if run is None:
            continue
        for word in run.tree.get("keywords") or []:
            w = fold(word)
            if w and w in t and (best is None or len(w) > best[0]):
                best = (len(w), run)
    return best[1] if best else None
