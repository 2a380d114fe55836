"""NLU examples edited through the staff API (issue #16), on SQLite and PostgreSQL: the town's Rasa YAML
seeded with a held-back part, examples added and removed, YAML out and in, and retraining — a bad example
set (examples swapped between two intents) keeps the model in use and answers both figures; a good one
replaces it, and the running service understands the new phrasing without a restart."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from admin_api.app import PREFIX
from nlu.training_data import TrainingData, load_training_data
from tests.admin_api import test_content_api
from tests.admin_api.test_content_api import Console, eventually
from tests.bot.helpers import make_settings

console = test_content_api.console  # the fixture: the service with the staff API, on both databases

NEW_PHRASING = "住所変わったらどうする"
NEW_EXAMPLES = ["住所が変わったらどうすればいい", "住所変わったら何をすればいい", "住所が変わったときどうする"]


async def post(console: Console, path: str, body: Any = None, status: int = 200) -> Any:
    r = await console.client.post(PREFIX + path, headers=console.auth, json=body)
    assert r.status == status, (path, r.status, await r.text())
    return await r.json()


async def test_examples_seeded_edited_exported_and_imported(console: Console) -> None:
    files = load_training_data(make_settings("sqlite+aiosqlite://").town_dir / "nlu")
    intents = await console.get("/nlu/intents")
    assert {i["intent"]: i["examples"] for i in intents} == {i: sum(e.intent == i for e in files.examples)
                                                             for i in files.intents}
    assert all(0 < i["heldout"] < i["examples"] / 3 for i in intents)  # about a fifth of each intent, held back

    added = await post(console, "/nlu/examples", {"intent": "procedure_nav", "text": " 住所が 変わったら  どうすればいい"}, 201)
    assert added["text"] == "住所が 変わったら どうすればいい" and not added["heldout"]
    await post(console, "/nlu/examples", {"intent": "procedure_nav", "text": added["text"]}, 409)
    r = await console.client.post(PREFIX + "/nlu/examples", headers=console.viewer, json={"intent": "x", "text": "y"})
    assert r.status == 403
    r = await console.client.post(PREFIX + "/nlu/examples", headers=console.auth, json={"intent": "意図", "text": "y"})
    assert r.status == 422
    nav = await console.get("/nlu/examples", intent="procedure_nav")
    assert added["id"] in [e["id"] for e in nav]

    exported = (await console.get("/nlu/export")).decode("utf-8")
    data = TrainingData.from_yaml(exported)
    assert len(data.examples) == len(files.examples) + 1 and data.synonyms == files.synonyms
    assert data.lookups.keys() == files.lookups.keys()
    assert (await console.client.delete(f"{PREFIX}/nlu/examples/{added['id']}", headers=console.auth)).status == 204
    assert (await console.client.delete(f"{PREFIX}/nlu/examples/{added['id']}", headers=console.auth)).status == 404

    # back in as Rasa YAML: replaced, held-back part drawn again (the same way for the same data)
    small = {"version": "3.1", "nlu": [{"intent": "greet", "examples": "- こんにちは\n- おはよう\n- こんばんは\n"
                                                                        "- どうも\n- やあ\n"},
                                       {"intent": "thanks", "examples": "- ありがとう\n- 助かりました\n"}]}
    out = await post(console, "/nlu/import", {"yaml": yaml.safe_dump(small, allow_unicode=True)})
    assert (out["examples"], out["intents"], out["heldout"]) == (7, 2, 1)
    bad = await console.client.post(PREFIX + "/nlu/import", headers=console.auth, json={"yaml": "nlu: [1, 2"})
    assert bad.status == 422 and "YAML" in (await bad.json())["error"]["message"]
    assert (await post(console, "/nlu/import", {"yaml": exported}))["examples"] == len(files.examples) + 1
    document = await console.get("/openapi.json")
    assert {"/nlu/intents", "/nlu/examples", "/nlu/examples/{id}", "/nlu/export", "/nlu/import", "/nlu/retrain",
            "/nlu/retrains", "/nlu/try"} <= {p.removeprefix(PREFIX) for p in document["paths"]}


async def swap_training_examples(console: Console, a: str, b: str) -> None:
    """Every training (not held-back) example of ``a`` moved to ``b`` and the other way round."""
    moved = {a: [e for e in await console.get("/nlu/examples", intent=a) if not e["heldout"]],
             b: [e for e in await console.get("/nlu/examples", intent=b) if not e["heldout"]]}
    for source, target in ((a, b), (b, a)):
        for e in moved[source]:
            assert (await console.client.delete(f"{PREFIX}/nlu/examples/{e['id']}", headers=console.auth)).status == 204
            await post(console, "/nlu/examples", {"intent": target, "text": e["text"]}, 201)


async def test_a_bad_retrain_keeps_the_model_and_a_good_one_replaces_it(console: Console) -> None:
    knowledge = console.knowledge
    before = knowledge.interpreter
    assert knowledge.interpreter.parse(NEW_PHRASING)["intent"]["name"] != "procedure_nav"

    # bad: the examples of two intents swapped → the model in use stays, both figures are answered
    await swap_training_examples(console, "garbage_lookup", "booking_make")
    bad = await post(console, "/nlu/retrain")
    assert bad["status"] == "rejected" and not bad["accepted"]
    assert bad["candidate"]["accuracy"] < bad["current"]["accuracy"] and bad["candidate"]["f1"] < bad["current"]["f1"]
    assert bad["current"]["recreated"] and bad["heldout"] > 100 and bad["errors"]
    assert knowledge.interpreter is before
    history = await console.get("/nlu/retrains")
    assert [(r["status"], r["in_use"]) for r in history] == [("rejected", False), ("files", True)]
    assert history[0]["candidate"] == {"accuracy": bad["candidate"]["accuracy"], "f1": bad["candidate"]["f1"]}

    # good: swapped back, and new phrasings of 手続きナビ → replaces the model in every process within seconds
    await swap_training_examples(console, "garbage_lookup", "booking_make")
    for text in NEW_EXAMPLES:
        await post(console, "/nlu/examples", {"intent": "procedure_nav", "text": text}, 201)
    good = await post(console, "/nlu/retrain")
    assert good["status"] == "accepted", good
    assert good["candidate"]["accuracy"] >= good["current"]["accuracy"] and good["candidate"]["f1"] >= good["current"]["f1"]
    await eventually(lambda: knowledge.interpreter is not before)
    assert knowledge.interpreter.parse(NEW_PHRASING)["intent"]["name"] == "procedure_nav"
    tried = await console.get("/nlu/try", q=NEW_PHRASING)
    assert tried["intent"]["name"] == "procedure_nav"
    parsed = await console.client.post("/api/nlu/parse", json={"text": NEW_PHRASING})  # the town's pages too
    assert (await parsed.json())["intent"]["name"] == "procedure_nav"
    status = await console.get("/content/status")
    assert status["versions"]["nlu"] == 1

    # against the stored model now (not recreated): the same data is not worse, so it is accepted again
    again = await post(console, "/nlu/retrain")
    assert again["status"] == "accepted" and not again["current"]["recreated"]
    assert again["candidate"] == {"accuracy": good["candidate"]["accuracy"], "f1": good["candidate"]["f1"]}
    assert again["current"]["accuracy"] == good["candidate"]["accuracy"]
    history = await console.get("/nlu/retrains")
    assert [(r["status"], r["in_use"]) for r in history][:2] == [("accepted", True), ("accepted", False)]
    r = await console.client.post(PREFIX + "/nlu/retrain", headers=console.viewer)
    assert r.status == 403

    # another instance (or the turn worker) on the same database: running, it loads the accepted model
    from bot.appkeys import DATABASE
    from bot.content_reload import ContentReloader
    from civic.clock import SystemClock

    other = copy.copy(knowledge)
    other.interpreter = before
    db = console.app[DATABASE]
    interval = 3600 if db.url.startswith("postgresql") else 0.2  # PostgreSQL: told at once (LISTEN/NOTIFY)
    async with ContentReloader(db, SystemClock(), other, make_settings(db.url).town_dir, interval=interval).running():
        await eventually(lambda: other.interpreter is not before)
        assert other.interpreter.parse(NEW_PHRASING)["intent"]["name"] == "procedure_nav"


async def test_a_group_of_unanswered_questions_becomes_examples_of_an_intent(console: Console) -> None:
    from datetime import timedelta

    from bot.appkeys import DATABASE
    from civic.clock import SystemClock
    from civic.faq.services import record_unanswered

    now = SystemClock().now()
    asked = ["住所変わったらどうする", "住所変わったらどうする？", "住所が変わったらどうすればいい"]
    async with console.app[DATABASE].write() as s:
        for i, text in enumerate(asked):
            await record_unanswered(s, question=text, channel="production", candidates=[], now=now - timedelta(minutes=i))
    ids = [q["id"] for g in (await console.get("/faq/unanswered/groups"))["groups"] for q in g["questions"]]
    assert len(ids) == 3
    body = {"question_ids": ids, "action": "nlu_examples"}
    missing = await console.client.post(f"{PREFIX}/faq/unanswered/groups/resolve", headers=console.auth, json=body)
    assert missing.status == 422  # which intent?
    done = await post(console, "/faq/unanswered/groups/resolve", {**body, "intent": "procedure_nav"})
    assert (done["resolved"], done["nlu_examples"], done["faq_entry_id"]) == (3, 3, None)
    texts = [e["text"] for e in await console.get("/nlu/examples", intent="procedure_nav")]
    assert set(asked) <= set(texts)
    assert (await console.get("/faq/unanswered/groups"))["groups"] == []
