"""Forms: submitting (all or nothing), required answers, and answering question by question in chat."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from civic.attributes import forms, services
from civic.attributes.chat import FormChat
from civic.attributes.errors import AttributeProblem
from civic.attributes.models import FormResponse
from civic.database import Database
from tests.attributes.support import NOW, add_citizens, install_demo


async def test_submit_checks_everything_before_writing(db: Database) -> None:
    await install_demo(db)
    (cid,) = await add_citizens(db, 1)
    async with db.read() as s:
        form = await forms.get_form(s, "first_questionnaire")
    with pytest.raises(AttributeProblem) as info:  # area is required
        async with db.write() as s:
            await forms.submit(s, NOW, form, cid, {"age_group": "30s"}, via="liff")
    assert info.value.code == "required" and info.value.field == "area"
    with pytest.raises(AttributeProblem) as info:  # not a question of this form
        async with db.write() as s:
            await forms.submit(s, NOW, form, cid, {"age_group": "30s", "area": "honmachi", "pets": "dog"}, via="liff")
    assert info.value.code == "not_in_form"
    async with db.read() as s:
        assert await services.citizen_values(s, cid) == {}
    async with db.write() as s:
        await forms.submit(s, NOW, form, cid, {"age_group": "30s", "area": "本町", "interests": ["int01"],
                                               "children_birth_dates": ["2025-08-01"]}, via="liff")
    async with db.read() as s:
        answers = await forms.current_answers(s, form, cid)
        responses = (await s.exec(FormResponse.__table__.select())).all()  # type: ignore[attr-defined]
    assert answers == {"age_group": "30s", "area": "honmachi", "interests": ["int01"], "disaster_info": [],
                       "children_birth_dates": ["2025-08-01"]}
    assert len(responses) == 1 and responses[0].via == "liff"


async def test_forms_are_unlimited_and_items_must_exist(db: Database) -> None:
    await install_demo(db)
    async with db.write() as s:
        for i in range(12):
            await forms.create_form(s, NOW, key=f"survey{i}", title=f"アンケート{i}",
                                    items=[forms.FormItem("pets"), forms.FormItem("car", required=True)])
        with pytest.raises(AttributeProblem) as info:
            await forms.create_form(s, NOW, key="bad", title="x", items=[forms.FormItem("nothing")])
    assert info.value.field == "items.0.attribute"
    async with db.read() as s:
        assert len(await forms.list_forms(s)) >= 17
        assert [f.key for f in await forms.follow_forms(s)] == ["first_questionnaire"]


async def test_closed_form_refuses_citizens_but_not_staff(db: Database) -> None:
    await install_demo(db)
    (cid,) = await add_citizens(db, 1)
    async with db.write() as s:
        await forms.update_form(s, NOW, "settings", {"active": False})
        form = await forms.get_form(s, "settings")
        with pytest.raises(AttributeProblem) as info:
            await forms.submit(s, NOW, form, cid, {"area": "honmachi"}, via="liff")
        assert info.value.kind == "forbidden"
        await forms.submit(s, NOW, form, cid, {"area": "honmachi"}, via="staff", staff_login="delivery-user")
    async with db.read() as s:
        assert (await services.citizen_values(s, cid))["area"] == ["honmachi"]


async def test_chat_answers_one_question_at_a_time(db: Database) -> None:
    await install_demo(db)
    (cid,) = await add_citizens(db, 1)
    chat = FormChat()
    async with db.write() as s:
        step = await chat.start(s, "first_questionnaire", cid)
        assert step.question["attribute"] == "age_group" and step.question["index"] == 1
        assert step.question["total"] == 5 and len(step.question["choices"]) == 8
        step = await chat.answer(s, NOW, step.progress, cid, "スキップ")  # required: refused
        assert step.error and step.question["attribute"] == "age_group"
        step = await chat.answer(s, NOW, step.progress, cid, "３０代")
        assert step.question["attribute"] == "area" and step.error is None
        step = await chat.answer(s, NOW, step.progress, cid, "どこか")
        assert "選択肢はありません" in step.error and step.question["attribute"] == "area"
        step = await chat.answer(s, NOW, step.progress, cid, "戻る")
        assert step.question["attribute"] == "age_group"
        step = await chat.answer(s, NOW, step.progress, cid, "40代")
        step = await chat.answer(s, NOW, step.progress, cid, "桜台")
        assert step.question["attribute"] == "interests"
        step = await chat.answer(s, NOW, step.progress, cid, "子育て")  # one at a time...
        step = await chat.answer(s, NOW, step.progress, cid, "防災")
        assert step.question["attribute"] == "interests" and step.question["pending"] == ["int01", "int07"]
        step = await chat.answer(s, NOW, step.progress, cid, "決定")  # ...then 決定
        step = await chat.answer(s, NOW, step.progress, cid, "避難情報、地震情報")  # or several in one line
        assert step.question["attribute"] == "children_birth_dates"
    # The progress is plain JSON: the flow keeps it in the dialogue state between turns.
    progress = step.progress
    async with db.read() as s:
        assert await services.citizen_values(s, cid) == {}  # nothing is stored before the end
    async with db.write() as s:
        step = await chat.answer(s, NOW, progress, cid, "令和6年4月1日、2022/12/24")
    assert step.done and step.saved["居住地区"] == "桜台" and "2024-04-01" in step.saved["子どもの生年月日"]
    async with db.read() as s:
        values = await services.citizen_values(s, cid)
    assert values["age_group"] == ["40s"] and values["interests"] == ["int01", "int07"]
    assert values["disaster_info"] == ["evacuation", "earthquake"]
    assert values["children_birth_dates"] == [date(2024, 4, 1), date(2022, 12, 24)]


async def test_chat_skip_keeps_and_none_clears(db: Database) -> None:
    await install_demo(db)
    (cid,) = await add_citizens(db, 1)
    async with db.write() as s:
        await services.set_values(s, NOW, cid, {"children_birth_dates": ["2020-01-01"], "due_date": "2027-01-01"})
        chat = FormChat()
        step = await chat.start(s, "kosodate", cid)
        assert step.question["current"] == ["2020-01-01"]
        step = await chat.answer(s, NOW, step.progress, cid, "スキップ")  # keep the children
        step = await chat.answer(s, NOW, step.progress, cid, "はい")
        step = await chat.answer(s, NOW, step.progress, cid, "なし")  # clear the due date
        step = await chat.answer(s, NOW, step.progress, cid, "スキップ")
        step = await chat.answer(s, NOW, step.progress, cid, "スキップ")
        assert step.done
        values = await services.citizen_values(s, cid)
        responses = (await s.exec(select(FormResponse))).all()
    assert values["children_birth_dates"] == [date(2020, 1, 1)] and "due_date" not in values
    assert values["expecting"] == ["yes"]
    # the chat's answers were written once, at the end, as an answer given in the chat
    assert [(r.via, r.submitted_at) for r in responses] == [("chat", NOW)]
