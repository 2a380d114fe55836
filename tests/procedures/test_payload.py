"""The counter's QR code: AES-GCM sealed, compact, rotating keys, tamper-proof, split when too big."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest

from civic.procedures.household import Address, Household, Person
from civic.procedures.payload import (
    PayloadError,
    QrKeyring,
    Ticket,
    b45decode,
    b45encode,
    join_texts,
    split_text,
)
from civic.procedures.qr import MAX_VERSION, png_bytes, read_image, render

KEY_A, KEY_B, KEY_OTHER_TOWN = bytes(range(32)), bytes(range(1, 33)), bytes(32)


def family(size: int = 4) -> Household:
    names = [("世帯主", "長谷川　龍之介", "ハセガワ　リュウノスケ", date(1979, 4, 12), "男"),
             ("妻", "長谷川　美智恵", "ハセガワ　ミチエ", date(1981, 11, 30), "女"),
             ("子", "長谷川　陽菜乃", "ハセガワ　ヒナノ", date(2010, 7, 5), "女"),
             ("子", "長谷川　虎太郎", "ハセガワ　コタロウ", date(2015, 2, 22), "男"),
             ("母", "長谷川　富士子", "ハセガワ　フジコ", date(1950, 1, 3), "女"),
             ("父", "長谷川　源一郎", "ハセガワ　ゲンイチロウ", date(1948, 8, 15), "男")]
    people = tuple(Person(n, k, b, s, r) for r, n, k, b, s in names[:size])
    return Household(people, (
        Address("new", "8390902", "福岡県みどり郡みどり町緑ヶ丘", "二丁目1234番地5 グリーンハイツ緑ヶ丘A棟305号室"),
        Address("old", "1500001", "東京都渋谷区神宮前", "六丁目23番地4 プレミアムレジデンス表参道ウエストタワー1203号室"),
    ))


def ticket(size: int = 4) -> Ticket:
    return Ticket("tennyu", (101, 151, 201, 301, 303, 401), {"from": "domestic", "moved_on": "2026-12-01"},
                  family(size), datetime(2026, 12, 1, 1, 5, tzinfo=UTC))


def test_base45_round_trip() -> None:
    rng = random.Random(7)
    for n in range(0, 40):
        data = bytes(rng.randrange(256) for _ in range(n))
        assert b45decode(b45encode(data)) == data
    assert b45encode(b"AB") == "BB8"  # RFC 9285 example
    with pytest.raises(ValueError):
        b45decode("GGW")  # 65535 < value


def test_round_trip_keeps_everything() -> None:
    keys = QrKeyring(KEY_A)
    sealed = keys.seal(ticket())
    assert sealed.startswith("MD1:")
    opened = keys.open(sealed)
    assert opened == ticket()
    assert "長谷川" not in sealed and "HASEGAWA" not in sealed


def test_the_same_ticket_seals_differently_each_time() -> None:
    keys = QrKeyring(KEY_A)
    assert keys.seal(ticket()) != keys.seal(ticket())  # a fresh nonce


def test_any_changed_character_is_refused() -> None:
    keys = QrKeyring(KEY_A)
    sealed = keys.seal(ticket())
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    rng = random.Random(3)
    for position in rng.sample(range(len("MD1:"), len(sealed)), 25):
        changed = alphabet[(alphabet.index(sealed[position]) + 1) % 45]
        tampered = sealed[:position] + changed + sealed[position + 1:]
        with pytest.raises(PayloadError) as exc:
            keys.open(tampered)
        assert exc.value.code in {"tampered", "corrupt", "unknown_key", "format"}


def test_a_foreign_code_is_refused_clearly() -> None:
    with pytest.raises(PayloadError) as exc:
        QrKeyring(KEY_A).open(QrKeyring(KEY_OTHER_TOWN).seal(ticket()))
    assert exc.value.code == "unknown_key" and "他の自治体" in exc.value.message
    with pytest.raises(PayloadError) as exc:
        QrKeyring(KEY_A).open("https://example.com/")
    assert exc.value.code == "foreign"
    with pytest.raises(PayloadError) as exc:
        QrKeyring(KEY_A).open("MD1:AB")
    assert exc.value.code == "corrupt"


def test_keys_rotate() -> None:
    old = QrKeyring(KEY_A)
    issued_before = old.seal(ticket())
    rotated = QrKeyring(KEY_B, retired=[KEY_A])
    assert rotated.open(issued_before) == ticket()  # old codes still open
    issued_after = rotated.seal(ticket())
    assert issued_after[4:] != issued_before[4:]
    with pytest.raises(PayloadError) as exc:
        old.open(issued_after)  # a counter without the new key cannot
    assert exc.value.code == "unknown_key"
    with pytest.raises(PayloadError):
        QrKeyring(KEY_B).open(issued_before)  # the retired key removed: old codes no longer open


@pytest.mark.parametrize("size", [1, 4, 6])
def test_a_household_fits_one_scannable_code(size: int) -> None:
    sealed = QrKeyring(KEY_A).seal(ticket(size))
    [code] = render(sealed)
    assert code.version <= MAX_VERSION and code.modules == 17 + 4 * code.version
    assert code.svg.startswith("<?xml") or code.svg.startswith("<svg")


def test_a_payload_too_big_for_one_code_is_split_and_joined() -> None:
    keys = QrKeyring(KEY_A)
    sealed = keys.seal(ticket())
    codes = render(sealed, max_version=10)
    assert len(codes) >= 2 and all(c.version <= 10 for c in codes)
    texts = [c.text for c in codes]
    assert texts[0].startswith("MD1P1/")
    assert keys.open(join_texts(list(reversed(texts)))) == ticket()  # any order
    with pytest.raises(PayloadError) as exc:
        join_texts(texts[:-1])
    assert exc.value.code == "incomplete"
    other = split_text(keys.seal(ticket(1)), len(texts))
    with pytest.raises(PayloadError) as exc:
        join_texts([texts[0], other[1]])
    assert exc.value.code == "mixed"


def test_a_code_is_read_back_from_an_image() -> None:
    sealed = QrKeyring(KEY_A).seal(ticket())
    assert read_image(png_bytes(sealed)) == [sealed]
    assert read_image(b"not an image") == []
