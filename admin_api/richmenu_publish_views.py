"""What each LINE account shows, publishing, promoting test → production, versions and rollback.

Write routes exist once per account so that each has its own permission: trying menus on the test
account needs ``richmenus.edit``; anything on the public account needs ``richmenus.publish``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel import col, select

from admin_api.richmenu_schemas import (
    AccountInfo,
    AccountsOut,
    Choice,
    ReleaseOut,
    SegmentTarget,
    TargetsIn,
    TargetsOut,
    release_out,
)
from admin_api.routing import ApiRouter, Call
from civic.database import Database
from richmenus import services
from richmenus.editor import FLOWS, EditorOptions
from richmenus.models import PRODUCTION, TEST, RichMenuRelease
from richmenus.publish import RichMenuPublisher

READ, EDIT, PUBLISH = "richmenus.read", "richmenus.edit", "richmenus.publish"
WRITE_PERMISSION = {TEST: EDIT, PRODUCTION: PUBLISH}
NAMES = {TEST: "テスト用アカウント", PRODUCTION: "公開用アカウント"}
LINE_FAILED = {503: "LINE への公開が途中で止まりました（理由はメッセージのとおり。再実行で続きから直ります）"}


async def _targets_out(db: Database, account: str) -> TargetsOut:
    async with db.read() as s:
        targets = await services.targets_of(s, account)
    return TargetsOut(account=account,
                      default_menu_id=next((t.menu_id for t in targets if t.segment_id is None), None),
                      segments=[SegmentTarget(segment_id=t.segment_id, menu_id=t.menu_id)
                                for t in targets if t.segment_id])


router = ApiRouter("richmenus")


@router.route("GET", "/richmenu-accounts", summary="アカウントと編集画面の選択肢", permission=READ, response=AccountsOut,
              description="公開先のアカウント（テスト用アカウントを試すシミュレーターのURLつき）、"
                          "ポストバックで始められる流れ、開ける LIFF ページ。")
async def richmenu_accounts(call: Call) -> AccountsOut:
    options = call.ctx.editor_options or EditorOptions()
    simulator = f"{options.simulator_url}?channel={TEST}" if options.simulator_url else None
    return AccountsOut(
        accounts=[AccountInfo(account=a, name=NAMES[a], permission=WRITE_PERMISSION[a],
                              simulator_url=simulator if a == TEST else None) for a in (TEST, PRODUCTION)],
        flows=[Choice(value=data, label=label) for data, label in FLOWS],
        liff_pages=[Choice(value=url, label=name) for name, url in options.liff_pages()])


def publisher_of(call: Call) -> RichMenuPublisher:
    return call.ctx.need(call.ctx.publisher, "リッチメニューの公開")


def _named(name: str):
    """Each account's copy of a route gets its own operation id in the OpenAPI document."""
    def rename(handler):
        handler.__name__ = name
        return handler
    return rename


@router.route("GET", "/richmenu-accounts/{account:production|test}/targets", summary="表示設定（既定・セグメント別）",
              permission=READ, response=TargetsOut)
async def get_richmenu_targets(call: Call) -> TargetsOut:
    return await _targets_out(call.ctx.db, call.request.match_info["account"])


@router.route("GET", "/richmenu-accounts/{account:production|test}/releases", summary="公開した版の一覧",
              permission=READ, response=list[ReleaseOut])
async def list_richmenu_releases(call: Call) -> list[ReleaseOut]:
    async with call.ctx.db.read() as s:
        rows = (await s.exec(select(RichMenuRelease)
                             .where(RichMenuRelease.account == call.request.match_info["account"])
                             .order_by(col(RichMenuRelease.number).desc()))).all()
    return [release_out(r) for r in rows]


async def audited(call: Call, action: str, account: str, work: Callable[[], Awaitable[RichMenuRelease]],
                  extra: dict[str, Any] | None = None) -> ReleaseOut:
    """Publishing talks to LINE over many steps; its outcome, good or bad, is logged afterwards."""
    try:
        release = await work()
    except Exception as exc:
        async with call.ctx.db.write() as s:
            await call.audit(s, f"{action}_failed", f"richmenu_account:{account}",
                             after={**(extra or {}), "error": getattr(exc, "message", str(exc))[:500]})
        raise
    out = release_out(release)
    async with call.ctx.db.write() as s:
        await call.audit(s, action, f"richmenu_account:{account}",
                         after={**(extra or {}), **out.model_dump(mode="json")})
    return out


def _account_routes(account: str) -> None:
    """The write routes of one account, each with the account's own permission and operation id."""
    permission, name = WRITE_PERMISSION[account], NAMES[account]
    @router.route("PUT", f"/richmenu-accounts/{account}/targets", summary=f"表示設定の変更（{name}）",
                  permission=permission, body=TargetsIn, response=TargetsOut,
                  description="変更は「公開」するまで LINE には反映されません。")
    @_named(f"set_targets_richmenus_{account}")
    async def set_targets(call: Call) -> TargetsOut:
        b: TargetsIn = call.body
        before = await _targets_out(call.ctx.db, account)
        async with call.ctx.db.write() as s:
            await services.set_targets(s, account, default_menu_id=b.default_menu_id,
                                       segments=[(t.segment_id, t.menu_id) for t in b.segments])
            after = TargetsOut(account=account, default_menu_id=b.default_menu_id, segments=b.segments)
            await call.audit(s, "richmenus.targets", f"richmenu_account:{account}", before=before, after=after)
        return after

    @router.route("POST", f"/richmenu-accounts/{account}/publish", summary=f"公開（{name}）",
                  permission=permission, response=ReleaseOut, status=201, errors=LINE_FAILED,
                  description="いまの表示設定とメニューを新しい版として LINE に公開します。")
    @_named(f"publish_richmenus_{account}")
    async def publish(call: Call) -> ReleaseOut:
        by = call.principal.login if call.principal else "?"
        return await audited(call, "richmenus.publish", account, lambda: publisher_of(call).publish(account, by))

    @router.route("POST", f"/richmenu-accounts/{account}/retry", summary=f"失敗した公開の再実行（{name}）",
                  permission=permission, response=ReleaseOut, errors=LINE_FAILED)
    @_named(f"retry_richmenus_{account}")
    async def retry(call: Call) -> ReleaseOut:
        return await audited(call, "richmenus.retry", account, lambda: publisher_of(call).retry(account))

    @router.route("POST", f"/richmenu-accounts/{account}/releases/{{number:\\d+}}/rollback",
                  summary=f"以前の版に戻す（{name}）", permission=permission, response=ReleaseOut, status=201,
                  errors=LINE_FAILED)
    @_named(f"rollback_richmenus_{account}")
    async def rollback(call: Call) -> ReleaseOut:
        number = call.path_int("number")
        by = call.principal.login if call.principal else "?"
        return await audited(call, "richmenus.rollback", account,
                             lambda: publisher_of(call).rollback(account, number, by), {"to": number})


for _account in (TEST, PRODUCTION):
    _account_routes(_account)


@router.route("POST", "/richmenu-accounts/production/promote", summary="テスト用アカウントの内容を公開用に反映",
              permission=PUBLISH, response=ReleaseOut, status=201, errors=LINE_FAILED,
              description="テスト用アカウントで確認した最新の版を、そのまま公開用アカウントに公開します。")
async def promote_richmenus(call: Call) -> ReleaseOut:
    by = call.principal.login if call.principal else "?"
    return await audited(call, "richmenus.promote", PRODUCTION, lambda: publisher_of(call).promote(by))
