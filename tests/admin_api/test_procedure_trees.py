"""The 手続きナビ trees edited in the console (issue #16), on SQLite and PostgreSQL: seeded from
``content/<town>/procedures/events``, a broken edit answered with the loader's problem and its line, the
preview listing every path through the questions with its result, and a published edit being what the
手続きナビ page (the LIFF API) asks — without a restart."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from admin_api.app import PREFIX
from civic.clock import SystemClock
from civic.procedures.navigator import Navigator
from tests.admin_api.test_content_api import Console, console, eventually  # noqa: F401 (a fixture)

SHOMEI = (Path(__file__).parents[2] / "content/midori/procedures/events/shomei.yaml").read_text(encoding="utf-8")
#: A small life event: a follow-up under one option, a condition on a procedure — three paths.
SMALL = """code: shomei
title: 証明書の請求
label: 証明書の請求
questions:
  - id: kind
    text: どの証明書が必要ですか？
    options:
      - value: jumin
        label: 住民票の写し
      - value: koseki
        label: 戸籍謄本・抄本
        then:
          - id: honseki
            text: 本籍地はみどり町ですか？
            options:
              - {value: "yes", label: はい}
              - {value: "no", label: いいえ}
procedures:
  - code: 171
    when: {kind: jumin}
  - code: 172
    when: {honseki: "yes"}
"""


async def _start(c: Any, event: str) -> dict[str, Any]:
    r = await c.post("/liff/procedures/api/sessions", json={"event": event})
    assert r.status == 201, await r.text()
    return (await r.json())["step"]


async def test_trees_are_seeded_checked_previewed_and_published_to_the_page(console: Console) -> None:  # noqa: F811
    c, auth = console.client, console.auth
    events = await console.get("/procedures/events")
    assert len(events) == 9 and {e["code"] for e in events} >= {"tennyu", "shomei", "shussei"}
    assert all(e["published"] and not e["draft_differs"] for e in events)
    shomei = await console.get("/procedures/events/shomei")
    assert shomei["draft"] == shomei["published_source"] == SHOMEI and shomei["problems"] == []
    assert [q["id"] for q in shomei["structure"]["questions"]][:2] == ["kind", "requester"]
    assert shomei["structure"]["questions"][1]["when"] == "どの証明書が必要ですか？ = 住民票の写し・所得・課税・納税証明書"

    # every path of the seeded tree, each with the navigator's result for those answers
    preview = await console.get("/procedures/events/shomei/preview", limit=1000)
    assert preview["total"] == len(preview["paths"]) == 16 and not preview["truncated"]
    combos = {tuple(a["answer"] for a in p["answers"]) for p in preview["paths"]}
    assert len(combos) == 16

    # an invalid edit: saved as a draft, the loader's problem with its field and line; publishing refused
    broken = SHOMEI.replace("label: 住民票の写し", "label: 住民票の写し（本人・同じ世帯の方が請求する場合）", 1)
    line = next(i for i, t in enumerate(broken.splitlines(), 1) if "住民票の写し（" in t)
    r = await c.put(f"{PREFIX}/procedures/events/shomei/draft", headers=auth, json={"source": broken})
    assert r.status == 200, await r.text()
    body = await r.json()
    [problem] = body["problems"]
    assert problem["field"] == "questions[0].options[0].label" and problem["line"] == line - 1  # the option's line
    assert "20文字以内" in problem["message"] and body["draft_differs"] and body["structure"] is None
    r = await c.post(f"{PREFIX}/procedures/events/shomei/publish", headers=auth)
    assert r.status == 422 and "20文字以内" in (await r.json())["error"]["message"]
    r = await c.put(f"{PREFIX}/procedures/events/shomei/draft", headers=auth, json={"source": "code: [shomei\n"})
    [problem] = (await r.json())["problems"]
    assert problem["line"] == 2 and "YAML" in problem["message"]
    assert (await _start(c, "shomei"))["question"]["text"] == "どの証明書が必要ですか？"  # residents see the published one

    # a valid edit: previewed path by path, then published — what the 手続きナビ page asks, without a restart
    edited = SMALL.replace("どの証明書が必要ですか？", "どの証明書をお求めですか？")
    r = await c.put(f"{PREFIX}/procedures/events/shomei/draft", headers=auth, json={"source": edited})
    assert (await r.json())["problems"] == []
    preview = await console.get("/procedures/events/shomei/preview")
    rows = [([a["answer"] for a in p["answers"]], [x["name"] for x in p["procedures"]]) for p in preview["paths"]]
    assert preview["total"] == 3
    assert [answers for answers, _ in rows] == [["住民票の写し"], ["戸籍謄本・抄本", "はい"], ["戸籍謄本・抄本", "いいえ"]]
    assert len(rows[0][1]) == len(rows[1][1]) == 1 and rows[2][1] == []
    assert (await console.get("/procedures/events/shomei/preview", which="published"))["total"] == 16
    r = await c.post(f"{PREFIX}/procedures/events/shomei/publish", headers=auth)
    assert r.status == 200, await r.text()
    assert not (await r.json())["draft_differs"]

    async def asked() -> bool:
        return (await _start(c, "shomei"))["question"]["text"] == "どの証明書をお求めですか？"
    await eventually(asked)
    exported = await console.get("/procedures/events/shomei/export")
    assert exported.decode("utf-8") == edited

    # a resident walks the published tree: koseki → honseki yes gives one procedure
    token_step = await c.post("/liff/procedures/api/sessions", json={"event": "shomei"})
    token = (await token_step.json())["token"]
    for qid, value in (("kind", "koseki"), ("honseki", "yes")):
        r = await c.post(f"/liff/procedures/api/sessions/{token}/answer", json={"question_id": qid, "value": value})
        assert r.status == 200, await r.text()

    # permissions and unknown events
    assert (await c.get(f"{PREFIX}/procedures/events/shomei", headers=console.viewer)).status == 200
    r = await c.put(f"{PREFIX}/procedures/events/shomei/draft", headers=console.viewer, json={"source": edited})
    assert r.status == 403
    assert (await c.get(f"{PREFIX}/procedures/events/nothing", headers=auth)).status == 404

    # the OpenAPI document: every route, with its permission
    paths = {p.removeprefix(PREFIX): ops for p, ops in (await console.get("/openapi.json"))["paths"].items()}
    base = "/procedures/events/{code}"
    assert paths["/procedures/events"]["get"]["x-permission"] == paths[base]["get"]["x-permission"] == "procedures.read"
    assert paths[base + "/draft"]["put"]["x-permission"] == paths[base + "/publish"]["post"]["x-permission"] == "procedures.edit"
    assert {base + "/preview", base + "/export"} <= set(paths)


def test_the_preview_lists_every_combination_of_answers() -> None:
    """The preview against brute force: every assignment of the choice questions that the navigator
    would ask in full is one path, and its result is the navigator's."""
    from civic.procedures import editing
    from civic.procedures.loader import load_content

    content = load_content(Path(__file__).parents[2] / "content/midori/procedures")
    event = content.event("shomei")
    clock = SystemClock()
    nav = Navigator(content, event, clock)
    found, cut = editing.paths(content, event, clock)
    questions = [s.question for s in nav._slots]
    complete = set()
    for values in itertools.product(*[[o.value for o in q.options] or [None] for q in questions]):
        answers = {q.id: v or nav.today().isoformat() for q, v in zip(questions, values, strict=True)}
        walked = nav.prune(answers)
        if nav.is_complete(walked):
            complete.add(tuple(sorted(walked.items())))
    assert not cut and len(found) == len(complete) == 16


async def test_a_life_event_is_deleted_from_every_page_unless_residents_are_on_it(console: Console) -> None:  # noqa: F811
    """``DELETE /procedures/events/{code}``: refused (409, until when) while a resident is part-way through it;
    then gone from the list, the 手続きナビ page and LINE without a restart, one audit entry, never seeded again
    from the town's files; the code can be used again for a new life event."""
    from sqlmodel import select

    from bot.appkeys import DATABASE
    from civic.procedures import editing
    from civic.procedures.models import ProcedureDraft
    from civic.staff.models import OperationLog

    c, auth = console.client, console.auth
    db = console.app[DATABASE]
    await _start(c, "shibou")  # a resident starts on it
    r = await c.delete(f"{PREFIX}/procedures/events/shibou", headers=auth)
    error = (await r.json())["error"]
    assert r.status == 409 and error["field"] == "code" and "入力の途中の住民が1人" in error["message"]
    assert "shibou" in {e["code"] for e in await console.get("/procedures/events")}
    assert (await c.delete(f"{PREFIX}/procedures/events/shibou", headers=console.viewer)).status == 403

    async with db.write() as s:  # the resident's draft expired
        for draft in (await s.exec(select(ProcedureDraft))).all():
            await s.delete(draft)
    r = await c.delete(f"{PREFIX}/procedures/events/shibou", headers=auth)
    assert r.status == 204, await r.text()
    assert "shibou" not in {e["code"] for e in await console.get("/procedures/events")}
    assert (await c.get(f"{PREFIX}/procedures/events/shibou", headers=auth)).status == 404
    assert (await c.delete(f"{PREFIX}/procedures/events/shibou", headers=auth)).status == 404

    async def gone() -> bool:
        r = await c.post("/liff/procedures/api/sessions", json={"event": "shibou"})
        return r.status == 404
    await eventually(gone)
    async with db.read() as s:
        entries = (await s.exec(select(OperationLog).where(OperationLog.action == "procedures.delete"))).all()
    assert [(e.target_type, e.target_id) for e in entries] == [("procedure-event", "shibou")]
    async with db.write() as s:  # a restart: the town's files do not bring it back
        assert await editing.seed(s, Path(__file__).parents[2] / "content/midori/procedures", _content(console), SystemClock().now()) == 0

    # the code used again: a new life event, published from scratch
    new = SMALL.replace("code: shomei", "code: shibou").replace("title: 証明書の請求", "title: 新しい手続き")
    r = await c.put(f"{PREFIX}/procedures/events/shibou/draft", headers=auth, json={"source": new})
    body = await r.json()
    assert r.status == 200 and body["problems"] == [] and not body["published"] and body["published_source"] == ""
    assert (await c.post(f"{PREFIX}/procedures/events/shibou/publish", headers=auth)).status == 200
    await eventually(lambda: _content(console).events.get("shibou") is not None
                     and _content(console).events["shibou"].title == "新しい手続き")
    paths = {p.removeprefix(PREFIX): ops for p, ops in (await console.get("/openapi.json"))["paths"].items()}
    assert paths["/procedures/events/{code}"]["delete"]["x-permission"] == "procedures.edit"


def _content(service: Console) -> Any:
    """The 手続きナビ content this service answers from (what its reloader swaps)."""
    from bot.content_reload import RELOADER

    return service.app[RELOADER].extras["procedures"].content
