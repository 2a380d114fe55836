"""QR payload size and generation time for households of 1–6 people (long names and addresses).

``python -m bench procedures [--repeat N]`` prints, per household size: the compressed payload,
the sealed bytes and text length, the QR version and modules per side at error correction M, how
many codes it takes (split above version 25), and the time to seal and draw them (median of N).
"""

from __future__ import annotations

import argparse
import statistics
import time
import zlib
from datetime import UTC, date, datetime

from civic.procedures.household import Address, Household, Person
from civic.procedures.payload import PREFIX, QrKeyring, Ticket, b45decode, encode_ticket, ticket_json
from civic.procedures.qr import MAX_VERSION, render

# Long, realistic names (kanji up to 4+3 characters) and long addresses with building names.
PEOPLE = [
    ("世帯主", "長谷川　龍之介", "ハセガワ　リュウノスケ", date(1979, 4, 12), "男"),
    ("妻", "長谷川　美智恵", "ハセガワ　ミチエ", date(1981, 11, 30), "女"),
    ("子", "長谷川　陽菜乃", "ハセガワ　ヒナノ", date(2010, 7, 5), "女"),
    ("子", "長谷川　虎太郎", "ハセガワ　コタロウ", date(2015, 2, 22), "男"),
    ("母", "勅使河原　富士子", "テシガワラ　フジコ", date(1950, 1, 3), "女"),
    ("父", "勅使河原　源一郎", "テシガワラ　ゲンイチロウ", date(1948, 8, 15), "男"),
]
ADDRESSES = (
    Address("new", "8390902", "福岡県みどり郡みどり町緑ヶ丘", "二丁目1234番地5 グリーンハイツ緑ヶ丘A棟305号室"),
    Address("old", "1500001", "東京都渋谷区神宮前", "六丁目23番地4 プレミアムレジデンス表参道ウエストタワー1203号室"),
)
ANSWERS = {"from": "domestic", "online": "paper", "certificate": "yes", "moved_on": "2026-12-01", "card": "yes",
           "kokuho": "yes", "elderly": "age75", "care": "yes", "children": "yes", "school": "yes",
           "public_servant": "no", "seal": "yes", "dog": "no"}
PROCEDURES = (101, 151, 201, 222, 501, 301, 303, 401, 161)


def ticket(size: int) -> Ticket:
    people = tuple(Person(n, k, b, s, r) for r, n, k, b, s in PEOPLE[:size])
    return Ticket("tennyu", PROCEDURES, ANSWERS, Household(people, ADDRESSES), datetime(2026, 12, 1, 1, tzinfo=UTC))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench procedures")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    keys = QrKeyring(bytes(range(32)))
    print("people  json  deflate  sealed  text  version  modules  codes  seal+draw ms")
    for size in range(1, 7):
        t = ticket(size)
        raw_json = len(ticket_json(t))
        deflated = len(encode_ticket(t))
        times, codes, sealed = [], [], ""
        for _ in range(args.repeat):
            start = time.perf_counter()
            sealed = keys.seal(t)
            codes = render(sealed)
            times.append((time.perf_counter() - start) * 1000)
        sealed_bytes = len(b45decode(sealed[len(PREFIX):]))
        versions = "+".join(str(c.version) for c in codes)
        modules = "+".join(str(c.modules) for c in codes)
        print(f"{size:>6}  {raw_json:>4}  {deflated:>7}  {sealed_bytes:>6}  {len(sealed):>4}  {versions:>7}  "
              f"{modules:>7}  {len(codes):>5}  {statistics.median(times):>12.1f}")
    print(f"(error correction M; one code up to version {MAX_VERSION}; deflate uses a preset dictionary, "
          f"zlib {zlib.ZLIB_VERSION})")
    return 0
