"""Mail to LINE for staff (国富町 §9(2)(ア)⑥): rules (``/mail-rules``), received mails (``/mails``),
uploading a raw mail (``.eml``) instead of sending it by SMTP, and a preview of a rule's rewriting —
of a saved rule on a raw mail, or of a rule being edited on a mail pasted as sender, subject and body.

A held mail is approved or rejected through its delivery (``/deliveries/{id}/approve`` or
``/cancel``); the list shows each mail's delivery status so staff see what became of it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import col, select

from admin_api.delivery_views import STATUS_LABELS
from admin_api.errors import ApiError, from_validation_error
from admin_api.routing import ApiRouter, Call
from civic.deliveries import mail
from civic.deliveries.models import Delivery, InboundMail, MailRule
from civic.segments.models import Segment

READ, SEND = "deliveries.read", "deliveries.send"
MAIL_TYPES = ("message/rfc822", "application/octet-stream", "text/plain")
REWRITE_DOC = ("書き換えの手順（順に適用）: cut_after（署名を削る）/ replace（正規表現で置換）/ remove_quotes / "
               "prepend / append。例: [{\"type\": \"cut_after\", \"marker\": \"^-- ?$\"}, "
               "{\"type\": \"prepend\", \"text\": \"【防災みどり】\"}]")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MailRuleIn(_In):
    name: str = Field(min_length=1, max_length=80)
    priority: int = Field(default=100, ge=0, le=100000, description="小さいほど先に判定")
    sender: str = Field(default="", max_length=254, description="差出人アドレス、@ドメイン、空（だれでも）")
    subject: str = Field(default="", max_length=300, description="件名の正規表現（空: すべて）")
    rewrite: list[dict[str, Any]] = Field(default_factory=list, max_length=30, description=REWRITE_DOC)
    include_subject: bool = True
    target: Literal["all", "segment"] = "all"
    segment_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    needs_approval: bool = Field(default=False, description="職員が承認してから配信する")
    active: bool = True
    disaster_mode: Literal["alert", "disaster"] | None = Field(
        default=None, description="当てはまるメールで防災モードを切り替える（alert: 警戒 / disaster: 災害）。"
                                  "disaster.manage の権限が必要です")


class MailRuleOut(MailRuleIn):
    id: int
    created_at: datetime
    updated_at: datetime


class InboundMailOut(BaseModel):
    id: int
    sender: str
    subject: str
    body: str = Field(description="本文（personal.view がなければ伏せ字）")
    via: str
    status: str = Field(description="delivered（配信）/ held（承認待ち）/ ignored（該当ルールなし）/ error")
    rule_id: int | None
    delivery_id: int | None
    error: str | None
    received_at: datetime
    delivery_status: str | None = Field(default=None, description="配信の状態（approval: 承認待ち など）")
    delivery_status_label: str | None = None


class PreviewOut(BaseModel):
    matches: bool
    text: str


class DraftPreviewIn(_In):
    rule: MailRuleIn
    sender: str = Field(default="", max_length=254, description="貼り付けたメールの差出人アドレス")
    subject: str = Field(default="", max_length=2000)
    body: str = Field(default="", max_length=100_000, description="貼り付けたメールの本文")


class DraftPreviewOut(PreviewOut):
    reason: str | None = Field(description="当てはまらないときの理由")


def _rule_out(row: MailRule) -> MailRuleOut:
    return MailRuleOut(id=row.id, name=row.name, priority=row.priority, sender=row.sender, subject=row.subject,
                       rewrite=json.loads(row.rewrite), include_subject=row.include_subject, target=row.target,
                       segment_id=row.segment_id, needs_approval=row.needs_approval, active=row.active,
                       disaster_mode=row.disaster_mode,
                       created_at=row.created_at, updated_at=row.updated_at)


def _may_switch(call: Call, b: MailRuleIn) -> None:
    """A rule that switches the 防災モード needs the right to switch it (issue #22)."""
    if b.disaster_mode and call.principal is not None and not call.principal.can("disaster.manage"):
        raise ApiError(403, "forbidden", "防災モードを切り替えるルールには「防災モードの切り替え」の権限が必要です。",
                       "disaster_mode")


router = ApiRouter("mail", description="メール転送（受信メールを LINE で再配信）")


async def _check(s: Any, body: MailRuleIn) -> str:
    try:
        steps = mail.check_rule_fields(body.model_dump())
    except ValidationError as exc:  # from the rewrite steps: say which one, in Japanese
        step = exc.errors()[0]["loc"][:1]
        which = f"{step[0] + 1}" if step and isinstance(step[0], int) else ""
        raise ApiError(422, "invalid", f"書き換えの手順{which}が正しくありません: "
                       f"{from_validation_error(exc).message}", "rewrite") from None
    if body.target == "segment" and body.segment_id is None:
        raise ApiError(422, "invalid", "配信先のセグメントを指定してください。", "segment_id")
    # a segment id is kept even when the target is everyone: it must exist either way
    if body.segment_id is not None and await s.get(Segment, body.segment_id) is None:
        raise ApiError(422, "invalid", f"セグメント（ID {body.segment_id}）がありません。", "segment_id")
    return json.dumps([step.model_dump() for step in steps], ensure_ascii=False)


async def _get(s: Any, rule_id: int) -> MailRule:
    row = await s.get(MailRule, rule_id)
    if row is None:
        raise ApiError(404, "not_found", f"メール転送ルール（ID {rule_id}）は見つかりません。", "rule_id")
    return row


@router.route("GET", "/mail-rules", summary="メール転送ルール一覧", permission=READ, response=list[MailRuleOut])
async def list_mail_rules(call: Call) -> list[MailRuleOut]:
    async with call.ctx.db.read() as s:
        return [_rule_out(r) for r in await mail.rules(s)]


@router.route("POST", "/mail-rules", summary="メール転送ルールの作成", permission=SEND, body=MailRuleIn,
              response=MailRuleOut, status=201)
async def create_mail_rule(call: Call) -> MailRuleOut:
    b: MailRuleIn = call.body
    _may_switch(call, b)
    now = call.ctx.clock.now()
    async with call.ctx.db.write() as s:
        rewrite = await _check(s, b)
        row = MailRule(**b.model_dump(exclude={"rewrite"}), rewrite=rewrite, created_at=now, updated_at=now)
        s.add(row)
        await s.flush()
        out = _rule_out(row)
        await call.audit(s, "mail_rules.create", f"mail_rule:{row.id}", after=out.model_dump(mode="json"))
    return out


@router.route("PUT", "/mail-rules/{rule_id:\\d+}", summary="メール転送ルールの変更", permission=SEND,
              body=MailRuleIn, response=MailRuleOut)
async def update_mail_rule(call: Call) -> MailRuleOut:
    b: MailRuleIn = call.body
    _may_switch(call, b)
    async with call.ctx.db.write() as s:
        row = await _get(s, call.path_int("rule_id"))
        before = _rule_out(row).model_dump(mode="json")
        rewrite = await _check(s, b)
        for key, value in b.model_dump(exclude={"rewrite"}).items():
            setattr(row, key, value)
        row.rewrite, row.updated_at = rewrite, call.ctx.clock.now()
        s.add(row)
        await s.flush()
        out = _rule_out(row)
        await call.audit(s, "mail_rules.update", f"mail_rule:{row.id}", before=before,
                         after=out.model_dump(mode="json"))
    return out


@router.route("DELETE", "/mail-rules/{rule_id:\\d+}", summary="メール転送ルールの削除", permission=SEND)
async def delete_mail_rule(call: Call) -> None:
    async with call.ctx.db.write() as s:
        row = await _get(s, call.path_int("rule_id"))
        before = _rule_out(row).model_dump(mode="json")
        await s.delete(row)
        await call.audit(s, "mail_rules.delete", f"mail_rule:{before['id']}", before=before)


@router.route("POST", "/mail-rules/{rule_id:\\d+}/preview", summary="ルールの書き換え結果の確認", permission=READ,
              consumes=MAIL_TYPES, response=PreviewOut, description="メール（.eml）を送ると、配信される本文を返します。")
async def preview_mail_rule(call: Call) -> PreviewOut:
    parsed = mail.parse(call.body)
    async with call.ctx.db.read() as s:
        row = await _get(s, call.path_int("rule_id"))
    call.audited = True  # a preview changes nothing: no operation-log entry
    return PreviewOut(matches=mail.matches(row, parsed), text=mail.message_text(row, parsed))


@router.route("POST", "/mail-rules/preview", summary="編集中のルールの書き換え結果の確認（貼り付けたメール）",
              permission=READ, body=DraftPreviewIn, response=DraftPreviewOut,
              description="保存前のルールと、差出人・件名・本文を貼り付けたメールから、配信される本文を返します。")
async def preview_draft_rule(call: Call) -> DraftPreviewOut:
    b: DraftPreviewIn = call.body
    async with call.ctx.db.read() as s:
        rewrite = await _check(s, b.rule)
    call.audited = True  # a preview changes nothing: no operation-log entry
    now = call.ctx.clock.now()
    fields = b.rule.model_dump(exclude={"rewrite"})
    rule = MailRule(**fields, rewrite=rewrite, created_at=now, updated_at=now)
    text = b.body.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    parsed = mail.ParsedMail(None, b.sender.strip().lower(), " ".join(b.subject.split()), text, 0)
    matches = mail.matches(rule, parsed)
    reason = None
    if not rule.active:
        reason = "このルールは無効になっています（有効にすると当てはまるか確かめられます）。"
    elif not matches and not mail.matches(MailRule(**(fields | {"subject": ""}), created_at=now, updated_at=now),
                                          parsed):
        reason = f"差出人が「{rule.sender}」に当てはまりません。"
    elif not matches:
        reason = "件名が条件（正規表現）に当てはまりません。"
    return DraftPreviewOut(matches=matches, text=mail.message_text(rule, parsed), reason=reason)


@router.route("GET", "/mails", personal="received_mails", summary="受信メール一覧", permission=READ,
              response=list[InboundMailOut])
async def list_mails(call: Call) -> list[InboundMailOut]:
    async with call.ctx.db.read() as s:
        rows = (await s.exec(select(InboundMail).order_by(col(InboundMail.id).desc()).limit(200))).all()
        ids = [r.delivery_id for r in rows if r.delivery_id is not None]
        status = dict((await s.exec(select(Delivery.id, Delivery.status).where(col(Delivery.id).in_(ids)))).all()
                      ) if ids else {}
    return [InboundMailOut(id=r.id, sender=call.redact(r.sender) or "", subject=call.redact(r.subject) or "",
                           body=call.redact(r.body) or "", via=r.via, status=r.status,
                           rule_id=r.rule_id, delivery_id=r.delivery_id, error=r.error, received_at=r.received_at,
                           delivery_status=status.get(r.delivery_id),
                           delivery_status_label=STATUS_LABELS.get(status.get(r.delivery_id) or ""))
            for r in rows]


@router.route("POST", "/mails", summary="メールの取り込み（.eml のアップロード）", permission=SEND,
              consumes=MAIL_TYPES, response=InboundMailOut, status=201)
async def upload_mail(call: Call) -> InboundMailOut:
    async with call.ctx.db.write() as s:
        row = await mail.receive(s, call.ctx.clock.now(), call.ctx.desk, call.body, via="upload")
        await call.audit(s, "mails.upload", f"inbound_mail:{row.id}",
                         after={"status": row.status, "delivery_id": row.delivery_id, "subject": row.subject})
        out = InboundMailOut(id=row.id, sender=row.sender, subject=row.subject, body=row.body, via=row.via,
                             status=row.status, rule_id=row.rule_id, delivery_id=row.delivery_id, error=row.error,
                             received_at=row.received_at)
    if out.status == mail.DELIVERED and call.ctx.wake_deliveries is not None:
        call.ctx.wake_deliveries()
    return out

