"""Staff API for the pre-application navigation: access counts (§8(6) z) and opening a counter QR code."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from admin_api.errors import ApiError
from admin_api.routing import ApiRouter, Call
from civic.procedures.audit import opened_entry, refused_entry
from civic.procedures.payload import PayloadError, join_texts
from civic.procedures.services import access_counts
from civic.procedures.tree import CHANNELS

STATS_PERMISSION = "procedures.stats"
COUNTER_PERMISSION = "procedures.counter"


class AccessQuery(BaseModel):
    since: date | None = Field(default=None, description="集計の開始日（この日を含む、日本時間）")
    until: date | None = Field(default=None, description="集計の終了日（この日を含む、日本時間）")


class AccessRow(BaseModel):
    event: str = Field(description="ライフイベントのコード")
    title: str = Field(description="ライフイベントの名前")
    web: int = Field(description="ホームページ（ブラウザ）からの件数")
    line: int = Field(description="LINE（トーク・LIFF）からの件数")
    total: int


class OpenCode(BaseModel):
    texts: list[str] = Field(min_length=1, max_length=8, description="読み取った二次元コードの内容（分割時は全部）")


class CounterPerson(BaseModel):
    relationship: str
    name: str
    kana: str
    birth_date: date
    sex: str


class CounterAddress(BaseModel):
    role: str
    postal_code: str
    text: str


class CounterTicket(BaseModel):
    event: str
    issued_at: str
    procedures: list[int]
    answers: dict[str, str]
    people: list[CounterPerson]
    addresses: list[CounterAddress]


router = ApiRouter("procedures")


@router.route("GET", "/procedures/access-counts", summary="手続きナビのアクセス件数（ライフイベント別・経路別）",
              permission=STATS_PERMISSION, query=AccessQuery, response=list[AccessRow])
async def list_access_counts(call: Call) -> list[AccessRow]:
    q: AccessQuery = call.query
    if q.since and q.until and q.since > q.until:
        raise ApiError(422, "invalid", "開始日は終了日より前にしてください。", "since")
    rows: dict[str, dict[str, int]] = {}
    for c in await access_counts(call.ctx.db, since=q.since, until=q.until):
        rows.setdefault(c.event, dict.fromkeys(CHANNELS, 0))[c.channel] = c.count
    events = call.ctx.need(call.ctx.procedures, "手続きナビ").ordered_events()
    known = [e.code for e in events] + sorted(set(rows) - {e.code for e in events})
    titles = {e.code: e.title for e in events}
    out = []
    for code in known:
        counts = rows.get(code, dict.fromkeys(CHANNELS, 0))
        out.append(AccessRow(event=code, title=titles.get(code, code), web=counts["web"], line=counts["line"],
                             total=sum(counts.values())))
    return out


@router.route("POST", "/procedures/counter/open", summary="窓口: 事前申請の二次元コードを開く",
              permission=COUNTER_PERMISSION, body=OpenCode, response=CounterTicket)
async def open_counter_code(call: Call) -> CounterTicket:
    # Logged like the counter page (小郡市 spec §12(4) ログ): the code's reference and kind,
    # never the sealed text or the household; a refused code too.
    keys = call.ctx.need(call.ctx.qr_keys, "窓口での二次元コードの読み取り")
    joined: str | None = None
    try:
        joined = join_texts(call.body.texts)
        ticket = keys.open(joined)
    except PayloadError as exc:
        entry = refused_entry(exc, joined, via="api", parts=len(call.body.texts))
        async with call.ctx.db.write() as s:
            await call.audit(s, entry.action, entry.target, after=entry.after)
        raise ApiError(422, exc.code, exc.message, "texts") from None
    entry = opened_entry(ticket, joined, now=call.ctx.clock.now(), via="api")
    async with call.ctx.db.write() as s:
        await call.audit(s, entry.action, entry.target, after=entry.after)
    people = list(ticket.household.people) if ticket.household else []
    addresses = list(ticket.household.addresses) if ticket.household else []
    return CounterTicket(
        event=ticket.event, issued_at=ticket.issued_at.isoformat(), procedures=list(ticket.procedures),
        answers=ticket.answers,
        people=[CounterPerson(relationship=p.relationship, name=p.name, kana=p.kana, birth_date=p.birth_date,
                              sex=p.sex) for p in people],
        addresses=[CounterAddress(role=a.role, postal_code=a.postal_code, text=a.text) for a in addresses])

