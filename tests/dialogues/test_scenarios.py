"""Staff scenarios: validation, draft / publish, YAML import and export, the admin API, and the
conversation (published for citizens, the draft for test accounts, keyword and rich-menu entry)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml
from sqlmodel import select

from admin_api import scenario_views
from admin_api.app import create_admin_app
from admin_api.auth import Principal
from admin_api.context import AdminContext
from civic.citizens.models import Citizen
from civic.clock import FrozenClock
from civic.faq.models import SCENARIO, FaqAnswer
from civic.scenarios.services import (
    ScenarioError,
    create,
    export_yaml,
    get_by_key,
    import_yaml,
    publish,
    read_directory,
    seed,
    update_draft,
    validate_tree,
)
from tests.dialogues.conftest import REPO, Town, quick_labels, texts

NOW = datetime(2025, 6, 9, 1, 0, tzinfo=UTC)
MOVING = (REPO / "content/midori/dialogues/scenarios/moving.yml").read_text(encoding="utf-8")
FAQ_IDS = {f"faq-{i:03d}" for i in range(1, 141)}


def tree(**nodes) -> dict:
    return {"start": "root", "nodes": nodes or {"root": {"messages": ["こんにちは"], "options": []}}}


def test_validation_names_the_field() -> None:
    assert validate_tree(yaml.safe_load(MOVING), faq_ids=FAQ_IDS) == []
    cases = [
        ({"start": "x", "nodes": {"root": {"messages": ["a"]}}}, "start"),
        (tree(root={"messages": []}), "nodes.root.messages"),
        (tree(root={"messages": ["a"], "options": [{"label": "b", "next": "nowhere"}]}), "nodes.root.options[0].next"),
        (tree(root={"messages": ["a"], "options": [{"label": "b"}]}), "nodes.root.options[0]"),
        (tree(root={"messages": ["a"], "options": [{"label": "b", "next": "root", "url": "https://x"}]}),
         "nodes.root.options[0]"),
        (tree(root={"messages": ["a"], "options": [{"label": "b", "url": "javascript:alert(1)"}]}),
         "nodes.root.options[0].url"),
        (tree(root={"messages": ["a"], "options": [{"label": "b", "url": "http://example.jp"}]}),
         "nodes.root.options[0].url"),
        (tree(root={"messages": ["a"], "options": [{"label": "b", "flow": "rocket"}]}), "nodes.root.options[0].flow"),
        (tree(root={"messages": ["a"], "options": [{"label": "b", "faq": "faq-999"}]}), "nodes.root.options[0].faq"),
        (tree(root={"messages": ["a"], "options": [{"label": "あ" * 21, "next": "root"}]}),
         "nodes.root.options[0].label"),
        (tree(root={"messages": ["a"]}, orphan={"messages": ["b"]}), "nodes.orphan"),
    ]
    for bad, field in cases:
        problems = validate_tree(bad, faq_ids=FAQ_IDS)
        assert problems and problems[0].field == field, (bad, problems)
        assert all(p.message for p in problems)


async def test_draft_publish_import_export(db) -> None:
    async with db.write() as s:
        row, created = await import_yaml(s, MOVING, staff="佐藤", now=NOW, faq_ids=FAQ_IDS)
    assert created and row.published is None and row.draft_version == 1
    async with db.write() as s:
        row = await get_by_key(s, "moving")
        await publish(s, row, staff="佐藤", now=NOW)
    changed = MOVING.replace("引っ越しの手続きをご案内します。", "引っ越しのお手続きをご案内します。")
    async with db.write() as s:
        row, created = await import_yaml(s, changed, staff="鈴木", now=NOW, faq_ids=FAQ_IDS)
    assert not created and row.draft_version == 2 and row.published_version == 1
    assert "お手続き" in row.draft["nodes"]["root"]["messages"][0]
    assert "お手続き" not in row.published["nodes"]["root"]["messages"][0]
    exported = yaml.safe_load(export_yaml(row, version="published"))
    assert exported["key"] == "moving" and exported["nodes"] == yaml.safe_load(MOVING)["nodes"]
    async with db.write() as s:
        with pytest.raises(ScenarioError) as dup:
            await create(s, yaml.safe_load(MOVING), staff="x", now=NOW)
    assert dup.value.code == "duplicate_key"
    async with db.write() as s:
        row = await get_by_key(s, "moving")
        with pytest.raises(ScenarioError) as bad:
            await update_draft(s, row, {"title": "t", "start": "root", "nodes": {}}, staff="x", now=NOW)
    assert bad.value.problems[0].field == "nodes"
    async with db.write() as s:
        assert await seed(s, read_directory(REPO / "content/midori/dialogues/scenarios"), now=NOW) == []


class Tokens:
    async def authenticate(self, token: str, *, remote: str | None) -> Principal | None:
        return {
            "editor": Principal(1, "sato", "佐藤", frozenset({"scenarios.read", "scenarios.edit"})),
            "chief": Principal(2, "ito", "伊藤", frozenset({"*"})),
        }.get(token)


async def test_admin_api(aiohttp_client, sqlite_db) -> None:
    context = AdminContext(sqlite_db, FrozenClock(NOW), faq_ids=frozenset(FAQ_IDS))
    client = await aiohttp_client(create_admin_app(Tokens(), [scenario_views.router], context=context))
    editor, chief = {"Authorization": "Bearer editor"}, {"Authorization": "Bearer chief"}
    r = await client.post("/scenarios/import", json={"yaml": MOVING}, headers=editor)
    body = await r.json()
    assert r.status == 200 and body["created"] and body["unpublished_changes"] and body["published"] is None
    sid = body["id"]
    r = await client.post(f"/scenarios/{sid}/publish", headers=editor)
    assert r.status == 403
    r = await client.post(f"/scenarios/{sid}/publish", headers=chief)
    body = await r.json()
    assert body["published_version"] == 1 and not body["unpublished_changes"]
    update = {"title": "引っ越し", "keywords": ["転居"], "start": "root",
              "nodes": {"root": {"messages": ["どうぞ"], "options": [{"label": "FAQ", "faq": "faq-999"}]}}}
    r = await client.put(f"/scenarios/{sid}", json=update, headers=editor)
    err = (await r.json())["error"]
    assert r.status == 422 and err["field"] == "nodes.root.options[0].faq" and "faq-999" in err["message"]
    update["nodes"]["root"]["options"][0]["faq"] = "faq-017"
    r = await client.put(f"/scenarios/{sid}", json=update, headers=editor)
    assert r.status == 200 and (await r.json())["unpublished_changes"]
    r = await client.get(f"/scenarios/{sid}/export", params={"version": "published"}, headers=editor)
    assert r.status == 200 and "引っ越しの手続きをご案内します" in await r.text()
    r = await client.get(f"/scenarios/{sid}/export", headers=editor)
    assert "どうぞ" in await r.text()
    r = await client.post("/scenarios", json={"key": "Bad Key", "title": "x", "start": "a", "nodes": {}},
                          headers=editor)
    assert r.status == 422 and (await r.json())["error"]["field"] == "key"
    r = await client.post("/scenarios/import", json={"yaml": "key: [unclosed"}, headers=editor)
    assert r.status == 422 and (await r.json())["error"]["code"] == "invalid_yaml"
    listed = await (await client.get("/scenarios", headers=editor)).json()
    assert [x["key"] for x in listed] == ["moving"]
    assert (await client.delete(f"/scenarios/{sid}", headers=chief)).status == 204
    assert (await client.get(f"/scenarios/{sid}", headers=editor)).status == 404


async def _scenario_town(town: Town) -> None:
    async with town.db.write() as s:
        await seed(s, read_directory(REPO / "content/midori/dialogues/scenarios"), now=NOW, faq_ids=FAQ_IDS)


async def test_conversation_through_a_published_scenario(town: Town) -> None:
    await _scenario_town(town)
    chat = town.chat()
    out = await chat.say("引っ越しをするのですが")
    assert "引っ越しの手続きをご案内します" in texts(out)
    assert quick_labels(out) == ["町外から引っ越してきた", "町外へ引っ越す", "町内で引っ越す"]
    out = await chat.tap_quick_reply("町内で引っ越す")
    assert len(out) == 2 and "転居届" in texts(out) and quick_labels(out) == ["町のホームページ", "はじめに戻る"]
    out = await chat.say("はじめに戻る")  # typing the label works too
    out = await chat.tap_quick_reply("町外から引っ越してきた")
    out = await chat.tap_quick_reply("詳しいご案内")
    assert out[0]["type"] == "flex" and "役に立った" in str(out[0])
    async with town.db.read() as s:
        [answer] = (await s.exec(select(FaqAnswer))).all()
    assert answer.entry_id == "faq-017" and answer.how == SCENARIO
    out = await chat.tap("action=scenario&key=moving", "引っ越し")
    out = await chat.tap_quick_reply("町外から引っ越してきた")
    out = await chat.tap_quick_reply("ごみの出し方を調べる")
    assert "調べたいごみの名前" in texts(out)  # the option started the garbage flow


async def test_test_accounts_try_the_draft_first(town: Town) -> None:
    await _scenario_town(town)
    citizen, tester = town.chat("住民"), town.chat("職員テスト")
    await tester.say("こんにちは")  # the citizen row exists after the first turn
    async with town.db.write() as s:
        row = (await s.exec(select(Citizen).where(Citizen.channel_user_id == tester.user))).one()
        row.is_test_account = True
        s.add(row)
        draft = await get_by_key(s, "moving")
        changed = yaml.safe_load(MOVING)
        changed["nodes"]["root"]["messages"] = ["【改訂版】引っ越しのご案内です。"]
        await update_draft(s, draft, changed, staff="佐藤", now=NOW)
    assert "【改訂版】" in texts(await tester.say("引っ越し"))
    assert "【改訂版】" not in texts(await citizen.say("引っ越し"))
    async with town.db.write() as s:
        await publish(s, await get_by_key(s, "moving"), staff="伊藤", now=NOW)
    out = await citizen.tap_quick_reply("町内で引っ越す")  # published meanwhile: starts again, new version
    assert "ご案内の内容が更新されたため、はじめからご案内します" in texts(out) and "【改訂版】" in texts(out)


async def test_unknown_or_unpublished_scenario(town: Town) -> None:
    chat = town.chat()
    out = await chat.tap("action=scenario&key=nothing", "案内")
    assert "このご案内は現在ご利用いただけません" in texts(out) and "ごみの出し方" in quick_labels(out)
