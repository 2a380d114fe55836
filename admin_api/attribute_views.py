"""Citizen attributes, forms, and a citizen's settings for staff (``/attributes``, ``/forms``,
``/citizens/{id}/attributes``) — 国富町 §9(2)(ア)①②④⑤⑦; a form's answers, tallies and CSV
(``/forms/{id}/answers``, ``/tallies``, ``/answers.csv``) — 国富町 §9(3)(オ)⑦ (satisfaction survey).

Seeing or changing one citizen's values needs ``personal.view`` as well (birth dates are personal);
the operation log records which attributes were changed, never the values. A form's answers are
shown to anyone who may read forms, but without ``personal.view`` the citizen is a pseudonym, the
display name is masked and so are dates and free text (choices and numbers are not personal).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from admin_api.downloads import stream_csv
from admin_api.errors import ApiError
from admin_api.fields import Offset
from admin_api.routing import CSV_CT, ApiRouter, Call
from civic.attributes import answers, forms, services
from civic.attributes.kinds import AttributeSpec, Choice, display, to_json
from civic.attributes.models import DATE, KIND_LABELS, TEXT
from civic.citizens.models import Citizen
from civic.clock import tokyo
from civic.rows import pk
from civic.staff.privacy import MASK, PERSONAL_PERMISSION, mask_value

READ, EDIT = "segments.read", "segments.edit"
KEY = r"^[a-z][a-z0-9_]{1,39}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChoiceIn(_In):
    value: str = Field(min_length=1, max_length=64, description="セグメント・CSV で使うコード（変えないもの）")
    label: str = Field(min_length=1, max_length=80, description="表示名")


class AttributeIn(_In):
    key: str = Field(pattern=KEY, description="英小文字のキー（例 child_school）")
    label: str = Field(min_length=1, max_length=80)
    kind: Literal["single", "multi", "date", "number", "text"]
    choices: list[ChoiceIn] = Field(default_factory=list, max_length=500)
    category: str = Field(default="", max_length=40)
    description: str = Field(default="", max_length=500)
    max_values: int = Field(default=1, ge=1, le=20, description="登録できる件数（日付・数値・テキスト）")
    min_number: float | None = None
    max_number: float | None = None
    unit: str = Field(default="", max_length=16)
    position: int | None = Field(default=None, ge=0, le=100000)


class AttributeUpdate(_In):
    label: str | None = Field(default=None, min_length=1, max_length=80)
    kind: Literal["single", "multi", "date", "number", "text"] | None = None
    choices: list[ChoiceIn] | None = Field(default=None, max_length=500)
    category: str | None = Field(default=None, max_length=40)
    description: str | None = Field(default=None, max_length=500)
    max_values: int | None = Field(default=None, ge=1, le=20)
    min_number: float | None = None
    max_number: float | None = None
    unit: str | None = Field(default=None, max_length=16)
    position: int | None = Field(default=None, ge=0, le=100000)
    active: bool | None = None


class AttributeOut(BaseModel):
    key: str
    label: str
    kind: str
    kind_label: str
    category: str
    description: str
    choices: list[ChoiceIn]
    max_values: int
    min_number: float | None
    max_number: float | None
    unit: str
    position: int
    active: bool
    builtin: bool
    answered: int = Field(description="回答した人数")


class FormItemIn(_In):
    attribute: str = Field(min_length=1, max_length=40)
    required: bool = False
    prompt: str = Field(default="", max_length=200)


class FormIn(_In):
    key: str = Field(pattern=KEY)
    title: str = Field(min_length=1, max_length=80)
    description: str = Field(default="", max_length=1000)
    items: list[FormItemIn] = Field(min_length=1, max_length=60)
    on_follow: bool = Field(default=False, description="友だち追加時に案内する（初回アンケート）")
    segment_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="回答できる人（セグメント）")
    thanks: str = Field(default="", max_length=500)
    position: int | None = Field(default=None, ge=0, le=100000)


class FormUpdate(_In):
    title: str | None = Field(default=None, min_length=1, max_length=80)
    description: str | None = Field(default=None, max_length=1000)
    items: list[FormItemIn] | None = Field(default=None, min_length=1, max_length=60)
    on_follow: bool | None = None
    segment_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    thanks: str | None = Field(default=None, max_length=500)
    active: bool | None = None
    position: int | None = Field(default=None, ge=0, le=100000)


class FormOut(BaseModel):
    id: int
    key: str
    title: str
    description: str
    items: list[FormItemIn]
    on_follow: bool
    segment_id: int | None
    thanks: str
    active: bool
    position: int
    builtin: bool
    responses: int = Field(description="回答した人数")


class CitizenValue(BaseModel):
    key: str
    label: str
    kind: str
    value: Any = Field(description="値（複数登録できる属性は配列）。未登録は null または []")
    text: str = Field(description="表示用")


class CitizenAttributes(BaseModel):
    citizen_id: int
    values: list[CitizenValue]


class CitizenAttributesIn(_In):
    values: dict[str, Any] = Field(description="属性キー → 値（null / [] で消去）", max_length=100)


class AnswersQuery(_In):
    limit: int = Field(default=50, ge=1, le=200)
    offset: Offset = 0


class AnswerCell(BaseModel):
    attribute: str
    text: str = Field(description="表示用（personal.view がなければ日付・テキストは伏せ字）")


class FormAnswer(BaseModel):
    citizen_id: int
    user: str = Field(description="LINE のユーザーID（personal.view がなければ仮名）")
    display_name: str | None = Field(description="表示名（personal.view がなければ伏せ字）")
    submitted_at: datetime = Field(description="最後に回答した日時")
    via: str = Field(description="最後の回答の経路: liff / chat / staff")
    via_label: str
    times: int = Field(description="回答した回数")
    answers: list[AnswerCell]


class QuestionHead(BaseModel):
    attribute: str
    label: str
    kind: str


class FormAnswersPage(BaseModel):
    form_id: int
    total: int = Field(description="回答した人数")
    limit: int
    offset: int
    questions: list[QuestionHead]
    items: list[FormAnswer]


class TallyCount(BaseModel):
    value: str
    label: str
    count: int = Field(description="人数")


class QuestionTally(BaseModel):
    attribute: str
    label: str
    kind: str
    kind_label: str
    answered: int = Field(description="この質問に回答がある人数")
    counts: list[TallyCount] = Field(description="選択肢・数値ごとの人数（日付・テキストは個人情報のため集計しません）")
    mean: float | None = Field(description="平均（数値のみ）")


class FormTallies(BaseModel):
    form_id: int
    title: str
    responses: int = Field(description="回答した人数")
    questions: list[QuestionTally]


def _attribute_out(spec: AttributeSpec, answered: int) -> AttributeOut:
    return AttributeOut(key=spec.key, label=spec.label, kind=spec.kind, kind_label=KIND_LABELS[spec.kind],
                        category=spec.category, description=spec.description,
                        choices=[ChoiceIn(value=c.value, label=c.label) for c in spec.choices],
                        max_values=spec.max_values, min_number=spec.min_number, max_number=spec.max_number,
                        unit=spec.unit, position=spec.position, active=spec.active, builtin=spec.builtin,
                        answered=answered)


def _form_out(form: forms.FormSpec, responses: int) -> FormOut:
    return FormOut(id=form.id, key=form.key, title=form.title, description=form.description,
                   items=[FormItemIn(attribute=i.attribute, required=i.required, prompt=i.prompt) for i in form.items],
                   on_follow=form.on_follow, segment_id=form.segment_id, thanks=form.thanks, active=form.active,
                   position=form.position, builtin=form.builtin, responses=responses)


def _items(items: list[FormItemIn]) -> list[forms.FormItem]:
    return [forms.FormItem(i.attribute, i.required, i.prompt) for i in items]


router = ApiRouter("attributes", description="利用者属性・フォーム・利用者ごとの設定")


def _cell(call: Call, spec: AttributeSpec, row: answers.AnswerRow) -> str:
    values = row.values.get(spec.key, [])
    if values and spec.kind in (DATE, TEXT) and not call.personal:
        return MASK
    return display(spec, values)


def _answer_out(call: Call, asked: list[AttributeSpec], row: answers.AnswerRow) -> FormAnswer:
    see = call.personal
    return FormAnswer(citizen_id=row.citizen_id,
                      user=row.channel_user_id if see else call.ctx.pseudonym(row.channel_user_id) or "",
                      display_name=row.display_name if see else mask_value(row.display_name),
                      submitted_at=row.submitted_at, via=row.via, via_label=answers.VIA_LABELS.get(row.via, row.via),
                      times=row.times, answers=[AnswerCell(attribute=a.key, text=_cell(call, a, row)) for a in asked])


# ---- attributes -----------------------------------------------------------------------
@router.route("GET", "/attributes", summary="属性一覧", permission=READ, response=list[AttributeOut])
async def list_attributes(call: Call) -> list[AttributeOut]:
    async with call.ctx.db.read() as s:
        specs = await services.definitions(s, include_inactive=True)
        return [_attribute_out(spec, await services.value_count(s, spec.id)) for spec in specs]


@router.route("POST", "/attributes", summary="属性の追加", permission=EDIT, body=AttributeIn,
              response=AttributeOut, status=201)
async def create_attribute(call: Call) -> AttributeOut:
    b: AttributeIn = call.body
    async with call.ctx.db.write() as s:
        row = await services.create_definition(
            s, call.ctx.clock.now(), key=b.key, label=b.label, kind=b.kind,
            choices=[Choice(c.value, c.label) for c in b.choices], category=b.category,
            description=b.description, max_values=b.max_values, min_number=b.min_number,
            max_number=b.max_number, unit=b.unit, position=b.position)
        out = _attribute_out(AttributeSpec.of(row), 0)
        await call.audit(s, "attributes.create", f"attribute:{row.key}", after=out.model_dump())
    return out


@router.route("PATCH", "/attributes/{key}", summary="属性の変更", permission=EDIT, body=AttributeUpdate,
              response=AttributeOut, errors={409: "回答があるため変更できない"})
async def update_attribute(call: Call) -> AttributeOut:
    b: AttributeUpdate = call.body
    changes = b.model_dump(exclude_unset=True)
    if b.choices is not None:
        changes["choices"] = [Choice(c.value, c.label) for c in b.choices]
    key = call.request.match_info["key"]
    async with call.ctx.db.write() as s:
        before = await services.get_spec(s, key)
        row = await services.update_definition(s, call.ctx.clock.now(), key, changes)
        out = _attribute_out(AttributeSpec.of(row), await services.value_count(s, pk(row)))
        await call.audit(s, "attributes.update", f"attribute:{key}",
                         before=_attribute_out(before, out.answered).model_dump(), after=out.model_dump())
    return out


# ---- forms ----------------------------------------------------------------------------
@router.route("GET", "/forms", summary="フォーム一覧", permission=READ, response=list[FormOut])
async def list_forms(call: Call) -> list[FormOut]:
    async with call.ctx.db.read() as s:
        counts = await forms.response_counts(s)
        return [_form_out(f, counts.get(f.id, 0)) for f in await forms.list_forms(s)]


@router.route("POST", "/forms", summary="フォームの作成", permission=EDIT, body=FormIn, response=FormOut,
              status=201)
async def create_form(call: Call) -> FormOut:
    b: FormIn = call.body
    async with call.ctx.db.write() as s:
        row = await forms.create_form(s, call.ctx.clock.now(), key=b.key, title=b.title, items=_items(b.items),
                                      description=b.description, on_follow=b.on_follow, segment_id=b.segment_id,
                                      thanks=b.thanks, position=b.position)
        out = _form_out(forms.FormSpec.of(row), 0)
        await call.audit(s, "forms.create", f"form:{row.id}", after=out.model_dump())
    return out


@router.route("GET", "/forms/{form_id:\\d+}", summary="フォーム", permission=READ, response=FormOut)
async def get_form(call: Call) -> FormOut:
    async with call.ctx.db.read() as s:
        form = await forms.get_form(s, call.path_int("form_id"))
        return _form_out(form, (await forms.response_counts(s)).get(form.id, 0))


@router.route("PATCH", "/forms/{form_id:\\d+}", summary="フォームの変更", permission=EDIT, body=FormUpdate,
              response=FormOut)
async def update_form(call: Call) -> FormOut:
    b: FormUpdate = call.body
    changes = b.model_dump(exclude_unset=True)
    if b.items is not None:
        changes["items"] = _items(b.items)
    form_id = call.path_int("form_id")
    async with call.ctx.db.write() as s:
        before = await forms.get_form(s, form_id)
        row = await forms.update_form(s, call.ctx.clock.now(), form_id, changes)
        count = (await forms.response_counts(s)).get(form_id, 0)
        out = _form_out(forms.FormSpec.of(row), count)
        await call.audit(s, "forms.update", f"form:{form_id}", before=_form_out(before, count).model_dump(),
                         after=out.model_dump())
    return out


@router.route("DELETE", "/forms/{form_id:\\d+}", summary="フォームの削除", permission=EDIT,
              description="回答済みの値（利用者の属性）は残ります。")
async def delete_form(call: Call) -> None:
    form_id = call.path_int("form_id")
    async with call.ctx.db.write() as s:
        before = await forms.get_form(s, form_id)
        await forms.delete_form(s, form_id)
        await call.audit(s, "forms.delete", f"form:{form_id}", before=_form_out(before, 0).model_dump())


# ---- a form's answers (§9(3)(オ)⑦) ------------------------------------------------------------
@router.route("GET", "/forms/{form_id:\\d+}/answers", personal="form_answers", summary="フォームの回答（回答した人ごと）", permission=READ,
              query=AnswersQuery, response=FormAnswersPage,
              description="回答は利用者の属性として保存されるため、各人が今の時点で登録している値を示します。")
async def list_form_answers(call: Call) -> FormAnswersPage:
    q: AnswersQuery = call.query
    async with call.ctx.db.read() as s:
        form = await forms.get_form(s, call.path_int("form_id"))
        total = await answers.responders(s, form)
        asked, rows = await answers.answer_rows(s, form, limit=q.limit, offset=q.offset)
    return FormAnswersPage(form_id=form.id, total=total, limit=q.limit, offset=q.offset,
                           questions=[QuestionHead(attribute=a.key, label=a.label, kind=a.kind) for a in asked],
                           items=[_answer_out(call, asked, r) for r in rows])


@router.route("GET", "/forms/{form_id:\\d+}/tallies", summary="フォームの質問ごとの集計", permission=READ,
              response=FormTallies)
async def form_tallies(call: Call) -> FormTallies:
    async with call.ctx.db.read() as s:
        form = await forms.get_form(s, call.path_int("form_id"))
        total = await answers.responders(s, form)
        found = await answers.tallies(s, form)
    return FormTallies(form_id=form.id, title=form.title, responses=total, questions=[
        QuestionTally(attribute=t.spec.key, label=t.spec.label, kind=t.spec.kind, kind_label=KIND_LABELS[t.spec.kind],
                      answered=t.answered, mean=t.mean,
                      counts=[TallyCount(value=v, label=label, count=n) for v, label, n in t.counts])
        for t in found])


@router.route("GET", "/forms/{form_id:\\d+}/answers.csv", personal="form_answers", summary="フォームの回答の CSV 出力（Excel 用）",
              permission=READ, response=str, produces=CSV_CT,
              description="UTF-8（BOM つき）・改行 CRLF。personal.view がなければ利用者は仮名、日付・テキストは伏せ字です。")
async def export_form_answers(call: Call) -> Any:
    async with call.ctx.db.read() as s:
        form = await forms.get_form(s, call.path_int("form_id"))
        asked = [q.attribute for q in await forms.questions(s, form)]

    async def rows() -> AsyncIterator[list[Any]]:
        async for row in answers.every_answer(call.ctx.db, form):
            out = _answer_out(call, asked, row)
            yield [f"{tokyo(row.submitted_at):%Y-%m-%d %H:%M}", out.user, out.display_name, out.via_label,
                   out.times, *[c.text for c in out.answers]]

    async with call.ctx.db.write() as s:
        await call.audit(s, "forms.export", f"form:{form.id}", after={"personal": call.personal})
    name = f"form-{form.key}-answers-{tokyo(call.ctx.clock.now()):%Y%m%d-%H%M}.csv"
    return await stream_csv(call.request, name, ["最後の回答日時", "利用者", "表示名", "回答の経路", "回答回数",
                                                 *[a.label for a in asked]], rows())


# ---- one citizen's settings (§9(2)(ア)⑦) ------------------------------------------------
async def _citizen(s: Any, citizen_id: int) -> Citizen:
    citizen = await s.get(Citizen, citizen_id)
    if citizen is None:
        raise ApiError(404, "not_found", f"利用者（ID {citizen_id}）は見つかりません。", "citizen_id")
    return citizen


async def _values_out(s: Any, citizen_id: int) -> CitizenAttributes:
    specs = await services.definitions_by_key(s)
    values = await services.citizen_values(s, citizen_id, specs)
    return CitizenAttributes(citizen_id=citizen_id, values=[
        CitizenValue(key=spec.key, label=spec.label, kind=spec.kind, value=to_json(spec, values.get(spec.key, [])),
                     text=display(spec, values.get(spec.key, []))) for spec in specs.values() if spec.active])


@router.route("GET", "/citizens/{citizen_id:\\d+}/attributes", personal="citizen_attributes",
              summary="利用者の属性（受信設定）",
              permission=PERSONAL_PERMISSION, response=CitizenAttributes)
async def get_citizen_attributes(call: Call) -> CitizenAttributes:
    call.principal.require(READ)  # type: ignore[union-attr]
    citizen_id = call.path_int("citizen_id")
    async with call.ctx.db.read() as s:
        await _citizen(s, citizen_id)
        return await _values_out(s, citizen_id)


@router.route("PUT", "/citizens/{citizen_id:\\d+}/attributes", summary="利用者の属性の変更（職員による代理変更）",
              permission=PERSONAL_PERMISSION, body=CitizenAttributesIn, response=CitizenAttributes,
              description="指定した属性だけを置き換えます（null / [] で消去）。値はすべて確認してから書き込みます。")
async def set_citizen_attributes(call: Call) -> CitizenAttributes:
    call.principal.require(EDIT)  # type: ignore[union-attr]
    citizen_id = call.path_int("citizen_id")
    now: datetime = call.ctx.clock.now()
    async with call.ctx.db.write() as s:
        await _citizen(s, citizen_id)
        await services.set_values(s, now, citizen_id, call.body.values)
        out = await _values_out(s, citizen_id)
        await call.audit(s, "attributes.set_citizen", f"citizen:{citizen_id}",
                         after={"changed": sorted(call.body.values)})
    return out

