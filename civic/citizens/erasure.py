"""Erasure of one citizen on request (国富町 仕様書 §9(4)(キ); the Act on the Protection of Personal
Information's deletion requests).

Every row that identifies the citizen is deleted or anonymised, in the caller's transaction:

* the citizen row stays, anonymised (a random pseudonym instead of the LINE user id, no name, not a
  friend any more), so friend counts and the follow/unfollow history (``friendship_event``) keep
  their meaning without pointing at anybody;
* what only concerns them is deleted: attributes, form responses, talk log, conversation state,
  FAQ answers and the unanswered questions they asked, outbound messages, rich-menu links;
* what the town still needs is anonymised: bookings keep their slot occupied (no name, phone,
  user id or free text), reports keep category, place and status (no description, reporter or
  photo), rich-menu taps and delivery statistics keep their counts;
* rows that are found by content only (procedure drafts, the operation log's snapshots) are
  searched for the citizen's user id, names and phone numbers, decrypted.

``REGISTRY`` says, for every table of the main database, how it is handled (or why it holds nothing
about a citizen); a test fails when a table is added without an entry. The inbox store's
``webhook_event`` lives in ``bot.inbox`` and is erased there (``bot.inbox.erasure``).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlmodel import SQLModel

from civic.citizens.models import Citizen
from civic.rows import table_of

#: The marker left where a required text column held what the citizen wrote.
ERASED = "（本人の求めにより削除しました）"
#: Pseudonyms of erased citizens start with this (never a LINE user id, which starts with "U").
PSEUDONYM_PREFIX = "erased-"

DELETE = "delete"
ANONYMISE = "anonymise"
CONTENT = "search by content"
KEEP = "keep"
NONE = "holds nothing about a citizen"

#: table → how erasure handles it. Tables of the main database (``bot.schema.load_metadata``).
REGISTRY: dict[str, str] = {
    "citizen": ANONYMISE,
    "friendship_event": KEEP + " (points to the anonymised citizen row: friend counts stay right)",
    "citizen_attribute_value": DELETE,
    "attribute_form_response": DELETE,
    "talk_entry": DELETE,
    "conversation_state": DELETE,
    "faq_answer": DELETE,
    "faq_unanswered": DELETE + " (the questions the citizen wrote, matched by content)",
    "outbound_message": DELETE,
    "inbox_outcome": KEEP + " (event ids only; the events themselves are erased in the inbox store)",
    "procedure_draft": CONTENT,
    "faq_entry": NONE + " (the FAQ staff edit)",
    "garbage_item": NONE + " (the garbage dictionary)",
    "garbage_category": NONE + " (the garbage dictionary)",
    "garbage_file": NONE + " (5374 collection areas and days)",
    "content_version": NONE + " (version counters)",
    "nlu_example": NONE + " (NLU training examples staff write; questions added from the unanswered list are erased there)",
    "nlu_extra": NONE + " (NLU synonyms, lookups, regexes)",
    "nlu_model": NONE + " (NLU models and their retrain figures)",
    "procedure_access": NONE + " (daily counts)",
    "procedure_event_source": NONE + " (the 手続きナビ trees staff edit)",
    "rich_menu_tap": ANONYMISE,
    "rich_menu_user_link": DELETE + " (and unlinked at LINE by the caller)",
    "booking_booker": ANONYMISE,
    "booking_reservation": ANONYMISE,
    "booking_waitlist": ANONYMISE,
    "booking_occupancy": KEEP + " (the slot stays occupied)",
    "booking_reserved_equipment": KEEP + " (equipment of an anonymised reservation)",
    "report": ANONYMISE,
    "report_photo": DELETE,
    "report_status_change": ANONYMISE + " (staff notes of the citizen's reports)",
    "report_template": NONE + " (response templates staff wrote)",
    "handover": ANONYMISE + " (有人チャット: kept for the figures, the user id replaced)",
    "handover_message": DELETE + " (what the citizen and staff wrote in 有人チャット)",
    "handover_template": NONE + " (reply templates staff wrote)",
    "delivery_batch": ANONYMISE + " (the user id is taken out of the recipient lists)",
    "delivery_link_click": NONE + " (a keyed, irreversible digest of address and browser)",
    "delivery_run": NONE,
    "delivery": NONE,
    "delivery_link": NONE,
    "delivery_image": NONE + " (images staff uploaded for deliveries)",
    "maintenance_notice": NONE + " (the maintenance window staff announce)",
    "rate_count": NONE + " (hashed client addresses and web chat sessions, counted per minute, kept two minutes)",
    "disaster_mode_change": NONE + " (the town's mode, its reason and the staff member who switched it)",
    "rich_menu_mode_target": NONE + " (which menus each disaster mode shows)",
    "shelter": NONE + " (a shelter's state and head count, no names)",
    "safety_check": NONE + " (the 安否確認 staff sent: its question and audience)",
    "safety_answer": DELETE + " (the citizen's 安否確認 answers: how they are, where, what they wrote)",
    "delivery_mail_rule": NONE,
    "delivery_inbound_mail": NONE + " (mail from the town's systems)",
    "mypage_notice": DELETE + " (マイページのお知らせ)",
    "mypage_todo": DELETE + " (saved 手続きナビ results)",
    "mypage_email": DELETE + " (the e-mail address and TOTP secret)",
    "mypage_code": DELETE + " (one-time codes sent to the citizen)",
    "mypage_session": DELETE + " (web sign-ins)",
    "mypage_channel": DELETE + " (LINE / e-mail per topic)",
    "mail_message": DELETE + " (e-mails to the citizen, sent or not)",
    "operation_log": CONTENT + " (snapshots naming the citizen are redacted; the entries stay)",
    "staff_account": NONE, "staff_role": NONE, "staff_session": NONE, "staff_recovery_code": NONE,
    "staff_login_throttle": NONE, "staff_facility": NONE,
    "attribute_definition": NONE, "attribute_form": NONE, "segment": NONE, "scenario": NONE,
    "recommendation_rule": NONE + " (おすすめの条件: a filter over attributes, no citizen)",
    "facility": NONE, "facility_area": NONE, "facility_opening_hours": NONE, "facility_unit": NONE,
    "facility_unit_area": NONE, "facility_calendar_day": NONE, "facility_equipment": NONE,
    "facility_fee_rule": NONE, "facility_frame": NONE, "facility_purpose": NONE,
    "rich_menu": NONE, "rich_menu_group": NONE, "rich_menu_image": NONE, "rich_menu_release": NONE,
    "rich_menu_upload": NONE, "rich_menu_target": NONE,
    # 書かない窓口 (civic.counter): written only by the counter role, a separate system on the town's
    # 番号利用事務系 network with its own database; empty in the LINE service. A LINE user's erasure
    # request cannot reach it (no user id is kept there); its 届書 follow the resident-registry rules.
    "counter_form": KEEP + " (counter role only: a separate system and database, no LINE user id)",
    "counter_form_event": KEEP + " (counter role only: the 届書's process history)",
    "counter_document": KEEP + " (counter role only: stored 届書 and attachment PDFs)",
    "counter_attachment": KEEP + " (counter role only: attached papers, PDF and masked PDF)",
    "counter_layout": NONE + " (OCR layout definitions: regions of a sample, no personal data)",
}


#: The feature staff see for each table touched, in the erasure's summary.
FEATURES: dict[str, str] = {
    "citizen": "友だち情報", "citizen_attribute_value": "利用者属性", "attribute_form_response": "登録フォームの回答",
    "talk_entry": "トークログ", "conversation_state": "会話の途中状態", "faq_answer": "FAQの回答履歴",
    "faq_unanswered": "回答できなかった質問", "outbound_message": "送信メッセージ", "procedure_draft": "手続きナビの下書き",
    "rich_menu_tap": "リッチメニューのタップ", "rich_menu_user_link": "リッチメニューの割り当て",
    "booking_booker": "施設予約（予約者）", "booking_reservation": "施設予約", "booking_waitlist": "施設予約（キャンセル待ち）",
    "report": "通報", "report_photo": "通報の写真", "report_status_change": "通報の対応メモ",
    "handover": "有人チャット", "handover_message": "有人チャットのメッセージ",
    "delivery_batch": "配信の宛先", "safety_answer": "安否確認の回答", "mypage_notice": "マイページのお知らせ",
    "mypage_todo": "マイページの手続きリスト", "mypage_email": "メールアドレス", "mypage_code": "確認コード",
    "mypage_session": "マイページのログイン", "mypage_channel": "通知の受け取り方法", "mail_message": "送信メール",
    "operation_log": "操作ログの記録内容", "webhook_event": "受信イベント",
}


class CitizenNotFound(LookupError):
    pass


@dataclass
class Erasure:
    """What erasing a citizen does (or did): rows per table and action; no personal data."""

    citizen_id: int
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Rich-menu links to remove at LINE (account, LINE user id); never logged or returned.
    line_unlinks: list[tuple[str, str]] = field(default_factory=list, repr=False)

    def add(self, table: str, action: str, n: int) -> None:
        if n:
            self.counts.setdefault(table, {})[action] = self.counts.get(table, {}).get(action, 0) + n

    @property
    def total(self) -> int:
        return sum(n for per in self.counts.values() for n in per.values())


def _table(name: str) -> sa.Table:
    """A table by name from the shared metadata: some of them belong to the bot and the rich-menu
    packages, which civic does not import (the application has loaded them, ``bot.schema``)."""
    table = SQLModel.metadata.tables.get(name)
    if table is None:
        raise RuntimeError(f"table {name} is not loaded: call bot.schema.load_metadata() first")
    return table


def _plain(text: str) -> str:
    return "".join(text.split())


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@dataclass
class Needles:
    """How the citizen is recognised in rows found by content only. Distinctive values (user id,
    phone numbers, e-mail addresses) anywhere in the text; names and what they wrote only as a whole
    value (a JSON string, or the text itself, spaces ignored): "山田" inside "山田川の護岸" or another
    citizen's "名前80" is not "名前8"."""

    distinctive: set[str] = field(default_factory=set)
    whole: set[str] = field(default_factory=set)

    def add_distinctive(self, value: str | None) -> None:
        if value and len(value.strip()) >= 6:  # shorter ones would match everybody's rows
            self.distinctive.add(value.strip())
            digits = "".join(ch for ch in value if ch.isdigit())
            if len(digits) >= 10 and len(digits) >= len(_plain(value)) - 3:  # a phone number written without hyphens
                self.distinctive.add(digits)

    def add_whole(self, value: str | None) -> None:
        if value and len(_plain(value)) >= 2:
            self.whole.add(_plain(value))

    def found_in(self, text: str | None) -> bool:
        if not text:
            return False
        if any(n in text for n in self.distinctive):
            return True
        if "\\u" not in text:  # cheap first look; JSON written with ASCII escapes is parsed anyway
            plain = _plain(text)
            if not any(w in plain for w in self.whole):
                return False
        try:
            values = list(_strings(json.loads(text)))
        except ValueError:
            values = [text]
        return any(_plain(v) in self.whole for v in values)


class _Run:
    """One erasure (``apply``) or its preview (``apply=False``: counts only, nothing changes)."""

    def __init__(self, conn: AsyncConnection, citizen: Any, now: datetime, apply: bool) -> None:
        self.conn, self.citizen, self.now, self.apply = conn, citizen, now, apply
        self.uid: str = citizen.channel_user_id
        self.result = Erasure(citizen.id)
        self.pseudonym = PSEUDONYM_PREFIX + secrets.token_hex(8)

    def table(self, name: str) -> sa.Table:
        return _table(name)

    async def rows(self, table: sa.Table, where: Any) -> list[Any]:
        return list((await self.conn.execute(sa.select(table).where(where))).all())

    async def delete(self, name: str, where: Callable[[sa.Table], Any]) -> None:
        table = self.table(name)
        cond = where(table)
        n = (await self.conn.execute(sa.select(sa.func.count()).select_from(table).where(cond))).scalar_one()
        if self.apply and n:
            await self.conn.execute(sa.delete(table).where(cond))
        self.result.add(name, DELETE, n)

    async def update(self, name: str, where: Callable[[sa.Table], Any], values: dict[str, Any]) -> None:
        table = self.table(name)
        cond = where(table)
        n = (await self.conn.execute(sa.select(sa.func.count()).select_from(table).where(cond))).scalar_one()
        if self.apply and n:
            await self.conn.execute(sa.update(table).where(cond).values(**values))
        self.result.add(name, ANONYMISE, n)


async def _needles(run: _Run) -> Needles:
    """What recognises the citizen in rows found by content, read before anything changes."""
    uid, cid = run.uid, run.citizen.id
    needles = Needles()
    needles.add_distinctive(uid)
    needles.add_whole(run.citizen.display_name)
    for tname, names, phones in (("booking_booker", ("name", "group_name", "note"), ("phone",)),
                                 ("booking_reservation", ("applicant_name",), ("applicant_phone",)),
                                 ("booking_waitlist", ("applicant_name",), ("applicant_phone",))):
        table = run.table(tname)
        for row in await run.rows(table, table.c.channel_user_id == uid):
            for column in names:
                needles.add_whole(getattr(row, column))
            for column in phones:
                needles.add_distinctive(getattr(row, column))
    attr = run.table("citizen_attribute_value")
    for row in await run.rows(attr, attr.c.citizen_id == cid):
        needles.add_distinctive(row.secret)  # e-mail addresses, phone numbers and such
    email = run.table("mypage_email")
    for row in await run.rows(email, email.c.citizen_id == cid):
        needles.add_distinctive(row.address)
    talk = run.table("talk_entry")
    for row in await run.rows(talk, sa.and_(talk.c.channel_user_id == uid, talk.c.direction == "in")):
        needles.add_whole(row.text)
    faq = run.table("faq_answer")
    for row in await run.rows(faq, faq.c.asker == uid):
        needles.add_whole(row.question)
    return needles


async def _by_content(run: _Run, needles: Needles) -> None:
    unanswered = run.table("faq_unanswered")
    ids = [r.id for r in await run.rows(unanswered, sa.true()) if needles.found_in(r.question)]
    await run.delete("faq_unanswered", lambda t: t.c.id.in_(ids))
    drafts = run.table("procedure_draft")
    hashes = [r.token_hash for r in await run.rows(drafts, sa.true()) if needles.found_in(r.data)]
    await run.delete("procedure_draft", lambda t: t.c.token_hash.in_(hashes))
    log = run.table("operation_log")
    ids = [r.id for r in await run.rows(log, sa.or_(log.c.before.is_not(None), log.c.after.is_not(None)))
           if needles.found_in(r.before) or needles.found_in(r.after)]
    await run.update("operation_log", lambda t: t.c.id.in_(ids), {"before": None, "after": None})


async def _bookings(run: _Run) -> None:
    uid, pseudonym = run.uid, run.pseudonym
    booker = run.table("booking_booker")
    booker_ids = [r.id for r in await run.rows(booker, booker.c.channel_user_id == uid)]
    await run.update("booking_booker", lambda t: t.c.channel_user_id == uid,
                     {"channel_user_id": pseudonym, "name": None, "phone": None, "group_name": None,
                      "note": None, "attributes": {}, "updated_at": run.now})
    await run.update("booking_reservation",
                     lambda t: sa.or_(t.c.channel_user_id == uid, t.c.booker_id.in_(booker_ids)),
                     {"channel_user_id": None,
                      "applicant_name": None, "applicant_phone": None, "activity": None, "staff_note": None,
                      "updated_at": run.now})
    await run.update("booking_waitlist", lambda t: t.c.channel_user_id == uid,
                     {"channel_user_id": pseudonym, "applicant_name": None, "applicant_phone": None,
                      "activity": None, "attributes": {}, "updated_at": run.now})


async def _reports(run: _Run) -> None:
    report = run.table("report")
    mine = sa.or_(report.c.citizen_id == run.citizen.id, report.c.reporter == run.uid)
    ids = [r.id for r in await run.rows(report, mine)]
    await run.delete("report_photo", lambda t: sa.or_(t.c.report_id.in_(ids), t.c.owner == run.uid))
    await run.update("report_status_change", lambda t: sa.and_(t.c.report_id.in_(ids), t.c.note != ""),
                     {"note": ""})
    await run.update("report", lambda t: t.c.id.in_(ids),
                     {"description": ERASED, "reporter": None, "citizen_id": None, "has_photo": False,
                      "public_description": None, "updated_at": run.now})


async def _deliveries(run: _Run) -> None:
    batch = run.table("delivery_batch")
    quoted = json.dumps(run.uid)
    touched = [r for r in await run.rows(batch, batch.c.recipients.contains(quoted))
               if run.uid in json.loads(r.recipients)]
    for row in touched:
        if run.apply:
            left = [u for u in json.loads(row.recipients) if u != run.uid]
            await run.conn.execute(sa.update(batch).where(batch.c.id == row.id).values(recipients=json.dumps(left)))
    run.result.add("delivery_batch", ANONYMISE, len(touched))


async def _rich_menus(run: _Run) -> None:
    links = run.table("rich_menu_user_link")
    run.result.line_unlinks = [(r.account, run.uid) for r in await run.rows(links, links.c.channel_user_id == run.uid)]
    await run.delete("rich_menu_user_link", lambda t: t.c.channel_user_id == run.uid)
    await run.update("rich_menu_tap", lambda t: t.c.channel_user_id == run.uid, {"channel_user_id": run.pseudonym})


async def _handovers(run: _Run) -> None:
    handover = run.table("handover")
    ids = [r.id for r in await run.rows(handover, handover.c.channel_user_id == run.uid)]
    await run.delete("handover_message", lambda t: t.c.handover_id.in_(ids))
    await run.update("handover", lambda t: t.c.id.in_(ids), {"channel_user_id": run.pseudonym})


async def _mypage(run: _Run) -> None:
    """The my-page's rows (``civic.mypage``), all keyed by the citizen; codes sent to their address too."""
    cid = run.citizen.id
    email = run.table("mypage_email")
    digests = [r.digest for r in await run.rows(email, email.c.citizen_id == cid)]
    await run.delete("mypage_code", lambda t: sa.or_(t.c.citizen_id == cid, t.c.subject.in_(digests)))
    for name in ("mypage_notice", "mypage_todo", "mypage_session", "mypage_channel", "mail_message", "mypage_email"):
        await run.delete(name, lambda t: t.c.citizen_id == cid)


async def _erase(session: AsyncSession, citizen_id: int, now: datetime, *, apply: bool) -> Erasure:
    conn = await session.connection()
    citizens = table_of(Citizen)
    citizen = (await conn.execute(sa.select(citizens).where(citizens.c.id == citizen_id))).first()
    if citizen is None or citizen.channel_user_id.startswith(PSEUDONYM_PREFIX):
        raise CitizenNotFound(citizen_id)
    run = _Run(conn, citizen, now, apply)
    uid, cid = run.uid, citizen.id
    await _by_content(run, await _needles(run))
    await run.delete("citizen_attribute_value", lambda t: t.c.citizen_id == cid)
    await run.delete("attribute_form_response", lambda t: t.c.citizen_id == cid)
    await run.delete("talk_entry", lambda t: t.c.channel_user_id == uid)
    await run.delete("conversation_state", lambda t: t.c.channel_user_id == uid)
    await run.delete("faq_answer", lambda t: t.c.asker == uid)
    await run.delete("outbound_message", lambda t: t.c.to == uid)
    await run.delete("safety_answer", lambda t: t.c.citizen_id == cid)
    await _rich_menus(run)
    await _bookings(run)
    await _reports(run)
    await _handovers(run)
    await _deliveries(run)
    await _mypage(run)
    await run.update("citizen", lambda t: t.c.id == cid,
                     {"channel_user_id": run.pseudonym, "display_name": None, "is_friend": False,
                      "unfollowed_at": citizen.unfollowed_at or now})
    return run.result


async def preview_erasure(session: AsyncSession, citizen_id: int, now: datetime) -> Erasure:
    """What ``erase_citizen`` would do, changing nothing."""
    return await _erase(session, citizen_id, now, apply=False)


async def erase_citizen(session: AsyncSession, citizen_id: int, now: datetime) -> Erasure:
    """Erase the citizen in ``session``'s transaction (the caller audits and commits)."""
    return await _erase(session, citizen_id, now, apply=True)


async def user_id_of(session: AsyncSession, citizen_id: int) -> str:
    citizens = table_of(Citizen)
    uid = (await (await session.connection()).execute(
        sa.select(citizens.c.channel_user_id).where(citizens.c.id == citizen_id))).scalar()
    if uid is None or uid.startswith(PSEUDONYM_PREFIX):
        raise CitizenNotFound(citizen_id)
    return str(uid)
