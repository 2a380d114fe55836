"""Registration forms answered in the chat (国富町 spec §9(2)(ア) ①②④, 酒田市 spec 第5章 1(3)).

The questions, their checks and the final write are ``civic.attributes.chat.FormChat``'s; this flow
renders them in LINE: one question at a time with its progress 「(2/5)」, quick replies for choices
(more than ten, or too long for a button: a numbered list ten at a time with 「もっと見る」, answered by
number or name), 「決定」 to finish picking
several, 「スキップ」 / 「今のまま」 for optional questions and what is registered already, dates as
typed text (西暦 or 和暦), then a summary and the form's thanks. The LIFF page
(``/liff/forms/?form=<key>``) is offered as the alternative, as a URI button (LINE opens a LIFF
link inside the chat, the citizen logged in). See ``form.mmd``.

Entry: ``action=form&key=<form key>``; the ``delivery_settings`` intent (the settings form);
after the welcome on follow, the first-use questionnaire is offered (「回答する / あとで」:
「あとで」 is remembered, and a form already answered is not offered again).

Nothing is written until the last answer; then ``forms.submit`` writes every answer in the
turn's transaction (``turn.session``), and the citizen's rich menu is relinked (their segments may
have changed) once that transaction has committed (``services.menus``; the LIFF page does the same
after saving).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import select

from civic.attributes import forms
from civic.attributes.chat import FormChat
from civic.attributes.errors import AttributeProblem
from civic.attributes.models import DATE, MULTI, NUMBER, SINGLE, FormResponse
from civic.segments import services as segments
from civic.segments.errors import SegmentProblem
from dialogues import messages as m
from dialogues.engine import Context, Engine, Entry, Flow, state
from dialogues.paging import PAGE_SIZE, page, requested

log = logging.getLogger(__name__)

#: The form the ``delivery_settings`` intent opens.
SETTINGS_FORM = "settings"
#: Controls and the words ``FormChat`` understands for them.
CONTROLS = {"done": "決定", "keep": "今のまま", "skip": "スキップ", "back": "戻る"}
ANSWER_LATER = "あとで"
ANSWER_NOW = "回答する"


def liff_url(ctx: Context, key: str) -> str:
    return ctx.services.page_url("forms", m.data(form=key))


def citizen_id(ctx: Context) -> int | None:
    citizen = ctx.turn.citizen
    return citizen.id if citizen is not None else None


async def may_answer(ctx: Context, form: forms.FormSpec, cid: int) -> bool:
    """The LIFF page's rule: an active form, and the citizen in its segment when it has one."""
    if not form.active:
        return False
    if form.segment_id is None:
        return True
    try:
        node = await segments.segment_filter(ctx.session, form.segment_id)
    except SegmentProblem:  # the segment was deleted: nobody may answer until staff fix the form
        return False
    return await segments.is_member(ctx.session, node, segments.today_in_tokyo(ctx.now), cid)


async def answered(ctx: Context, form: forms.FormSpec, cid: int) -> bool:
    found = await ctx.session.exec(select(FormResponse.id).where(FormResponse.form_id == form.id,
                                                                 FormResponse.citizen_id == cid).limit(1))
    return found.first() is not None


class FormFlow(Flow):
    name = "form"
    title = "フォームへの回答"
    owns = frozenset({"delivery_settings"})
    #: ``action=form&key=…`` and ``action=settings`` start a form afresh; 「受け取る情報を変えたい」;
    #: ``form=later&key=…`` (the offer on follow put off) at any time.
    entrance = Entry(actions=frozenset({"form", "settings"}), action_params=("key",),
                  intents=frozenset({"delivery_settings"}), postbacks=("form",))

    async def on_postback(self, ctx: Context, postback: dict[str, str], engine: Engine) -> bool:
        return await on_postback(ctx, postback, engine)

    # -- entry -----------------------------------------------------------------------------------
    async def start(self, ctx: Context, **params: Any) -> None:
        cid = citizen_id(ctx)
        if not ctx.turn.user_id or ctx.turn.channel == "web" or cid is None:
            ctx.finish(m.text("ご登録・アンケートへの回答は、LINE の公式アカウントからお願いいたします。"))
            return
        key = str(params.get("key") or "") or await self.put_off(ctx, cid) or await self.settings_form(ctx)
        try:
            form = await forms.get_form(ctx.session, key) if key else None
        except AttributeProblem:
            form = None
        if form is None or not await may_answer(ctx, form, cid):
            ctx.finish(m.text("申し訳ありません。このフォームは現在ご利用いただけません。"))
            return
        try:
            step = await FormChat().start(ctx.session, form.key, cid)
        except AttributeProblem as exc:
            ctx.finish(m.text(f"申し訳ありません。{exc.message}"))
            return
        ctx.data.update(key=form.key, title=form.title, progress=step.progress)
        total = step.question["total"] if step.question else 0
        lines = [f"「{form.title}」にお答えください（全{total}問）。"]
        if form.description:
            lines.append(form.description)
        lines.append("途中でやめる場合は「やめる」と送ってください。")
        url = liff_url(ctx, form.key)
        if url:
            ctx.say(m.flex("\n".join(lines), m.bubble(
                [m.flex_text(line, size="md" if i == 0 else "sm", weight="bold" if i == 0 else None)
                 for i, line in enumerate(lines)],
                footer=[m.flex_button(m.uri_action("画面でまとめて入力する", url), style="primary")])))
        else:
            ctx.say(m.text("\n".join(lines)))
        self.ask_question(ctx, step.question or {})

    async def put_off(self, ctx: Context, cid: int) -> str:
        """A first-use form the citizen put off (「あとで」) and has not answered since: asked first."""
        later = set(ctx.memory.get("forms_later") or [])
        for form in await forms.follow_forms(ctx.session):
            if form.key in later and not await answered(ctx, form, cid):
                return form.key
        return ""

    async def settings_form(self, ctx: Context) -> str:
        wanted = SETTINGS_FORM
        listed = await forms.list_forms(ctx.session, active_only=True)
        if any(f.key == wanted for f in listed):
            return wanted
        return next((f.key for f in listed if not f.on_follow), "")

    # -- the question ------------------------------------------------------------------------------
    def ask_question(self, ctx: Context, q: dict[str, Any], lead: str = "", number: int = 0) -> None:
        ctx.data["question"] = q  # kept to show another page of its choices (「もっと見る」)
        kind = str(q.get("kind"))
        index = int(q.get("index", 1))
        choices: list[dict[str, str]] = list(q.get("choices") or [])
        labels = {c["value"]: c["label"] for c in choices}
        pending = [str(v) for v in q.get("pending") or []]
        current = q.get("current")
        has_current = current not in (None, "", [])
        lines = [f"({index}/{q.get('total')}) {q.get('prompt') or q.get('label')}"]
        if q.get("description"):
            lines.append(str(q["description"]))
        if has_current:
            lines.append(f"今の登録：{self.shown(kind, current, labels, q.get('unit') or '')}")
        if pending:
            lines.append(f"選択中：{'、'.join(labels.get(v, v) for v in pending)}")

        controls: list[dict[str, Any]] = []
        if kind == MULTI:
            controls.append(self.control(index, "done"))
        if has_current and not pending:
            controls.append(self.control(index, "keep"))
        elif not q.get("required"):
            controls.append(self.control(index, "skip"))
        if index > 1:
            controls.append(self.control(index, "back"))
        offered = [c for c in choices if c["value"] not in pending] if kind in (SINGLE, MULTI) else []
        as_buttons = len(offered) <= PAGE_SIZE and len(offered) + len(controls) <= m.MAX_QUICK_REPLIES and all(
            len(c["label"]) <= m.MAX_LABEL for c in offered)
        actions: list[dict[str, Any]] = []
        if kind in (SINGLE, MULTI) and as_buttons:
            actions = [m.postback(c["label"], m.data(flow="form", q=index, v=c["value"]), c["label"]) for c in offered]
            lines.append("下のボタンから選んでください。" if kind == SINGLE else
                         "当てはまるものを1つずつ選び、選び終わったら「決定」を押してください。")
        elif kind in (SINGLE, MULTI):  # numbered, ten at a time (numbers count from the first page)
            shown = page(choices, number)
            lines.append("\n".join(f"{shown.first + n}. {c['label']}" for n, c in enumerate(shown.items, start=1)))
            lines.append((f"全{len(choices)}件のうち{shown.first + 1}〜{shown.first + len(shown.items)}件目です。"
                          if shown.several else "") + ("番号か名前で送ってください。" if kind == SINGLE else
                         "番号か名前を「、」で区切って送ってください（例：1、3）。1つずつ送って最後に「決定」でも大丈夫です。"))
            actions = shown.more(flow="form", q=index)
        else:
            lines.append(self.entry_hint(kind, q))
        actions += controls
        if len(actions) < m.MAX_QUICK_REPLIES:
            actions.append(m.postback("やめる", m.data(action="cancel"), "やめる"))
        state_name = "choice" if kind in (SINGLE, MULTI) else "entry"
        ctx.ask(state_name, m.text("\n".join(lines), actions), lead=lead)

    @staticmethod
    def control(index: int, name: str) -> dict[str, Any]:
        return m.postback(CONTROLS[name], m.data(flow="form", q=index, c=name), CONTROLS[name])

    @staticmethod
    def entry_hint(kind: str, q: dict[str, Any]) -> str:
        many = int(q.get("max_values") or 1)
        if kind == DATE:
            several = f"（{many}件まで。複数は「、」で区切って）" if q.get("many") else ""
            return f"日付を入力してください{several}。\n例：2024-05-01、令和6年5月1日"
        if kind == NUMBER:
            bounds = [f"{_num(q['min'])}以上" if q.get("min") is not None else "",
                      f"{_num(q['max'])}以下" if q.get("max") is not None else ""]
            extra = "・".join(b for b in bounds if b)
            return f"数字で入力してください{f'（{extra}）' if extra else ''}。"
        return "文字で入力してください。"

    @staticmethod
    def shown(kind: str, value: Any, labels: dict[str, str], unit: str) -> str:
        values = value if isinstance(value, list) else [value]
        if kind in (SINGLE, MULTI):
            return "、".join(labels.get(str(v), str(v)) for v in values)
        if kind == NUMBER:
            return "、".join(f"{v}{unit}" for v in values)
        return "、".join(str(v) for v in values)

    # -- answers ---------------------------------------------------------------------------------
    async def respond(self, ctx: Context, text: str, *, keep: Any = None) -> tuple[bool, str | None]:
        """Give ``text`` to ``FormChat``. Returns (moved on or finished, the error when refused);
        on an error nothing changes in the flow's data."""
        cid = citizen_id(ctx)
        if cid is None:
            return False, "ご本人の確認ができませんでした。"
        chat = FormChat()
        progress = ctx.data["progress"]
        before = list(progress.get("pending") or []) if keep is None else []
        try:
            if keep is not None:  # 今のまま on a required question: answer what is registered
                step = None
                for part in keep:
                    step = await chat.answer(ctx.session, ctx.now, progress, cid, part)
                    progress = step.progress
                assert step is not None
            else:
                step = await chat.answer(ctx.session, ctx.now, progress, cid, text)
        except AttributeProblem as exc:  # the form closed or changed meanwhile
            log.info("form %s: answer refused: %s", ctx.data.get("key"), exc.code)
            ctx.finish(m.text(f"申し訳ありません。{exc.message}\n回答は保存されていません。"))
            return True, None
        if step.error:
            return False, step.error
        if step.done:
            menus = ctx.services.menus
            if menus is not None and ctx.turn.user_id:
                menus.relink_after_commit(ctx.session, ctx.turn.user_id)
            self.finish(ctx, step.saved, step.thanks)
            return True, None
        ctx.data["progress"] = step.progress
        q = step.question or {}
        picked = [v for v in q.get("pending") or [] if v not in before]
        labels = {c["value"]: c["label"] for c in q.get("choices") or []}
        lead = f"「{'、'.join(labels.get(v, v) for v in picked)}」を選びました。" if picked else ""
        self.ask_question(ctx, q, lead)
        return True, None

    def finish(self, ctx: Context, saved: dict[str, str], thanks: str) -> None:
        lines = [f"「{ctx.data.get('title', '')}」のご回答を保存しました。"]
        if saved:
            lines += [f"・{label}：{value}" for label, value in saved.items()]
        else:
            lines.append("（変更はありません）")
        ctx.finish(m.text("\n".join(lines)), m.text(thanks))

    @state("choice", hint="選択肢から選んでください。")
    async def choice(self, ctx: Context) -> bool:
        return await self.on_input(ctx, free_text=False)

    @state("entry", free_text=True, hint="入力してください。")
    async def entry(self, ctx: Context) -> bool:
        return await self.on_input(ctx, free_text=True)

    async def on_input(self, ctx: Context, *, free_text: bool) -> bool:
        pb = ctx.postback
        index = int(ctx.data["progress"].get("index", 0)) + 1
        if pb:
            if pb.get("q") != str(index):
                ctx.say(m.text("申し訳ありません。そのボタンは前の質問のものです。"))
                ctx.say(*self.repeat(ctx))
                return True
            number = requested(pb)
            if number is not None and isinstance(ctx.data.get("question"), dict):
                self.ask_question(ctx, ctx.data["question"], number=number)
                return True
            control = pb.get("c")
            if control == "keep":
                moved, error = await self.keep(ctx)
            elif control in CONTROLS:
                moved, error = await self.respond(ctx, CONTROLS[control])
            elif pb.get("v"):
                moved, error = await self.respond(ctx, pb["v"])
            else:
                return False
            if not moved:
                ctx.say(*self.repeat(ctx, f"申し訳ありません。{error}"))
            return True
        text = ctx.text
        if not text:
            return False
        moved, error = await self.respond(ctx, text)
        if moved:
            return True
        if free_text:
            ctx.say(*self.repeat(ctx, f"申し訳ありません。{error}"))
            return True
        ctx.data["error"] = error  # not an answer: maybe a question for the counter (handler tries it)
        return False

    async def keep(self, ctx: Context) -> tuple[bool, str | None]:
        cid = citizen_id(ctx)
        form = await forms.get_form(ctx.session, ctx.data["key"])
        asked = await forms.questions(ctx.session, form)
        index = int(ctx.data["progress"].get("index", 0))
        if cid is None or index >= len(asked):
            return False, "今の登録が見つかりませんでした。"
        q = asked[index]
        if not q.required:
            return await self.respond(ctx, "スキップ")
        current = (await forms.current_answers(ctx.session, form, cid)).get(q.attribute.key)
        given = current if isinstance(current, list) else [current]
        values = [str(v) for v in given if v not in (None, "")]
        if not values:
            return False, "今の登録が見つかりませんでした。お答えください。"
        if q.attribute.kind == MULTI:
            return await self.respond(ctx, "", keep=[*values, "決定"])
        return await self.respond(ctx, "、".join(values))

    def repeat(self, ctx: Context, lead: str = "") -> list[dict[str, Any]]:
        record = ctx.store.flow or {}
        prompt = [dict(x) for x in record.get("prompt") or []]
        if lead and prompt:
            prompt[0]["text"] = f"{lead}\n{prompt[0]['text']}"
        return prompt

    async def fallback(self, ctx: Context) -> bool:
        error = ctx.data.pop("error", None) if ctx.store.flow else None
        if not error:
            return False
        ctx.say(*self.repeat(ctx, f"申し訳ありません。{error}\n（「やめる」で中止できます）"))
        return True

    def step_help(self, ctx: Context) -> str:
        return "質問に順にお答えください。ボタンで選ぶか、文字で送ってください。「戻る」で前の質問に戻れます。"


def _num(value: Any) -> str:
    v = float(value)
    return str(int(v)) if v.is_integer() else str(v)


# -- the offer on follow ---------------------------------------------------------------------------
async def offer_on_follow(ctx: Context) -> None:
    """After the welcome: the first-use questionnaire, unless answered or put off (「あとで」) before."""
    cid = citizen_id(ctx)
    if cid is None or not ctx.turn.user_id:
        return
    later = set(ctx.memory.get("forms_later") or [])
    for form in await forms.follow_forms(ctx.session):
        if form.key in later or await answered(ctx, form, cid) or not await may_answer(ctx, form, cid):
            continue
        count = len(await forms.questions(ctx.session, form))
        # the form's description is shown when it starts (it may greet the new friend again)
        ctx.say(m.text(f"よろしければ「{form.title}」（全{count}問）にお答えください。"
                       "あなたに合ったお知らせをお届けするのに使います。", [
            m.postback(ANSWER_NOW, m.data(action="form", key=form.key), ANSWER_NOW),
            m.postback(ANSWER_LATER, m.data(form="later", key=form.key), ANSWER_LATER)]))
        return


async def on_postback(ctx: Context, pb: dict[str, str], engine: Engine) -> bool:
    """``form=later&key=…``: the offer put off; remembered so that it is not repeated on follow."""
    if pb.get("form") != "later":
        return False
    later = [str(k) for k in ctx.memory.get("forms_later") or []]
    key = pb.get("key", "")
    if key and key not in later:
        later.append(key)
    ctx.memory["forms_later"] = later
    message = m.text("承知しました。あとでお答えいただける場合は、「受け取る情報を変えたい」と送ってください。")
    ctx.say(message)
    engine.resume_after_answer(ctx)
    return True
