"""安否確認 in the chat (issue #22): the question staff send, and the citizen's answer in one tap.

The question (``question_messages``) carries three quick replies — 無事 / 支援が必要 / 避難中 — whose
postback ``safety=answer&c=<check>&s=<answer>`` records the answer at once, inside any flow or none.
After 支援が必要 or 避難中 the citizen is asked where they are (a location, an open shelter, or a few
words) and then anything to add; both can be skipped, and the answer already counts. Tapping another
answer later replaces the earlier one (the latest counts).
"""

from __future__ import annotations

from typing import Any

from civic.attributes.services import citizen_by_user
from civic.disaster import safety
from civic.disaster import services as shelters
from civic.disaster.models import ANSWER_LABELS, EVACUATING, NEED_HELP, SAFE, SafetyCheck
from dialogues import messages as m
from dialogues.engine import Context, Engine, Entry, Flow, state

SKIP = "答えない"
NOTHING = "特になし"
SHELTER_CHOICES = 8


def answer_actions(check_id: int) -> list[dict[str, Any]]:
    return [m.postback(ANSWER_LABELS[s], m.data(safety="answer", c=check_id, s=s)) for s in (SAFE, NEED_HELP, EVACUATING)]


def question_messages(check: SafetyCheck) -> list[dict[str, Any]]:
    """What the 安否確認's delivery sends: the question with the three answers as quick replies."""
    assert check.id is not None
    body = (f"【安否確認】{check.title}\n{check.question}\n\n"
            "下のボタンから、いまの状況をお知らせください（1回押すだけで回答できます）。")
    return [m.text(body, answer_actions(check.id))]


class SafetyCheckFlow(Flow):
    name = "safety_check"
    title = "安否確認"
    entrance = Entry(actions=frozenset(), postbacks=("safety",))
    notify_timeout = False
    resumable = False

    async def on_postback(self, ctx: Context, postback: dict[str, str], engine: Engine) -> bool:
        if postback.get("safety") != "answer":
            return False
        ctx.turn.intent = "safety_check"
        ctx.answered_as = "safety_check"
        citizen = await citizen_by_user(ctx.session, ctx.turn.user_id) if ctx.turn.user_id else None
        try:
            check_id = int(postback.get("c", ""))
        except ValueError:
            check_id = -1
        status = postback.get("s", "")
        row = None
        if citizen is not None and citizen.id is not None:
            row = await safety.record_answer(ctx.session, ctx.now, check_id, citizen.id, status)
        if row is None:
            ctx.say(m.text("申し訳ありません。この安否確認は受付を終了したか、回答を受け付けできませんでした。\n"
                           f"お困りのときは、{ctx.services.town.contact} へご連絡ください。"))
            engine.resume_after_answer(ctx)
            return True
        label = ANSWER_LABELS[status]
        if status == SAFE:
            ctx.say(m.text(f"ご回答ありがとうございます。「{label}」と記録しました。\n"
                           "状況が変わったときは、もう一度ボタンを押してお知らせください。"))
            if ctx.flow_name == self.name:  # 支援が必要 earlier, 無事 now: no more questions
                ctx.store.set_flow(None)
                await engine.after(ctx)  # a flow it interrupted comes back
            else:
                engine.resume_after_answer(ctx)
            return True
        await engine.start(ctx, self.name, check_id=check_id, status=status)
        return True

    async def start(self, ctx: Context, **params: Any) -> None:
        ctx.data.update(check=int(params["check_id"]), status=str(params["status"]))
        status = ctx.data["status"]
        lead = f"ご回答ありがとうございます。「{ANSWER_LABELS[status]}」と記録しました。"
        if status == NEED_HELP:
            lead += "町の職員が確認し、ご連絡します。命に関わる場合は、119（救急・火事）／110（警察）へ。"
            ask = "いまいらっしゃる場所を教えてください。下のボタンで位置情報を送るか、住所や目印を送ってください。"
            actions = [m.location_action(), m.say_action("自宅にいます"), m.say_action(SKIP)]
        else:
            ask = "どちらに避難していますか。避難所を選ぶか、位置情報や場所の名前を送ってください。"
            opened = [v.facility.name for v in await shelters.shelters(ctx.session)
                      if v.shelter.state in shelters.OPEN_STATES][:SHELTER_CHOICES]
            actions = [*(m.say_action(name) for name in opened), m.location_action(), m.say_action(SKIP)]
        ctx.ask("where", m.text(ask, actions), lead=lead)

    @state("where", free_text=True, hint="場所を送るか、「答えない」を押してください。")
    async def where(self, ctx: Context) -> bool:
        place, lat, lon = None, None, None
        if ctx.location is not None:
            lat, lon = ctx.location["latitude"], ctx.location["longitude"]
            place = ctx.location.get("address") or ctx.location.get("title") or "（位置情報）"
        elif ctx.text:
            place = None if ctx.text == SKIP else ctx.text
        else:
            return False
        await self._details(ctx, place=place, latitude=lat, longitude=lon)
        ctx.ask("note", m.text("ほかに伝えたいこと（けがの有無、必要なもの、一緒にいる人数など）があれば送ってください。",
                               [m.say_action(NOTHING)]), lead="ありがとうございます。場所を記録しました。" if place else "")
        return True

    @state("note", free_text=True, hint="伝えたいことを送るか、「特になし」を押してください。")
    async def note(self, ctx: Context) -> bool:
        if not ctx.text:
            return False
        if ctx.text not in (NOTHING, SKIP):
            await self._details(ctx, note=ctx.text)
        ctx.finish(m.text("ありがとうございました。お知らせいただいた内容は町の災害対策本部に届いています。\n"
                          "状況が変わったときは、もう一度安否確認のボタンを押してお知らせください。"))
        return True

    async def _details(self, ctx: Context, **details: Any) -> None:
        citizen = await citizen_by_user(ctx.session, ctx.turn.user_id) if ctx.turn.user_id else None
        if citizen is not None and citizen.id is not None:
            await safety.add_details(ctx.session, ctx.now, int(ctx.data["check"]), citizen.id, **details)
