"""Publishing a release to a LINE account: idempotent, resumable, versioned (国富町 §9(2)(ウ)③④).

Applying a release reconciles the account with it, step by step, each step recorded as soon as
LINE confirms it: create the menus it lacks (found again by the content hash in their name),
attach images, point aliases (tabs) at them, set the default menu, link segment members, then
delete what the release no longer uses. A failure half-way leaves the release ``failed``; the
next publish (or ``retry``) runs the same reconciliation and finishes the job.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
import sqlalchemy as sa
from linebot.v3.messaging import (
    CreateRichMenuAliasRequest,
    RichMenuBulkLinkRequest,
    RichMenuBulkUnlinkRequest,
    RichMenuRequest,
    UpdateRichMenuAliasRequest,
)
from linebot.v3.messaging.exceptions import ApiException
from sqlmodel import col, select

from civic import locks
from civic.clock import Clock
from civic.database import Database
from civic.rows import pk
from richmenus import services
from richmenus.errors import RichMenuError
from richmenus.line_api import ACCOUNT_NAMES, LineApiFactory, LineApis, line_message
from richmenus.line_objects import alias_id, is_our_alias, line_request, tag_of
from richmenus.models import (
    ACCOUNTS,
    RichMenuImage,
    RichMenuRelease,
    RichMenuUpload,
    RichMenuUserLink,
)
from richmenus.segments import SegmentResolver

log = logging.getLogger(__name__)
APPLIED, PENDING, FAILED = "applied", "pending", "failed"
BATCH = 500  # LINE's limit of user ids per bulk link / unlink


class _Step(Exception):
    def __init__(self, step: str, cause: BaseException) -> None:
        super().__init__(step)
        self.step, self.cause = step, cause


class RichMenuPublisher:
    def __init__(self, db: Database, clock: Clock, apis: LineApiFactory,
                 segments: SegmentResolver | Mapping[str, SegmentResolver]) -> None:
        self.db, self.clock, self.apis = db, clock, apis
        self._segments = segments

    def resolver(self, account: str) -> SegmentResolver:
        if isinstance(self._segments, Mapping):
            return self._segments[account]
        return self._segments

    # ---- releases -----------------------------------------------------------------------------

    async def _new_release(self, account: str, snap: dict[str, Any], source: str, by: str) -> int:
        async with self.db.write() as s:
            number = (await s.exec(select(sa.func.max(RichMenuRelease.number))
                                   .where(RichMenuRelease.account == account))).one() or 0
            release = RichMenuRelease(account=account, number=number + 1, snapshot=services.snapshot_text(snap),
                                      status=PENDING, source=source, created_by=by[:64], created_at=self.clock.now())
            s.add(release)
            await s.flush()
            return pk(release)

    def _publishing(self, account: str) -> contextlib.AbstractAsyncContextManager[None]:
        """One publish per account at a time across every instance on the database (``civic.locks``)."""
        return locks.held(self.db, f"richmenus.publish:{account}")

    async def publish(self, account: str, by: str) -> RichMenuRelease:
        """The account's current draft (targets and menus) as a new release, applied now. When the
        latest release is this very draft, already applied (two staff — or two instances — pressing
        公開 at the same moment), that release is applied again (a reconciliation: nothing is written
        when LINE already has it) and is the answer: one published version, not two."""
        _check_account(account)
        async with self._publishing(account):
            async with self.db.read() as s:
                snap = await services.snapshot(s, account)
            return await self._apply(await self._same_or_new(account, snap, "draft", by))

    async def _same_or_new(self, account: str, snap: dict[str, Any], source: str, by: str) -> int:
        """The latest release when it is ``snap`` from ``source`` and applied (it is reconciled
        again: that repairs what LINE lost, and makes no second version), else a new release."""
        async with self.db.read() as s:
            latest = (await s.exec(select(RichMenuRelease).where(RichMenuRelease.account == account)
                                   .order_by(col(RichMenuRelease.number).desc()))).first()
        if (latest is not None and latest.status == APPLIED and latest.source == source
                and latest.snapshot == services.snapshot_text(snap)):
            return pk(latest)
        return await self._new_release(account, snap, source, by)

    async def apply_snapshot(self, account: str, snap: dict[str, Any], source: str, by: str) -> RichMenuRelease:
        """A release of ``snap`` built elsewhere (a 防災モード switch: ``richmenus.modes``), applied now."""
        _check_account(account)
        async with self._publishing(account):
            return await self._apply(await self._new_release(account, snap, source, by))

    async def promote(self, by: str, source: str = "test", target: str = "production") -> RichMenuRelease:
        """What was tried on the test account, unchanged, on the production account."""
        _check_account(source)
        _check_account(target)
        async with self.db.read() as s:
            tried = (await s.exec(select(RichMenuRelease).where(RichMenuRelease.account == source,
                                                                RichMenuRelease.status == APPLIED,
                                                                col(RichMenuRelease.source).not_like("mode:%"))
                                  .order_by(col(RichMenuRelease.number).desc()))).first()
        if tried is None:
            raise RichMenuError("conflict", "nothing_tried",
                                f"{ACCOUNT_NAMES[source]}に公開済みのメニューがありません。先にテスト用アカウントに公開して確認してください。")
        snap = json.loads(tried.snapshot)
        async with self._publishing(target):  # promoting one tried version twice makes one production version
            return await self._apply(await self._same_or_new(target, snap, f"promote:{source}#{tried.number}", by))

    async def rollback(self, account: str, number: int, by: str) -> RichMenuRelease:
        _check_account(account)
        async with self.db.read() as s:
            old = (await s.exec(select(RichMenuRelease).where(RichMenuRelease.account == account,
                                                              RichMenuRelease.number == number))).first()
        if old is None:
            raise RichMenuError("not_found", "release_not_found",
                                f"{ACCOUNT_NAMES[account]}の版 {number} は見つかりません。")
        async with self._publishing(account):
            return await self._apply(await self._new_release(account, json.loads(old.snapshot), f"rollback:{number}", by))

    async def retry(self, account: str) -> RichMenuRelease:
        """Apply the latest release again (after a failure)."""
        _check_account(account)
        async with self.db.read() as s:
            latest = (await s.exec(select(RichMenuRelease).where(RichMenuRelease.account == account)
                                   .order_by(col(RichMenuRelease.number).desc()))).first()
        if latest is None:
            raise RichMenuError("conflict", "nothing_published", f"{ACCOUNT_NAMES[account]}にはまだ公開した版がありません。")
        return await self.apply(pk(latest))

    async def apply(self, release_id: int) -> RichMenuRelease:
        async with self.db.read() as s:
            release = await s.get(RichMenuRelease, release_id)
        assert release is not None
        async with self._publishing(release.account):
            return await self._apply(release_id)

    async def _apply(self, release_id: int) -> RichMenuRelease:
        async with self.db.read() as s:
            release = await s.get(RichMenuRelease, release_id)
        assert release is not None
        account = release.account
        snap = json.loads(release.snapshot)
        try:
            async with self.apis(account) as line:
                uploads = await self._step("メニューの作成", self._ensure_menus(line, account, snap))
                await self._step("タブ切り替え（エイリアス）の設定", self._ensure_aliases(line, uploads))
                await self._step("既定のメニューの設定",
                                 self._ensure_default(line, uploads.get(str(snap.get("default")))))
                await self._step("セグメント別メニューの割り当て", self._ensure_links(line, account, snap, uploads))
                await self._step("使わなくなったメニューの削除", self._cleanup(line, account, set(uploads.values())))
        except _Step as failure:
            message = _explain(account, failure)
            await self._finish(release_id, FAILED, message)
            raise RichMenuError("unavailable", "publish_failed", message) from failure.cause
        except RichMenuError as exc:  # the account is not configured
            await self._finish(release_id, FAILED, exc.message)
            raise
        return await self._finish(release_id, APPLIED, None)

    async def _step(self, name: str, work):
        try:
            return await work
        except (ApiException, aiohttp.ClientError, TimeoutError) as exc:
            raise _Step(name, exc) from exc

    async def _finish(self, release_id: int, status: str, error: str | None) -> RichMenuRelease:
        async with self.db.write() as s:
            release = await s.get(RichMenuRelease, release_id)
            assert release is not None
            release.status, release.error = status, error
            if status == APPLIED:
                release.applied_at = self.clock.now()
            s.add(release)
        return release

    # ---- reconciliation steps -----------------------------------------------------------------

    async def _ensure_menus(self, line: LineApis, account: str, snap: dict[str, Any]) -> dict[str, str]:
        """menu id → LINE rich menu id, every one created and with its image."""
        on_line = {m.rich_menu_id: m for m in (await line.messaging.get_rich_menu_list()).richmenus}
        ours_by_tag = {tag_of(m.name): rid for rid, m in on_line.items() if tag_of(m.name)}
        result: dict[str, str] = {}
        for menu_id, entry in snap["menus"].items():
            body, digest = line_request(entry)
            async with self.db.read() as s:
                row = (await s.exec(select(RichMenuUpload).where(RichMenuUpload.account == account,
                                                                 RichMenuUpload.content_hash == digest))).first()
            if row is not None and row.line_rich_menu_id not in on_line:
                await self._forget(account, [row.line_rich_menu_id])  # deleted on LINE meanwhile
                row = None
            if row is None:
                adopted = ours_by_tag.get(digest)
                if adopted is not None:  # created by a publish that failed before recording it
                    line_id, uploaded = adopted, await self._has_image(line, adopted)
                else:
                    created = await line.messaging.create_rich_menu(RichMenuRequest.from_dict(body))
                    line_id, uploaded = created.rich_menu_id, False
                row = await self._remember(account, digest, line_id, int(menu_id), uploaded)
            if not row.image_uploaded:
                async with self.db.read() as s:
                    image = await s.get(RichMenuImage, entry["image"])
                assert image is not None
                await line.blob.set_rich_menu_image(row.line_rich_menu_id, body=bytearray(image.data),
                                                    _headers={"Content-Type": image.content_type})
                await self._mark_uploaded(pk(row))
            result[menu_id] = row.line_rich_menu_id
        return result

    async def _has_image(self, line: LineApis, line_id: str) -> bool:
        try:
            await line.blob.get_rich_menu_image(line_id)
            return True
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise

    async def _remember(self, account: str, digest: str, line_id: str, menu_id: int,
                        uploaded: bool) -> RichMenuUpload:
        async with self.db.write() as s:
            row = RichMenuUpload(account=account, content_hash=digest, line_rich_menu_id=line_id, menu_id=menu_id,
                                 image_uploaded=uploaded, created_at=self.clock.now())
            s.add(row)
            await s.flush()
        return row

    async def _mark_uploaded(self, row_id: int) -> None:
        async with self.db.write() as s:
            row = await s.get(RichMenuUpload, row_id)
            assert row is not None
            row.image_uploaded = True
            s.add(row)

    async def _forget(self, account: str, line_ids: list[str]) -> None:
        if not line_ids:
            return
        async with self.db.write() as s:
            await s.exec(sa.delete(RichMenuUpload).where(
                col(RichMenuUpload.account) == account, col(RichMenuUpload.line_rich_menu_id).in_(line_ids)))

    async def _ensure_aliases(self, line: LineApis, uploads: dict[str, str]) -> None:
        existing = {a.rich_menu_alias_id: a.rich_menu_id
                    for a in (await line.messaging.get_rich_menu_alias_list()).aliases}
        for menu_id, line_id in uploads.items():
            alias = alias_id(menu_id)
            if alias not in existing:
                await line.messaging.create_rich_menu_alias(
                    CreateRichMenuAliasRequest(richMenuAliasId=alias, richMenuId=line_id))
            elif existing[alias] != line_id:
                await line.messaging.update_rich_menu_alias(alias, UpdateRichMenuAliasRequest(richMenuId=line_id))

    async def _ensure_default(self, line: LineApis, wanted: str | None) -> None:
        try:
            current: str | None = (await line.messaging.get_default_rich_menu_id()).rich_menu_id
        except ApiException as exc:
            if exc.status != 404:
                raise
            current = None
        if wanted and current != wanted:
            await line.messaging.set_default_rich_menu(wanted)
        elif not wanted and current:
            await line.messaging.cancel_default_rich_menu()

    async def desired_links(self, account: str, snap: dict[str, Any],
                            uploads: dict[str, str]) -> dict[str, tuple[str, str]]:
        """user → (LINE rich menu id, segment): the first segment (by priority) a user is in wins."""
        desired: dict[str, tuple[str, str]] = {}
        resolver = self.resolver(account)
        for target in snap.get("segments", []):
            line_id = uploads[str(target["menu_id"])]
            for user in await resolver.members(target["segment_id"]):
                desired.setdefault(user, (line_id, target["segment_id"]))
        return desired

    async def _ensure_links(self, line: LineApis, account: str, snap: dict[str, Any],
                            uploads: dict[str, str]) -> None:
        desired = await self.desired_links(account, snap, uploads)
        async with self.db.read() as s:
            current = {row.channel_user_id: row for row in (await s.exec(
                select(RichMenuUserLink).where(RichMenuUserLink.account == account))).all()}
        to_link: dict[str, list[str]] = {}
        for user, (line_id, _) in desired.items():
            if user not in current or current[user].line_rich_menu_id != line_id:
                to_link.setdefault(line_id, []).append(user)
        for line_id, users in to_link.items():
            for start in range(0, len(users), BATCH):
                batch = users[start:start + BATCH]
                await line.messaging.link_rich_menu_id_to_users(
                    RichMenuBulkLinkRequest(richMenuId=line_id, userIds=batch))
                await self._save_links(account, {u: desired[u] for u in batch})
        gone = sorted(set(current) - set(desired))
        for start in range(0, len(gone), BATCH):
            batch = gone[start:start + BATCH]
            await line.messaging.unlink_rich_menu_id_from_users(RichMenuBulkUnlinkRequest(userIds=batch))
            async with self.db.write() as s:
                await s.exec(sa.delete(RichMenuUserLink).where(
                    col(RichMenuUserLink.account) == account, col(RichMenuUserLink.channel_user_id).in_(batch)))

    async def _save_links(self, account: str, links: dict[str, tuple[str, str]]) -> None:
        """Replace the users' link rows in two statements (a 防災モード switch relinks everyone: issue #22)."""
        if not links:
            return
        now = self.clock.now()
        async with self.db.write() as s:
            await s.exec(sa.delete(RichMenuUserLink).where(
                col(RichMenuUserLink.account) == account, col(RichMenuUserLink.channel_user_id).in_(list(links))))
            await s.exec(sa.insert(RichMenuUserLink).values([  # at most BATCH rows: one multi-row INSERT
                {"account": account, "channel_user_id": user, "line_rich_menu_id": line_id, "segment_id": segment,
                 "linked_at": now} for user, (line_id, segment) in links.items()]))

    async def _cleanup(self, line: LineApis, account: str, keep: set[str]) -> None:
        for alias in (await line.messaging.get_rich_menu_alias_list()).aliases:
            if is_our_alias(alias.rich_menu_alias_id) and alias.rich_menu_id not in keep:
                await line.messaging.delete_rich_menu_alias(alias.rich_menu_alias_id)
        stale = [m.rich_menu_id for m in (await line.messaging.get_rich_menu_list()).richmenus
                 if tag_of(m.name) and m.rich_menu_id not in keep]
        for line_id in stale:
            await line.messaging.delete_rich_menu(line_id)
            await self._forget(account, [line_id])

    # ---- one citizen ----------------------------------------------------------------------------

    async def relink_citizen(self, channel_user_id: str) -> None:
        """After a citizen's attributes (so segments) changed, or they followed: their menu on every account."""
        for account in ACCOUNTS:
            async with self.db.read() as s:
                current = (await s.exec(select(RichMenuRelease).where(RichMenuRelease.account == account,
                                                                      RichMenuRelease.status == APPLIED)
                                        .order_by(col(RichMenuRelease.number).desc()))).first()
                link = await s.get(RichMenuUserLink, (account, channel_user_id))
                uploads = {str(u.menu_id): u.line_rich_menu_id for u in (await s.exec(
                    select(RichMenuUpload).where(RichMenuUpload.account == account))).all()}
            if current is None:
                continue
            snap = json.loads(current.snapshot)
            wanted: tuple[str, str] | None = None
            for target in snap.get("segments", []):
                if channel_user_id in await self.resolver(account).members(target["segment_id"]):
                    line_id = uploads.get(str(target["menu_id"]))
                    if line_id:
                        wanted = (line_id, target["segment_id"])
                    break
            if wanted == ((link.line_rich_menu_id, link.segment_id) if link else None):
                continue
            async with self.apis(account) as line:
                if wanted is None:
                    await line.messaging.unlink_rich_menu_id_from_user(channel_user_id)
                    async with self.db.write() as s:
                        row = await s.get(RichMenuUserLink, (account, channel_user_id))
                        if row is not None:
                            await s.delete(row)
                else:
                    await line.messaging.link_rich_menu_id_to_user(channel_user_id, wanted[0])
                    await self._save_links(account, {channel_user_id: wanted})


def _check_account(account: str) -> None:
    if account not in ACCOUNTS:
        raise RichMenuError("not_found", "unknown_account", f"アカウント「{account}」はありません（production または test）。")


def _explain(account: str, failure: _Step) -> str:
    cause = failure.cause
    where = f"{ACCOUNT_NAMES.get(account, account)}への公開が「{failure.step}」の途中で止まりました。"
    if isinstance(cause, ApiException):
        detail = line_message(cause)
        if cause.status in (401, 403):
            return where + "LINE のチャネルアクセストークンが正しくないか、期限切れです。設定を確認してください。"
        if cause.status == 429:
            return where + "LINE の API 利用回数の上限に達しました。しばらく待ってから「再実行」してください。"
        if cause.status and cause.status >= 500:
            return where + f"LINE 側で一時的なエラーが起きました（{cause.status}）。しばらく待ってから「再実行」してください。"
        return where + f"LINE がリクエストを受け付けませんでした（{cause.status}: {detail}）。"
    return where + "LINE に接続できませんでした。ネットワークを確認し、しばらく待ってから「再実行」してください。"
