"""Staff API for the NLU training examples (issue #16): intents and their examples, Rasa YAML in and out,
retraining judged on the held-back examples, and "try it".

Editing examples changes nothing the bot answers until a retrain is accepted: the new model is trained on
the examples not held back, scored beside the model in use on the held-back ones (accuracy, macro F1),
and replaces it only if it is not worse on either; both figures are answered either way. An accepted
model reaches every process as FAQ changes do (``bot.content_reload``). Permissions: ``nlu.read``,
``nlu.edit``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, Field, field_validator

from admin_api.errors import ApiError
from admin_api.faq_entry_views import who
from admin_api.routing import ApiRouter, Call
from civic.content import nlu as store
from civic.content.nlu import NluExampleRow, NluModelRow
from nlu.examples import export_yaml, parse_yaml, split
from nlu.training_data import TrainingDataError, parse_annotated_text

router = ApiRouter("nlu")
INTENT = r"^[A-Za-z0-9_.\-/]{1,100}$"


class IntentOut(BaseModel):
    intent: str
    examples: int = Field(description="例文の数（評価用に取り分けた分を含む）")
    heldout: int = Field(description="評価用に取り分けた（学習に使わない）例文の数")


class ExampleOut(BaseModel):
    id: int
    intent: str
    text: str = Field(description="例文（Rasa の書き方: [みどり町](place) のように固有表現を含められます）")
    heldout: bool
    updated_at: datetime
    updated_by: str


class ExamplesQuery(BaseModel):
    intent: str | None = Field(default=None, pattern=INTENT, description="意図で絞る")


class ExampleIn(BaseModel):
    intent: str = Field(pattern=INTENT, description="意図（英数字。新しい名前で新しい意図）")
    text: str = Field(min_length=1, max_length=500, description="例文")

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        v = " ".join(v.split())
        text, _ = parse_annotated_text(v)
        if not text.strip():
            raise ValueError("例文を入力してください")
        return v


class YamlIn(BaseModel):
    yaml: str = Field(min_length=1, max_length=2_000_000, description="Rasa の NLU 学習データ（YAML）")


class ImportOut(BaseModel):
    examples: int
    intents: int
    heldout: int


class Figures(BaseModel):
    accuracy: float = Field(description="評価用の例文の正解率")
    f1: float = Field(description="意図ごとの F1 の平均（マクロ F1）")


class CurrentFigures(Figures):
    recreated: bool = Field(default=False, description="ファイルから学習したモデルを、評価用の例文を除いて学習し直して測った")


class RetrainOut(BaseModel):
    id: int
    status: Literal["accepted", "rejected"] = Field(description="accepted: 新しいモデルに置き換えた / "
                                                                "rejected: 現在のモデルのまま")
    accepted: bool
    candidate: Figures = Field(description="新しいモデルの成績")
    current: CurrentFigures = Field(description="現在のモデルの成績（同じ評価用の例文で）")
    examples: int
    heldout: int
    intents: int
    train_seconds: float
    seconds: float
    errors: list[dict[str, Any]] = Field(description="新しいモデルが間違えた評価用の例文（最大 50）")


class RetrainRecord(BaseModel):
    id: int
    status: Literal["files", "accepted", "rejected"]
    created_at: datetime
    created_by: str
    in_use: bool
    candidate: Figures | None
    current: CurrentFigures | None
    examples: int | None
    heldout: int | None


class TryQuery(BaseModel):
    q: str = Field(min_length=1, max_length=500, description="試す文")


def example_out(row: NluExampleRow) -> ExampleOut:
    assert row.id is not None
    return ExampleOut(id=row.id, intent=row.intent, text=row.text, heldout=row.heldout, updated_at=row.updated_at,
                      updated_by=row.updated_by)


def snapshot(row: NluExampleRow) -> dict[str, Any]:
    return {"id": row.id, "intent": row.intent, "text": row.text, "heldout": row.heldout}


@router.route("GET", "/nlu/intents", summary="意図の一覧（例文の数）", permission="nlu.read", response=list[IntentOut])
async def list_intents(call: Call) -> list[IntentOut]:
    async with call.ctx.db.read() as s:
        return [IntentOut(**i) for i in await store.intents(s)]


@router.route("GET", "/nlu/examples", summary="例文の一覧", permission="nlu.read", query=ExamplesQuery,
              response=list[ExampleOut])
async def list_examples(call: Call) -> list[ExampleOut]:
    async with call.ctx.db.read() as s:
        return [example_out(r) for r in await store.examples(s, call.query.intent)]


async def add_examples(s: Any, call: Call, intent: str, texts: list[str]) -> list[NluExampleRow]:
    """Examples added to ``intent`` (those it has already are skipped); for the unanswered-question loop too."""
    rows = []
    for text in dict.fromkeys(texts):
        row = await store.add(s, intent, text, now=call.ctx.clock.now(), staff=who(call))
        if row is not None:
            rows.append(row)
    return rows


@router.route("POST", "/nlu/examples", summary="例文の追加（再学習で反映）", permission="nlu.edit", body=ExampleIn,
              response=ExampleOut, status=201, errors={409: "その意図に同じ例文がある"})
async def create_example(call: Call) -> ExampleOut:
    b: ExampleIn = call.body
    async with call.ctx.db.write() as s:
        rows = await add_examples(s, call, b.intent, [b.text])
        if not rows:
            raise ApiError(409, "exists", "その意図には同じ例文がすでにあります。", "text")
        out = example_out(rows[0])
        await call.audit(s, "nlu.example_create", f"nlu_example:{out.id}", after=snapshot(rows[0]))
    return out


@router.route("DELETE", r"/nlu/examples/{id:\d+}", summary="例文の削除（再学習で反映）", permission="nlu.edit")
async def delete_example(call: Call) -> None:
    async with call.ctx.db.write() as s:
        row = await s.get(NluExampleRow, int(call.request.match_info["id"]))
        if row is None:
            raise ApiError(404, "not_found", "例文が見つかりません。", "id")
        before = snapshot(row)
        await s.delete(row)
        await call.audit(s, "nlu.example_delete", f"nlu_example:{before['id']}", before=before)


@router.route("GET", "/nlu/export", summary="学習データの書き出し（Rasa の YAML）", permission="nlu.read", response=str,
              produces="application/yaml")
async def export_nlu(call: Call) -> web.Response:
    async with call.ctx.db.read() as s:
        rows = await store.examples(s)
        extra = await store.extras(s)
    text = export_yaml([(r.intent, r.text) for r in rows], extra)
    return web.Response(text=text, content_type="application/yaml", charset="utf-8",
                        headers={"Content-Disposition": 'attachment; filename="nlu.yml"'})


@router.route("POST", "/nlu/import", summary="学習データの取り込み（Rasa の YAML、すべて置き換え）", permission="nlu.edit",
              body=YamlIn, response=ImportOut, errors={422: "YAML が読めない"},
              description="例文・synonym・lookup・regex をすべて置き換えます。評価用の例文は意図ごとに取り分け直します。"
                          "ボットの答えは再学習が採用されてから変わります。")
async def import_nlu(call: Call) -> ImportOut:
    try:
        rows, extra = parse_yaml(call.body.yaml)
    except TrainingDataError as exc:
        raise ApiError(422, "invalid", f"YAML を読めませんでした: {exc}", "yaml") from None
    if not rows:
        raise ApiError(422, "invalid", "例文（intent と examples）がありません。", "yaml")
    held = split(rows)
    async with call.ctx.db.write() as s:
        n = await store.replace(s, [(i, t, h) for (i, t), h in zip(rows, held, strict=True)], extra,
                                now=call.ctx.clock.now(), staff=who(call))
        out = ImportOut(examples=n, intents=len({i for i, _ in rows}), heldout=sum(held))
        await call.audit(s, "nlu.import", "nlu", after=out)
    return out


@router.route("POST", "/nlu/retrain", summary="再学習（評価用の例文で現在のモデルと比べ、悪くなければ置き換え）",
              permission="nlu.edit", response=RetrainOut, errors={409: "再学習を実行中", 422: "学習できない例文"},
              description="新しいモデルを評価用以外の例文で学習し、評価用の例文で新旧の正解率とマクロ F1 を測ります。"
                          "どちらも下がらなければ置き換え（全プロセスが数秒で読み込みます）、下がれば現在のモデルのままです。")
async def retrain_nlu(call: Call) -> RetrainOut:
    live = call.ctx.need(call.ctx.live_content, "NLU の再学習")

    async def audit(s: Any, result: dict[str, Any]) -> None:
        await call.audit(s, f"nlu.retrain_{result['status']}", f"nlu_model:{result['id']}",
                         after={k: v for k, v in result.items() if k != "errors"})

    try:
        result = await live.retrain_nlu(who(call), audit)
    except RuntimeError as exc:
        raise ApiError(409, "busy", str(exc) or "再学習を実行中です。") from None
    except ValueError as exc:
        if type(exc).__name__ != "CannotTrain":  # a bug, not the examples: a 500 with its trace in the log
            raise
        raise ApiError(422, "invalid", str(exc), "examples") from None
    return RetrainOut.model_validate(result)


@router.route("GET", "/nlu/retrains", summary="再学習の履歴（新旧の成績）", permission="nlu.read",
              response=list[RetrainRecord])
async def list_retrains(call: Call) -> list[RetrainRecord]:
    async with call.ctx.db.read() as s:
        rows = await store.history(s)
        used = await store.in_use(s)
    return [record_out(r, used) for r in rows]


def record_out(row: NluModelRow, used: NluModelRow | None) -> RetrainRecord:
    assert row.id is not None
    rep = row.report or {}
    return RetrainRecord(id=row.id, status=row.status, created_at=row.created_at, created_by=row.created_by,
                         in_use=used is not None and used.id == row.id,
                         candidate=Figures(**rep["candidate"]) if rep.get("candidate") else None,
                         current=CurrentFigures(**rep["current"]) if rep.get("current") else None,
                         examples=rep.get("examples"), heldout=rep.get("heldout"))


@router.route("GET", "/nlu/try", summary="文を試す（現在のモデルの意図）", permission="nlu.read", query=TryQuery,
              response=dict)
async def try_nlu(call: Call) -> dict[str, Any]:
    return call.ctx.need(call.ctx.live_content, "NLU の試行").try_nlu(call.query.q)
