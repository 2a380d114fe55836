"""Loading and checking the procedure content staff edit (``content/<town>/procedures/``).

Every problem is reported at once, each with the file, the path inside it, the line and the
reason, in Japanese, so a staff member can fix a tree without reading Python::

    events/tennyu.yaml: questions[0].options[1].label (14行目): 20文字以内にしてください（23文字）
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from civic.procedures.conditions import KEYWORDS, Condition, ConditionError, parse_condition, scalar
from civic.procedures.tree import (
    LABEL_MAX,
    MAX_DEPTH,
    AddressRule,
    Conditional,
    Content,
    Counter,
    DateRange,
    DeadlineRule,
    HouseholdSpec,
    LifeEvent,
    Online,
    Option,
    Procedure,
    ProcedureUse,
    Question,
    Town,
)

_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_POSTAL = re.compile(r"^\d{7}$")
THEMES = ("blue", "red", "green", "yellow", "purple")


@dataclass(frozen=True)
class ContentProblem:
    file: str
    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f" ({self.line}行目)" if self.line else ""
        return f"{self.file}: {self.path or '(全体)'}{where}: {self.reason}"


class ContentError(ValueError):
    def __init__(self, problems: list[ContentProblem]) -> None:
        super().__init__("手続きナビの設定に誤りがあります:\n" + "\n".join(f"- {p}" for p in problems))
        self.problems = problems


class _Map(dict):
    line: int | None = None


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Map:
    result = _Map(loader.construct_mapping(node, deep=True))
    result.line = node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Checker:
    """Collects problems for one file; helpers return a safe default after recording one."""

    def __init__(self, file: str, problems: list[ContentProblem]) -> None:
        self.file, self.problems = file, problems

    def fail(self, path: str, reason: str, node: Any = None) -> None:
        self.problems.append(ContentProblem(self.file, path, reason, getattr(node, "line", None)))

    def mapping(self, node: Any, path: str, allowed: AbstractSet[str], required: AbstractSet[str] = frozenset()) -> dict:
        if not isinstance(node, dict):
            self.fail(path, "項目（キー: 値）の形で書いてください")
            return {}
        for key in node:
            if scalar(key) not in allowed:
                self.fail(f"{path}.{key}" if path else str(key),
                          f"知らない項目です（使える項目: {', '.join(sorted(allowed))}）", node)
        for key in sorted(required - {scalar(k) for k in node}):
            self.fail(f"{path}.{key}" if path else key, "必須の項目がありません", node)
        return node

    def text(self, node: dict, key: str, path: str, *, required: bool = True, max_len: int | None = None) -> str:
        value = node.get(key)
        where = f"{path}.{key}" if path else key
        if value is None:
            if required and key in node:
                self.fail(where, "空になっています", node)
            return ""
        if isinstance(value, (dict, list)):
            self.fail(where, "文字で書いてください", node)
            return ""
        value = scalar(value).strip()
        if required and not value:
            self.fail(where, "空になっています", node)
        if max_len is not None and len(value) > max_len:
            self.fail(where, f"{max_len}文字以内にしてください（{len(value)}文字）", node)
        return value

    def integer(self, node: dict, key: str, path: str, *, minimum: int = 0) -> int | None:
        value = node.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(f"{path}.{key}", f"{minimum}以上の整数で書いてください（{value!r}）", node)
            return None
        return value

    def items(self, node: dict, key: str, path: str, *, required: bool = False) -> list:
        value = node.get(key)
        if value is None:
            if required:
                self.fail(f"{path}.{key}" if path else key, "1件以上書いてください", node)
            return []
        if not isinstance(value, list):
            self.fail(f"{path}.{key}" if path else key, "リスト（- で始まる行）で書いてください", node)
            return []
        return value

    def condition(self, raw: Any, path: str, parent: Any = None) -> Condition | None:
        try:
            return parse_condition(raw, path)
        except ConditionError as exc:
            self.fail(exc.path, exc.reason, parent)
            return None


def _read(path: Path, root: Path, problems: list[ContentProblem]) -> Any:
    rel = str(path.relative_to(root))
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # a SafeLoader subclass
    except OSError as exc:
        problems.append(ContentProblem(rel, "", f"読み込めません: {exc.strerror}"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(ContentProblem(rel, "", f"YAML の書き方に誤りがあります: {getattr(exc, 'problem', exc)}",
                                       mark.line + 1 if mark else None))
    return None


def _town(c: _Checker, raw: Any) -> tuple[Town, dict[str, Counter], tuple[str, ...]]:
    doc = c.mapping(raw, "", {"code", "name", "address_prefix", "postal_codes", "office", "hours", "theme",
                               "emblem", "image", "phone", "counters", "relationships"},
                    {"code", "name", "address_prefix", "postal_codes", "office", "counters"})
    counters: dict[str, Counter] = {}
    for i, item in enumerate(c.items(doc, "counters", "", required=True)):
        p = f"counters[{i}]"
        m = c.mapping(item, p, {"code", "department", "window", "floor", "phone", "external", "note"},
                      {"code", "department"})
        code = c.text(m, "code", p)
        if code and not _ID.match(code):
            c.fail(f"{p}.code", "英小文字・数字・_ で書いてください", m)
        if code in counters:
            c.fail(f"{p}.code", f"窓口コード {code} が重複しています", m)
        external = bool(m.get("external", False))
        floor = c.integer(m, "floor", p, minimum=-5) if "floor" in m else None
        if not external and floor is None and m:
            c.fail(f"{p}.floor", "役場内の窓口には階（floor）を書いてください", m)
        counters[code] = Counter(code, c.text(m, "department", p), c.text(m, "window", p, required=False),
                                 floor, c.text(m, "phone", p, required=False), external,
                                 c.text(m, "note", p, required=False))
    postal: dict[str, str] = {}
    raw_postal = doc.get("postal_codes")
    if not isinstance(raw_postal, dict) or not raw_postal:
        c.fail("postal_codes", "町内の郵便番号と町名を「'8390801': 中央」の形で書いてください", doc)
    else:
        for code, area in raw_postal.items():
            code_text = str(code).replace("-", "")
            if not _POSTAL.match(code_text):
                c.fail(f"postal_codes.{code}", "郵便番号は7桁の数字で書いてください（文字列として 'で囲む）", raw_postal)
            postal[code_text] = "" if area is None else str(area)
    theme = c.text(doc, "theme", "", required=False) or "green"
    if theme not in THEMES:
        c.fail("theme", f"ベース色は {', '.join(THEMES)} のいずれかです", doc)
    relationships = tuple(str(r) for r in c.items(doc, "relationships", "")) or (
        "世帯主", "妻", "夫", "子", "父", "母", "祖父", "祖母", "孫", "兄弟姉妹", "その他")
    town = Town(c.text(doc, "code", ""), c.text(doc, "name", ""), c.text(doc, "address_prefix", ""), postal,
                c.text(doc, "office", ""), c.text(doc, "hours", "", required=False), theme,
                c.text(doc, "emblem", "", required=False), c.text(doc, "image", "", required=False),
                c.text(doc, "phone", "", required=False))
    return town, counters, relationships


def _catalogue(c: _Checker, raw: Any, counters: dict[str, Counter]) -> dict[int, Procedure]:
    doc = c.mapping(raw, "", {"procedures"}, {"procedures"})
    catalogue: dict[int, Procedure] = {}
    for i, item in enumerate(c.items(doc, "procedures", "", required=True)):
        p = f"procedures[{i}]"
        m = c.mapping(item, p, {"code", "name", "counter", "form", "prefilled", "bring", "deadline", "online",
                                "explanation"}, {"code", "name", "counter"})
        code = c.integer(m, "code", p, minimum=1)
        if code is not None and code in catalogue:
            c.fail(f"{p}.code", f"手続きコード {code} が重複しています", m)
        counter = c.text(m, "counter", p)
        if counter and counter not in counters:
            c.fail(f"{p}.counter", f"窓口 {counter} は town.yaml にありません", m)
        rule = None
        if m.get("deadline") is not None:
            d = c.mapping(m["deadline"], f"{p}.deadline", {"text", "days", "months", "first_day_counts"}, {"text"})
            days = c.integer(d, "days", f"{p}.deadline", minimum=1) or 0
            months = c.integer(d, "months", f"{p}.deadline", minimum=1) or 0
            if days and months:
                c.fail(f"{p}.deadline", "days と months はどちらか一方にしてください", d)
            rule = DeadlineRule(c.text(d, "text", f"{p}.deadline"), days, months, bool(d.get("first_day_counts")))
        online = []
        for j, o in enumerate(c.items(m, "online", p)):
            om = c.mapping(o, f"{p}.online[{j}]", {"name", "url", "note"}, {"name"})
            online.append(Online(c.text(om, "name", f"{p}.online[{j}]"),
                                 c.text(om, "url", f"{p}.online[{j}]", required=False),
                                 c.text(om, "note", f"{p}.online[{j}]", required=False)))
        if code is not None:
            catalogue[code] = Procedure(code, c.text(m, "name", p, max_len=40), counter,
                                        c.text(m, "form", p, required=False), bool(m.get("prefilled", False)),
                                        tuple(str(b) for b in c.items(m, "bring", p)), rule, tuple(online),
                                        c.text(m, "explanation", p, required=False))
    return catalogue


class _EventChecker:
    def __init__(self, c: _Checker, catalogue: dict[int, Procedure]) -> None:
        self.c, self.catalogue = c, catalogue
        self.seen: dict[str, Question] = {}  # questions in asking order, for condition checks

    def check_refs(self, cond: Condition | None, path: str, node: Any) -> None:
        for qid, values in (cond.references() if cond else []):
            question = self.seen.get(qid)
            if question is None:
                self.c.fail(path, f"条件の質問 {qid} は、これより前にありません（前の質問だけを条件にできます）", node)
            elif question.kind != "choice":
                self.c.fail(path, f"質問 {qid} は選択式ではないので条件にできません", node)
            else:
                for v in values:
                    if question.option(v) is None:
                        known = ", ".join(o.value for o in question.options)
                        self.c.fail(path, f"質問 {qid} に選択肢 {v} はありません（選択肢: {known}）", node)

    def questions(self, raw: list, path: str, depth: int) -> tuple[Question, ...]:
        if depth > MAX_DEPTH:
            self.c.fail(path, f"質問の階層は{MAX_DEPTH}階層までです")
            return ()
        return tuple(q for i, item in enumerate(raw) if (q := self.question(item, f"{path}[{i}]", depth)))

    def question(self, raw: Any, path: str, depth: int) -> Question | None:
        c = self.c
        m = c.mapping(raw, path, {"id", "text", "kind", "options", "help", "required", "when", "range"},
                      {"id", "text"})
        qid = c.text(m, "id", path)
        if qid and (not _ID.match(qid) or qid in KEYWORDS):
            c.fail(f"{path}.id", "質問IDは英小文字で始まる英小文字・数字・_（all/any/not 以外）にしてください", m)
        if qid in self.seen:
            c.fail(f"{path}.id", f"質問ID {qid} が重複しています", m)
        kind = c.text(m, "kind", path, required=False) or ("choice" if "options" in m else "date")
        if kind not in ("choice", "date"):
            c.fail(f"{path}.kind", "kind は choice（選択）か date（日付）です", m)
        when = c.condition(m.get("when"), f"{path}.when", m)
        self.check_refs(when, f"{path}.when", m)
        dates = DateRange()
        if "range" in m:
            r = c.mapping(m["range"], f"{path}.range", {"past_days", "future_days"})
            dates = DateRange(c.integer(r, "past_days", f"{path}.range"), c.integer(r, "future_days", f"{path}.range"))
        raw_options = c.items(m, "options", path, required=kind == "choice")
        if kind == "date" and raw_options:
            c.fail(f"{path}.options", "日付の質問に選択肢は書けません", m)
        if kind == "choice" and 0 < len(raw_options) < 2:
            c.fail(f"{path}.options", "選択肢は2つ以上にしてください", m)
        stub = Question(qid, c.text(m, "text", path), kind, (), c.text(m, "help", path, required=False),
                        bool(m.get("required", True)), when or parse_condition(None), dates)
        # The options are known before the follow-ups: follow-ups may refer to their parent.
        options: list[Option] = []
        pending: list[tuple[int, Any, dict]] = []
        for j, o in enumerate(raw_options if kind == "choice" else []):
            op = f"{path}.options[{j}]"
            om = c.mapping(o, op, {"value", "label", "then"}, {"value", "label"})
            value, label = c.text(om, "value", op), c.text(om, "label", op, max_len=LABEL_MAX)
            if any(x.value == value for x in options):
                c.fail(f"{op}.value", f"選択肢の値 {value} が重複しています", om)
            options.append(Option(value, label))
            pending.append((j, om.get("then"), om))
        question = Question(stub.id, stub.text, stub.kind, tuple(options), stub.help, stub.required, stub.when,
                            stub.dates)
        self.seen[qid] = question
        final: list[Option] = []
        for (j, then, om), option in zip(pending, options, strict=True):
            children: tuple[Question, ...] = ()
            if then is not None:
                if not isinstance(then, list) or not then:
                    c.fail(f"{path}.options[{j}].then", "続きの質問をリストで書いてください", om)
                else:
                    children = self.questions(then, f"{path}.options[{j}].then", depth + 1)
            final.append(Option(option.value, option.label, children))
        question = Question(question.id, question.text, question.kind, tuple(final), question.help,
                            question.required, question.when, question.dates)
        self.seen[qid] = question
        return question if qid else None

    def conditionals(self, raw: list, path: str) -> tuple[Conditional, ...]:
        out = []
        for k, item in enumerate(raw):
            if isinstance(item, dict):
                m = self.c.mapping(item, f"{path}[{k}]", {"text", "when"}, {"text"})
                cond = self.c.condition(m.get("when"), f"{path}[{k}].when", m)
                self.check_refs(cond, f"{path}[{k}].when", m)
                out.append(Conditional(self.c.text(m, "text", f"{path}[{k}]"), cond or parse_condition(None)))
            else:
                out.append(Conditional(scalar(item)))
        return tuple(out)

    def procedure(self, raw: Any, path: str) -> ProcedureUse | None:
        c = self.c
        m = c.mapping(raw, path, {"code", "when", "deadline_from", "bring", "notes"}, {"code"})
        code = c.integer(m, "code", path, minimum=1)
        if code is not None and code not in self.catalogue:
            c.fail(f"{path}.code", f"手続きコード {code} は catalogue.yaml にありません", m)
        when = c.condition(m.get("when"), f"{path}.when", m)
        self.check_refs(when, f"{path}.when", m)
        start = c.text(m, "deadline_from", path, required=False)
        if start and (start not in self.seen or self.seen[start].kind != "date"):
            c.fail(f"{path}.deadline_from", f"{start} は日付の質問ではありません", m)
        if code is None:
            return None
        return ProcedureUse(code, when or parse_condition(None), start,
                            self.conditionals(c.items(m, "bring", path), f"{path}.bring"),
                            self.conditionals(c.items(m, "notes", path), f"{path}.notes"))

    def household(self, raw: Any) -> HouseholdSpec | None:
        if raw is None:
            return None
        c = self.c
        m = c.mapping(raw, "household", {"title", "addresses", "max_people"}, {"title"})
        rules = []
        for i, a in enumerate(c.items(m, "addresses", "household")):
            p = f"household.addresses[{i}]"
            am = c.mapping(a, p, {"role", "label", "in_town", "message", "abroad_when"}, {"role", "label"})
            in_town = c.text(am, "in_town", p, required=False) or "any"
            if in_town not in ("required", "forbidden", "any"):
                c.fail(f"{p}.in_town", "in_town は required / forbidden / any のいずれかです", am)
            abroad = c.condition(am["abroad_when"], f"{p}.abroad_when", am) if am.get("abroad_when") else None
            self.check_refs(abroad, f"{p}.abroad_when", am)
            rules.append(AddressRule(c.text(am, "role", p), c.text(am, "label", p), in_town,
                                     c.text(am, "message", p, required=False), abroad))
        return HouseholdSpec(c.text(m, "title", "household"), tuple(rules),
                             c.integer(m, "max_people", "household", minimum=1) or 10)


def _event(c: _Checker, raw: Any, catalogue: dict[int, Procedure], source: str) -> LifeEvent | None:
    doc = c.mapping(raw, "", {"code", "title", "label", "summary", "order", "questions", "procedures", "household"},
                    {"code", "title", "label", "questions", "procedures"})
    if not doc:
        return None
    code = c.text(doc, "code", "")
    if code and not _ID.match(code):
        c.fail("code", "英小文字・数字・_ で書いてください", doc)
    checker = _EventChecker(c, catalogue)
    questions = checker.questions(c.items(doc, "questions", "", required=True), "questions", 1)
    uses = tuple(u for i, raw_use in enumerate(c.items(doc, "procedures", "", required=True))
                 if (u := checker.procedure(raw_use, f"procedures[{i}]")))
    return LifeEvent(code, c.text(doc, "title", ""), c.text(doc, "label", "", max_len=LABEL_MAX),
                     c.text(doc, "summary", "", required=False), questions, uses, checker.household(doc.get("household")),
                     c.integer(doc, "order", "") or 0, source)


def load_content(directory: str | Path, *, extra_checks: Callable[[Content], list[ContentProblem]] | None = None
                 ) -> Content:
    """Read and check a town's procedure content; raise :class:`ContentError` listing every problem."""
    root = Path(directory)
    problems: list[ContentProblem] = []
    town, counters, relationships = _town(_Checker("town.yaml", problems), _read(root / "town.yaml", root, problems))
    catalogue = _catalogue(_Checker("catalogue.yaml", problems), _read(root / "catalogue.yaml", root, problems),
                           counters)
    events: dict[str, LifeEvent] = {}
    files = sorted((root / "events").glob("*.yaml"))
    if not files:
        problems.append(ContentProblem("events/", "", "ライフイベントのファイル（events/*.yaml）がありません"))
    for path in files:
        rel = str(path.relative_to(root))
        raw = _read(path, root, problems)
        if raw is None:
            continue
        event = _event(_Checker(rel, problems), raw, catalogue, rel)
        if event is None or not event.code:
            continue
        if event.code in events:
            problems.append(ContentProblem(rel, "code", f"ライフイベント {event.code} は {events[event.code].source} にもあります"))
        events[event.code] = event
    content = Content(town, counters, catalogue, events, str(root), relationships)
    if extra_checks is not None and not problems:
        problems.extend(extra_checks(content))
    if problems:
        raise ContentError(problems)
    return content


def load_event_text(text: str, file: str, catalogue: dict[int, Procedure]) -> tuple[LifeEvent | None, list[ContentProblem]]:
    """One life event from its YAML text (as staff edit it in the console), checked exactly as
    :func:`load_content` checks a file of ``events/``: the event, or None, and every problem."""
    problems: list[ContentProblem] = []
    try:
        raw = yaml.load(text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(ContentProblem(file, "", f"YAML の書き方に誤りがあります: {getattr(exc, 'problem', exc)}",
                                       mark.line + 1 if mark else None))
        return None, problems
    event = _event(_Checker(file, problems), raw, catalogue, file)
    return (event if not problems else None), problems
