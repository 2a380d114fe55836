"""Answering a form in the chat, one question at a time: the API the dialogue engine calls.

Channel-free: a step says what to ask (``question``: label, prompt, kind, choices) and the flow
renders it (quick replies for choices, a date picker for dates). The whole state of the
conversation is ``progress``, a small JSON dict the flow keeps in the citizen's dialogue state, so a
restart or a day's pause loses nothing. Nothing is stored until the last answer; then all
answers are written at once (``forms.submit``, ``via="chat"``).

    step = await FormChat().start(s, "first_questionnaire", citizen_id)
    ...show step.question...
    step = await FormChat().answer(s, now, step.progress, citizen_id, "本町")
    if step.error: ...say step.error, show step.question again...
    if step.done: ...say step.thanks...

Words a citizen may use: ``スキップ`` (an optional question), ``戻る`` (the previous question),
``決定`` (finish picking several choices one at a time), ``なし`` (no value).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from civic.attributes import forms
from civic.attributes.errors import AttributeProblem
from civic.attributes.kinds import AttributeSpec, display, normalize, split_answer, to_json
from civic.attributes.models import DATE, MULTI, NUMBER, SINGLE

SKIP = {"スキップ", "skip", "とばす", "飛ばす", "次へ"}
BACK = {"戻る", "もどる", "back", "前へ"}
DONE = {"決定", "けってい", "完了", "おわり", "終わり", "以上", "ok"}
NONE = {"なし", "無し", "ない", "いない", "none"}


@dataclass
class ChatStep:
    done: bool
    progress: dict[str, Any]
    question: dict[str, Any] | None = None
    error: str | None = None
    thanks: str = ""
    saved: dict[str, str] = field(default_factory=dict)  # attribute label -> answer as text (on done)


def _word(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


class FormChat:
    async def start(self, s: AsyncSession, form_key: str | int, citizen_id: int) -> ChatStep:
        form = await forms.get_form(s, form_key)
        if not form.active:
            raise AttributeProblem("forbidden", "form_closed", "このフォームは現在受け付けていません。")
        progress = {"form": form.key, "index": 0, "answers": {}, "pending": []}
        return await self._ask(s, form, progress, citizen_id)

    async def _ask(self, s: AsyncSession, form: forms.FormSpec, progress: dict[str, Any], citizen_id: int,
                   error: str | None = None) -> ChatStep:
        asked = await forms.questions(s, form)
        index = progress["index"]
        if index >= len(asked):
            return await self._finish(s, form, asked, progress, citizen_id)
        q = asked[index]
        current = await forms.current_answers(s, form, citizen_id)
        view = q.view() | {"index": index + 1, "total": len(asked), "current": current.get(q.attribute.key),
                           "pending": list(progress.get("pending", [])),
                           "hint": _hint(q.attribute, q.required)}
        return ChatStep(False, progress, view, error)

    async def answer(self, s: AsyncSession, now: datetime, progress: dict[str, Any], citizen_id: int,
                     text: str) -> ChatStep:
        form = await forms.get_form(s, progress["form"])
        asked = await forms.questions(s, form)
        index = int(progress.get("index", 0))
        if index >= len(asked):
            return await self._finish(s, form, asked, progress, citizen_id, now)
        q = asked[index]
        spec, word = q.attribute, _word(text)
        pending: list[str] = list(progress.get("pending", []))
        if word in BACK:
            progress |= {"index": max(0, index - 1), "pending": []}
            return await self._ask(s, form, progress, citizen_id)
        if word in SKIP or (word in NONE and spec.kind != SINGLE):
            if q.required:
                return await self._ask(s, form, progress, citizen_id, "この質問は必須です。お答えください。")
            # スキップ leaves what was registered before; なし clears it.
            return await self._next(s, form, asked, progress, citizen_id, spec, None if word in SKIP else [], now)
        if spec.kind == MULTI and word in DONE:
            if q.required and not pending:
                return await self._ask(s, form, progress, citizen_id, "1つ以上選んでから「決定」と送ってください。")
            return await self._next(s, form, asked, progress, citizen_id, spec, pending, now)
        try:
            if spec.kind == MULTI and (spec.match_choice(text) is not None or len(split_answer(text)) <= 1):
                (choice,) = normalize(spec, [text.strip()]) or [None]
                if choice is not None and choice not in pending:
                    pending.append(choice)
                progress["pending"] = pending
                return await self._ask(s, form, progress, citizen_id)
            raw: Any = split_answer(text) if spec.many and spec.kind == DATE else text.strip()
            values = normalize(spec, raw)
        except AttributeProblem as exc:
            return await self._ask(s, form, progress, citizen_id, exc.message)
        if q.required and not values:
            return await self._ask(s, form, progress, citizen_id, "この質問は必須です。お答えください。")
        if spec.kind == MULTI:
            values = normalize(spec, list(dict.fromkeys([*pending, *values])))
        return await self._next(s, form, asked, progress, citizen_id, spec, values, now)

    async def _next(self, s: AsyncSession, form: forms.FormSpec, asked: list[forms.Question],
                    progress: dict[str, Any], citizen_id: int, spec: AttributeSpec, values: list[Any] | None,
                    now: datetime | None) -> ChatStep:
        if values is None:
            progress["answers"].pop(spec.key, None)
        else:
            progress["answers"][spec.key] = to_json(spec, values)
        progress |= {"index": int(progress["index"]) + 1, "pending": []}
        if progress["index"] >= len(asked):
            return await self._finish(s, form, asked, progress, citizen_id, now)
        return await self._ask(s, form, progress, citizen_id)

    async def _finish(self, s: AsyncSession, form: forms.FormSpec, asked: list[forms.Question],
                      progress: dict[str, Any], citizen_id: int, now: datetime | None = None) -> ChatStep:
        if now is None:
            raise AttributeProblem("invalid", "no_time", "回答の保存には現在時刻が必要です。")
        answers = {k: v for k, v in progress["answers"].items()}
        saved = await forms.submit(s, now, form, citizen_id, answers, via="chat")
        specs = {q.attribute.key: q.attribute for q in asked}
        summary = {specs[k].label: (display(specs[k], v) or "（なし）") for k, v in saved.items()}
        thanks = form.thanks or "ご回答ありがとうございました。設定を保存しました。"
        return ChatStep(True, progress | {"index": len(asked)}, None, None, thanks, summary)


def _hint(spec: AttributeSpec, required: bool) -> str:
    tail = "" if required else "（答えない場合は「スキップ」）"
    if spec.kind == SINGLE:
        return "選択肢から1つ選んでください。" + tail
    if spec.kind == MULTI:
        return "当てはまるものを選んでください（いくつでも）。選び終わったら「決定」と送ってください。" + tail
    if spec.kind == DATE:
        many = f"（{spec.max_values}件まで、「、」で区切って）" if spec.many else ""
        return f"日付を 2024-05-01 や 令和6年5月1日 の形で送ってください{many}。" + tail
    if spec.kind == NUMBER:
        return "数字で送ってください。" + tail
    return "文字で送ってください。" + tail

