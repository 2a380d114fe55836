"""Staff-authored scenarios (``civic.scenarios``): a node shows its messages and its options as
buttons; an option leads to another node, an FAQ answer, a web page or a flow. Entered from a
rich-menu postback (``action=scenario&key=…``) or a keyword. Test accounts see the draft, everyone
else the published version. See ``scenario.mmd``.
"""

from __future__ import annotations

from typing import Any

from civic.faq.models import SCENARIO
from civic.scenarios.services import Runnable, find, match_keyword
from dialogues import faq
from dialogues import messages as m
from dialogues.engine import Context, Engine, Entry, Flow, state
from dialogues.facility_directory import fold
from dialogues.paging import page, requested


def is_tester(ctx: Context) -> bool:
    citizen = ctx.turn.citizen
    return (citizen is not None and citizen.is_test_account) or ctx.turn.channel == "test"


class ScenarioFlow(Flow):
    name = "scenario"
    title = "ご案内"
    resumable = False
    #: ``action=scenario&key=…`` (a rich-menu area or a button) starts that scenario afresh; a text
    #: naming a scenario's keyword enters it.
    entrance = Entry(action_params=("key",), text_hook=True)

    async def on_text(self, ctx: Context, text: str, engine: Engine) -> bool:
        run = await match_keyword(ctx.session, text, tester=is_tester(ctx), fold=fold)
        if run is None:
            return False
        await engine.start(ctx, self.name, run=run)
        return True

    async def start(self, ctx: Context, **params: Any) -> None:
        run: Runnable | None = params.get("run")
        if run is None and params.get("key"):
            run = await find(ctx.session, str(params["key"]), tester=is_tester(ctx))
        if run is None:
            ctx.finish(m.text("申し訳ありません。このご案内は現在ご利用いただけません。"))
            return
        ctx.data.update(key=run.key, version=run.version, title=run.title)
        self.show(ctx, run.tree, str(run.tree.get("start")))

    def show(self, ctx: Context, tree: dict[str, Any], node_id: str, lead: str = "", number: int = 0) -> None:
        node = (tree.get("nodes") or {}).get(node_id)
        if node is None:
            ctx.finish(m.text("申し訳ありません。このご案内は内容が更新されました。お手数ですが、はじめからお試しください。"))
            return
        ctx.data["node"] = node_id
        texts = [str(t) for t in node.get("messages") or []][:3]
        options = node.get("options") or []
        if not options:
            ctx.finish(*[m.text(t) for t in texts])
            return
        shown = page(list(enumerate(options)), number)  # staff may give 12: ten per message
        actions = [m.postback(str(o["label"]), m.data(flow="scenario", opt=i), str(o["label"])) for i, o in shown.items]
        actions += shown.more(flow="scenario", node=node_id)
        messages = [m.text(t) for t in texts[:-1]] + [m.text(texts[-1] if texts else "お選びください。", actions)]
        ctx.ask("node", *messages, lead=lead)

    async def tree(self, ctx: Context) -> dict[str, Any] | None:
        run = await find(ctx.session, str(ctx.data.get("key")), tester=is_tester(ctx))
        if run is None or run.version != ctx.data.get("version"):
            return None
        return run.tree

    @state("node", hint="下のボタンから選んでください。")
    async def node(self, ctx: Context) -> bool:
        tree = await self.tree(ctx)
        if tree is None:
            run = await find(ctx.session, str(ctx.data.get("key")), tester=is_tester(ctx))
            if run is None:
                ctx.finish(m.text("申し訳ありません。このご案内は現在ご利用いただけません。"))
                return True
            ctx.data["version"] = run.version
            self.show(ctx, run.tree, str(run.tree.get("start")),
                      "ご案内の内容が更新されたため、はじめからご案内します。")
            return True
        number = requested(ctx.postback)
        if number is not None and ctx.postback.get("node") == str(ctx.data.get("node")):
            self.show(ctx, tree, str(ctx.data.get("node")), number=number)
            return True
        options = ((tree.get("nodes") or {}).get(str(ctx.data.get("node"))) or {}).get("options") or []
        index: int | None = None
        raw = ctx.postback.get("opt")
        if raw is not None and raw.isdigit() and int(raw) < len(options):
            index = int(raw)
        elif ctx.text:
            t = fold(ctx.text)
            exact = [i for i, o in enumerate(options) if fold(str(o["label"])) == t]
            index = exact[0] if exact else None
        if index is None:
            return False
        option = options[index]
        if option.get("next"):
            self.show(ctx, tree, str(option["next"]))
        elif option.get("faq"):
            ctx.finish()
            if not await faq.answer_entry(ctx, str(option["faq"]), str(option["label"]), how=SCENARIO):
                ctx.say(m.text("申し訳ありません。このご案内は見つかりませんでした。"))
        elif option.get("url"):
            ctx.finish(m.text(f"{option['label']}については、こちらをご覧ください。\n{option['url']}"))
        elif option.get("flow"):
            ctx.finish()
            ctx.then = str(option["flow"])
        return True
