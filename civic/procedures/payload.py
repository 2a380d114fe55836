"""What the counter's QR code carries, sealed with AES-GCM under the town's key (§8(6) t, u, v).

Layout of the text in the code (all QR *alphanumeric*-mode characters, 5.5 bits each)::

    MD1:<base45(format ‖ key id ‖ nonce ‖ AES-256-GCM(deflate(compact JSON)))>

* ``format`` (1 byte) — the payload format; the JSON layout and the deflate dictionary belong to it.
* ``key id`` (4 bytes) — which of the town's keys sealed it, so keys can rotate: new codes use the
  active key, codes issued under a retired key still open while that key is configured.
* The header is authenticated (AAD): changing any byte, or a code sealed under another town's key,
  is refused.
* The content is a positional JSON array with procedure *codes* instead of names, compressed with
  a preset dictionary of common address and kana text, then base45 (RFC 9285), which packs into the
  QR alphanumeric mode at 97 % of the efficiency of raw bytes while staying text staff can paste.

When the text is too big for one comfortable code (above QR version 25 at level M), it is split
into parts ``MD1P<i>/<n>.<set id>:<chunk>``; the counter joins the parts before opening them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from civic.crypto import key_id_for
from civic.procedures.household import SEXES, Address, Household, Person

PREFIX = "MD1:"
FORMAT = 1
STALE_DAYS = 30
_SEX_NAMES = {v: k for k, v in SEXES.items()}
_PART = re.compile(r"^MD1P(\d)/(\d)\.([0-9A-Z]{4}):(.+)$")

# The deflate dictionary of format 1. Never edit it: codes already issued depend on it (add a new
# format instead). Most-likely strings go last (deflate prefers near matches).
_ZDICT_1 = (
    "男女" + "".join(chr(c) for c in range(0x30A1, 0x30F7)) + "ー"
    + "北海道青森県岩手県宮城県秋田県山形県福島県茨城県栃木県群馬県埼玉県千葉県東京都神奈川県新潟県富山県石川県"
    "福井県山梨県長野県岐阜県静岡県愛知県三重県滋賀県京都府大阪府兵庫県奈良県和歌山県鳥取県島根県岡山県広島県"
    "山口県徳島県香川県愛媛県高知県佐賀県長崎県熊本県大分県宮崎県鹿児島県沖縄県"
    "市区町村郡大字字丁目番地番号号室棟階マンションハイツアパートコーポレジデンスビル"
    "世帯主妻夫子父母祖父祖母孫兄弟姉妹縁故者同居人その他"
    "福岡県みどり郡みどり町中央緑ヶ丘大字緑川大字若葉大字青木大字森田"
    '"domestic","abroad","yes","no","moved_on",'
).encode("utf-8")
_ZDICTS = {1: _ZDICT_1}


class PayloadError(ValueError):
    """A code the counter cannot open; ``message`` is for staff, in Japanese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Ticket:
    """Everything the counter needs: the event, the procedure codes, the answers and the household."""

    event: str
    procedures: tuple[int, ...]
    answers: dict[str, str]
    household: Household | None
    issued_at: datetime
    extra: dict[str, str] = field(default_factory=dict)

    def stale(self, now: datetime) -> bool:
        """Issued more than ``STALE_DAYS`` ago: the counter still opens it but asks staff to check it."""
        return (now - self.issued_at).days > STALE_DAYS


# ---- compact encoding --------------------------------------------------------------------------

def _date_int(d: date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def _int_date(n: int) -> date:
    return date(n // 10000, n // 100 % 100, n % 100)


def _pack_answer(value: str) -> str | int:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return int(value.replace("-", ""))
    return value


def _unpack_answer(value: str | int) -> str:
    return _int_date(value).isoformat() if isinstance(value, int) else str(value)


def ticket_json(ticket: Ticket) -> bytes:
    """The compact positional JSON, before compression."""
    people, addresses = [], []
    if ticket.household is not None:
        people = [[p.relationship, p.name, p.kana, _date_int(p.birth_date), SEXES[p.sex]]
                  for p in ticket.household.people]
        addresses = [[a.role, a.postal_code, a.region, a.detail, a.country] if a.country
                     else [a.role, a.postal_code, a.region, a.detail] for a in ticket.household.addresses]
    doc = [int(ticket.issued_at.timestamp()) // 60, ticket.event, list(ticket.procedures),
           [[k, _pack_answer(v)] for k, v in ticket.answers.items()], addresses, people]
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def encode_ticket(ticket: Ticket) -> bytes:
    raw = ticket_json(ticket)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zdict=_ZDICTS[FORMAT])
    return packer.compress(raw) + packer.flush()


def decode_ticket(blob: bytes, fmt: int = FORMAT) -> Ticket:
    try:
        unpacker = zlib.decompressobj(-15, zdict=_ZDICTS[fmt])
        raw = unpacker.decompress(blob, 64 * 1024)
        minutes, event, procedures, answers, addresses, people = json.loads(raw.decode("utf-8"))
        household = None
        if people or addresses:
            household = Household(
                tuple(Person(name, kana, _int_date(born), _SEX_NAMES[sex], rel) for rel, name, kana, born, sex in people),
                tuple(Address(a[0], a[1], a[2], a[3], a[4] if len(a) > 4 else "") for a in addresses),
            )
        return Ticket(str(event), tuple(int(p) for p in procedures),
                      {str(k): _unpack_answer(v) for k, v in answers}, household,
                      datetime.fromtimestamp(int(minutes) * 60, UTC))
    except (zlib.error, ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise PayloadError("corrupt", "二次元コードの内容を読み取れません（形式が正しくありません）。") from exc


# ---- base45 (RFC 9285) ------------------------------------------------------------------------

_B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_INDEX = {c: i for i, c in enumerate(_B45)}


def b45encode(data: bytes) -> str:
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        c, n = n % 45, n // 45
        d, e = n % 45, n // 45
        out += [_B45[c], _B45[d], _B45[e]]
    if len(data) % 2:
        c, d = data[-1] % 45, data[-1] // 45
        out += [_B45[c], _B45[d]]
    return "".join(out)


def b45decode(text: str) -> bytes:
    try:
        values = [_B45_INDEX[c] for c in text]
    except KeyError as exc:
        raise ValueError("not base45") from exc
    out = bytearray()
    for i in range(0, len(values), 3):
        chunk = values[i:i + 3]
        if len(chunk) == 3:
            n = chunk[0] + chunk[1] * 45 + chunk[2] * 2025
            if n > 0xFFFF:
                raise ValueError("not base45")
            out += bytes((n // 256, n % 256))
        elif len(chunk) == 2:
            n = chunk[0] + chunk[1] * 45
            if n > 0xFF:
                raise ValueError("not base45")
            out.append(n)
        else:
            raise ValueError("not base45")
    return bytes(out)


# ---- sealing ----------------------------------------------------------------------------------

@dataclass
class QrKeyring:
    """The town's QR keys: seal with ``active``, open with any configured key (rotation)."""

    active: bytes
    retired: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._keys = {bytes.fromhex(key_id_for(k)): AESGCM(k) for k in [*self.retired, self.active]}
        self._active_id = bytes.fromhex(key_id_for(self.active))

    @property
    def active_key_id(self) -> str:
        return self._active_id.hex()

    def seal(self, ticket: Ticket) -> str:
        header = bytes((FORMAT,)) + self._active_id
        blob = encode_ticket(ticket)
        while True:
            nonce = os.urandom(12)
            sealed = self._keys[self._active_id].encrypt(nonce, blob, PREFIX.encode() + header)
            text = PREFIX + b45encode(header + nonce + sealed)
            if not text.endswith(" "):  # a trailing space would be lost when pasted
                return text

    def open(self, text: str) -> Ticket:
        # Base45 uses the space character: only line breaks and tabs are trimmed.
        text = text.strip("\r\n\t") if text else ""
        if not text.startswith(PREFIX):
            raise PayloadError("foreign", "この町の手続きナビの二次元コードではありません。")
        try:
            raw = b45decode(text[len(PREFIX):])
        except ValueError:
            raise PayloadError("corrupt", "二次元コードの内容が壊れています。読み取り直してください。") from None
        if len(raw) < 1 + 4 + 12 + 16:
            raise PayloadError("corrupt", "二次元コードの内容が短すぎます。読み取り直してください。")
        fmt, kid, nonce, body = raw[0], raw[1:5], raw[5:17], raw[17:]
        if fmt not in _ZDICTS:
            raise PayloadError("format", f"この形式（{fmt}）の二次元コードには対応していません。")
        aead = self._keys.get(kid)
        if aead is None:
            raise PayloadError("unknown_key",
                               f"この二次元コードの鍵（{kid.hex()}）は登録されていません。他の自治体のコードか、古い鍵のコードです。")
        try:
            blob = aead.decrypt(nonce, body, PREFIX.encode() + raw[:5])
        except InvalidTag:
            raise PayloadError("tampered", "二次元コードの内容が改ざんされているか、壊れています。受け付けできません。") from None
        return decode_ticket(blob, fmt)


def reference(text: str) -> str:
    """A short, stable name for one issued code: the same whether scanned whole or in parts (once
    joined), different for every issue (each seal has its own nonce). It is a digest of the sealed
    text, so it tells nothing of the household; the operation log and the counter name an
    application by it. Its first four characters are the set id of the code's split parts."""
    return hashlib.sha256(text.encode()).hexdigest()[:16].upper()


# ---- splitting into parts ----------------------------------------------------------------------

def split_text(text: str, parts: int) -> list[str]:
    """``MD1P1/2.K7Q2:…`` parts; the set id lets the counter tell two households' parts apart."""
    if parts <= 1:
        return [text]
    body = text[len(PREFIX):]
    set_id = hashlib.sha256(text.encode()).hexdigest()[:4].upper()
    size = -(-len(body) // parts)
    return [f"MD1P{i + 1}/{parts}.{set_id}:{body[i * size:(i + 1) * size]}" for i in range(parts)]


def join_texts(texts: list[str]) -> str:
    """One sealed text from what was scanned: a whole code, or every part of a split one."""
    cleaned = [t.strip("\r\n\t") for t in texts if t and t.strip()]
    if not cleaned:
        raise PayloadError("empty", "二次元コードの内容を入力してください。")
    whole = [t for t in cleaned if t.startswith(PREFIX)]
    if whole:
        return whole[0]
    found: dict[int, str] = {}
    counts, sets = set(), set()
    for t in cleaned:
        m = _PART.match(t)
        if m is None:
            raise PayloadError("foreign", "この町の手続きナビの二次元コードではありません。")
        found[int(m.group(1))] = m.group(4)
        counts.add(int(m.group(2)))
        sets.add(m.group(3))
    if len(sets) > 1:
        raise PayloadError("mixed", "別々の世帯の二次元コードが混ざっています。同じ画面のコードを読み取ってください。")
    total = counts.pop() if len(counts) == 1 else 0
    missing = [str(i) for i in range(1, total + 1) if i not in found]
    if not total or missing:
        raise PayloadError("incomplete", f"二次元コードがそろっていません（{'・'.join(missing) or '?'}枚目がありません）。")
    return PREFIX + "".join(found[i] for i in range(1, total + 1))
