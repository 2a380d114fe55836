"""Mail to LINE (国富町 §9(2)(ア)⑥): a received mail becomes a delivery to everyone or a segment,
its text rewritten by the rule that matches it, sent at once or held for a staff member's approval.

Mails arrive by SMTP (``bot.mail_receiver``) or as an uploaded raw file (``.eml``). Parsing uses
the standard library's modern e-mail API, which decodes ISO-2022-JP, Shift_JIS, quoted-printable
and base64 headers and bodies; the first ``text/plain`` part is the text (else ``text/html``,
stripped of tags); attachments are ignored.

Rules are tried by ``priority`` (smallest first); the first whose sender and subject match wins.
Rewriting steps, applied in order (JSON)::

    {"type": "cut_after", "marker": "^-- ?$"}      # cut the signature: from the first matching line on
    {"type": "replace", "pattern": "（株）", "replacement": "株式会社"}   # regular expression
    {"type": "remove_quotes"}                       # drop lines quoting an earlier mail ("> …")
    {"type": "prepend", "text": "【防災みどり】"}
    {"type": "append", "text": "みどり町役場 総務課"}

A mail no rule matches is kept (status ``ignored``) for staff to see, and nothing is sent. The
same mail (by Message-ID) arriving twice — an SMTP retry — is taken once.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.deliveries.content import MAX_TEXT, utf16_len
from civic.deliveries.errors import DeliveryProblem
from civic.deliveries.models import EVERYONE, NOW, SEGMENT, InboundMail, MailRule
from civic.deliveries.services import DeliveryDesk, DeliveryInput
from civic.disaster import services as disaster

DELIVERED, HELD, IGNORED, ERROR, DUPLICATE = "delivered", "held", "ignored", "error", "duplicate"
MAX_MAIL_BYTES = 5 * 1024 * 1024
_TAG = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"(?i)<\s*(br|/p|/div|/li|/tr|/h\d)\b[^>]*>")


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Replace(_Step):
    type: Literal["replace"] = "replace"
    pattern: str = Field(min_length=1, max_length=300)
    replacement: str = Field(default="", max_length=1000)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"正規表現が正しくありません（{exc}）。") from None
        return v


class Prepend(_Step):
    type: Literal["prepend"] = "prepend"
    text: str = Field(min_length=1, max_length=1000)


class Append(_Step):
    type: Literal["append"] = "append"
    text: str = Field(min_length=1, max_length=1000)


class CutAfter(_Step):
    type: Literal["cut_after"] = "cut_after"
    marker: str = Field(default=r"^-- ?$", min_length=1, max_length=300, description="この行から後ろを削る（正規表現）")

    @field_validator("marker")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"正規表現が正しくありません（{exc}）。") from None
        return v


class RemoveQuotes(_Step):
    type: Literal["remove_quotes"] = "remove_quotes"


Step = Replace | Prepend | Append | CutAfter | RemoveQuotes
STEPS = TypeAdapter(list[Step])


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None
    sender: str
    subject: str
    text: str
    attachments: int


def parse(raw: bytes) -> ParsedMail:
    if len(raw) > MAX_MAIL_BYTES:
        raise DeliveryProblem("invalid", "mail_too_large", "メールが大きすぎます（5MBまで）。", "mail")
    message: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)
    sender = parseaddr(str(message.get("From", "")))[1].lower()
    subject = " ".join(str(message.get("Subject", "")).split())
    message_id = str(message.get("Message-ID", "")).strip() or None
    attachments = sum(1 for _ in message.iter_attachments()) if message.is_multipart() else 0
    text = ""
    body = message.get_body(preferencelist=("plain", "html"))
    if body is not None:
        try:
            content = body.get_content()
        except (LookupError, UnicodeDecodeError):
            payload = body.get_payload(decode=True) or b""
            content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else str(payload)
        text = _html_to_text(content) if body.get_content_type() == "text/html" else content
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return ParsedMail(message_id[:300] if message_id else None, sender, subject, text.strip("\n"), attachments)


def _html_to_text(markup: str) -> str:
    markup = re.sub(r"(?is)<(script|style)\b.*?</\1>", "", markup)
    return html.unescape(_TAG.sub("", _BLOCK.sub("\n", markup)))


def rewrite(text: str, steps: list[Step]) -> str:
    for step in steps:
        if isinstance(step, Replace):
            text = re.sub(step.pattern, step.replacement, text, flags=re.MULTILINE)
        elif isinstance(step, CutAfter):
            marker = re.compile(step.marker)
            lines = text.split("\n")
            for i, line in enumerate(lines):
                if marker.search(line):
                    lines = lines[:i]
                    break
            text = "\n".join(lines)
        elif isinstance(step, RemoveQuotes):
            text = "\n".join(line for line in text.split("\n") if not re.match(r"^\s*[>＞]", line))
        elif isinstance(step, Prepend):
            text = step.text + "\n" + text
        elif isinstance(step, Append):
            text = text.rstrip("\n") + "\n" + step.text
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _sender_matches(pattern: str, sender: str) -> bool:
    pattern = pattern.strip().lower()
    if not pattern:
        return True
    if pattern.startswith("@"):
        return sender.endswith(pattern)
    return sender == pattern


def matches(rule: MailRule, mail: ParsedMail) -> bool:
    if not rule.active or not _sender_matches(rule.sender, mail.sender):
        return False
    return not rule.subject or re.search(rule.subject, mail.subject) is not None


def steps_of(rule: MailRule) -> list[Step]:
    return STEPS.validate_python(json.loads(rule.rewrite or "[]"))


def message_text(rule: MailRule, mail: ParsedMail) -> str:
    body = rewrite(mail.text, steps_of(rule))
    if rule.include_subject and mail.subject:
        body = f"【{mail.subject}】\n{body}" if body else f"【{mail.subject}】"
    if utf16_len(body) > MAX_TEXT:
        tail = "\n…（以下省略）"
        while utf16_len(body) + utf16_len(tail) > MAX_TEXT:
            body = body[: len(body) - 200]
        body += tail
    return body


async def rules(s: AsyncSession) -> list[MailRule]:
    return list((await s.exec(select(MailRule).order_by(col(MailRule.priority), col(MailRule.id)))).all())


async def receive(s: AsyncSession, now: datetime, desk: DeliveryDesk, raw: bytes, *, via: str = "smtp",
                  envelope_from: str | None = None) -> InboundMail:
    """Take one mail: record it, and if a rule matches, create its delivery (now, or held for approval)."""
    mail = parse(raw)
    sender = mail.sender or (envelope_from or "").lower()
    if mail.message_id:
        seen = (await s.exec(select(InboundMail).where(InboundMail.message_id == mail.message_id))).first()
        if seen is not None:
            return seen
    row = InboundMail(message_id=mail.message_id, sender=sender[:254], subject=mail.subject[:2000],
                      body=mail.text or "", via=via, status=IGNORED, received_at=now)
    s.add(row)
    await s.flush()
    mail = ParsedMail(mail.message_id, sender, mail.subject, mail.text, mail.attachments)
    rule = next((r for r in await rules(s) if matches(r, mail)), None)
    if rule is None:
        return row
    row.rule_id = rule.id
    if rule.disaster_mode:  # a 避難指示 / 気象警報 mail switches the town's mode (issue #22); menus follow after commit
        await disaster.change_mode(s, now, mode=rule.disaster_mode, by=f"mail-rule:{rule.id}",
                                   reason=f"メール「{mail.subject or rule.name}」（ルール「{rule.name}」）")
    text = message_text(rule, mail)
    if not text.strip():
        row.status, row.error = ERROR, "書き換えの結果、本文が空になりました。"
        s.add(row)
        return row
    data = DeliveryInput(title=(f"メール: {mail.subject}" if mail.subject else f"メール: {rule.name}")[:100],
                         messages=[{"type": "text", "text": text}],
                         target=SEGMENT if rule.target == SEGMENT else EVERYONE,
                         segment_id=rule.segment_id if rule.target == SEGMENT else None, timing=NOW,
                         # a warning that switches the town to 警戒 / 災害 goes out before everything else
                         urgent=rule.disaster_mode in ("alert", "disaster"))
    try:
        delivery = await desk.create(s, now, data, by=f"mail:{rule.name}"[:64], source="mail",
                                     source_ref=f"mail:{row.id}", needs_approval=rule.needs_approval)
    except DeliveryProblem as exc:
        row.status, row.error = ERROR, exc.message
        s.add(row)
        return row
    row.delivery_id = delivery.id
    row.status = HELD if rule.needs_approval else DELIVERED
    s.add(row)
    await s.flush()
    return row


def check_rule_fields(data: dict[str, Any]) -> list[Step]:
    """Refuse a rule staff cannot have meant: a subject pattern or rewrite step that does not compile."""
    if data.get("subject"):
        try:
            re.compile(data["subject"])
        except re.error as exc:
            raise DeliveryProblem("invalid", "subject_pattern", f"件名の正規表現が正しくありません（{exc}）。",
                                  "subject") from None
    return STEPS.validate_python(data.get("rewrite") or [])
