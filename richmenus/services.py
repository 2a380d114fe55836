"""Editing rich menus (drafts), groups of tabs and per-account targets; the snapshot a release publishes."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from civic.rows import pk
from richmenus.errors import RichMenuError
from richmenus.images import check_image
from richmenus.layout import Layout
from richmenus.line_api import ACCOUNT_NAMES
from richmenus.models import (
    ACCOUNTS,
    RichMenu,
    RichMenuGroup,
    RichMenuImage,
    RichMenuModeTarget,
    RichMenuTarget,
)
from richmenus.render import Tab, render
from richmenus.spec import MenuSpec, Problem, Size, problems, switch_targets

_UNSET: Any = object()


def load_spec(menu: RichMenu) -> MenuSpec:
    return MenuSpec.model_validate_json(menu.spec)


def load_layout(menu: RichMenu) -> Layout | None:
    return Layout.model_validate_json(menu.layout) if menu.layout else None


def _not_found(what: str, ident: object) -> RichMenuError:
    return RichMenuError("not_found", "not_found", f"{what}（ID {ident}）は見つかりません。")


async def get_menu(s: AsyncSession, menu_id: int) -> RichMenu:
    menu = await s.get(RichMenu, menu_id)
    if menu is None:
        raise _not_found("リッチメニュー", menu_id)
    return menu


async def list_menus(s: AsyncSession) -> list[RichMenu]:
    return list((await s.exec(select(RichMenu).order_by(col(RichMenu.id)))).all())


async def get_group(s: AsyncSession, group_id: int) -> RichMenuGroup:
    group = await s.get(RichMenuGroup, group_id)
    if group is None:
        raise _not_found("タブのグループ", group_id)
    return group


async def group_members(s: AsyncSession, group_id: int) -> list[RichMenu]:
    return list((await s.exec(select(RichMenu).where(RichMenu.group_id == group_id)
                              .order_by(col(RichMenu.tab_position), col(RichMenu.id)))).all())


async def store_image(s: AsyncSession, now: datetime, data: bytes) -> RichMenuImage:
    info = check_image(data)
    sha = hashlib.sha256(data).hexdigest()
    image = await s.get(RichMenuImage, sha)
    if image is None:
        image = RichMenuImage(sha256=sha, content_type=info.content_type, width=info.width, height=info.height,
                              data=data, created_at=now)
        s.add(image)
        await s.flush()
    return image


async def _render(s: AsyncSession, now: datetime, menu: RichMenu) -> None:
    layout = load_layout(menu)
    if layout is None:
        return
    tabs: list[Tab] = []
    current = 0
    if menu.group_id is not None:
        members = await group_members(s, menu.group_id)
        tabs = [Tab(m.tab_label or m.name[:20], pk(m)) for m in members]
        current = next(i for i, m in enumerate(members) if m.id == menu.id)
    # drawing takes seconds (fonts, 2500 px images): off the event loop, which keeps answering LINE
    rendered = await asyncio.to_thread(render, layout, tabs=tabs, current=current)
    if len(rendered.areas) > 20:
        raise RichMenuError("invalid", "too_many_areas",
                            f"「{menu.name}」のタイルとタブを合わせると領域が{len(rendered.areas)}個になります（上限20個）。"
                            "タイルかタブを減らしてください。", "layout.tiles")
    image = await store_image(s, now, rendered.image)
    spec = load_spec(menu)
    menu.spec = rendered.spec(spec.chat_bar_text, spec.selected).model_dump_json()
    menu.image_sha256 = image.sha256
    menu.updated_at = now
    s.add(menu)


async def render_group(s: AsyncSession, now: datetime, group_id: int | None) -> None:
    """Tabs show every member's label, so a change to one member redraws them all."""
    if group_id is None:
        return
    await s.flush()
    for member in await group_members(s, group_id):
        await _render(s, now, member)
    await s.flush()


async def create_menu(s: AsyncSession, now: datetime, *, name: str, chat_bar_text: str, selected: bool = True,
                      size: Size | None = None, areas: list | None = None, layout: Layout | None = None,
                      group_id: int | None = None, tab_label: str | None = None) -> RichMenu:
    if group_id is not None:
        await get_group(s, group_id)
    spec = MenuSpec(size=size or Size(width=2500, height=1686), chat_bar_text=chat_bar_text, selected=selected,
                    areas=areas or [])
    if layout is not None:
        spec.size = Size(width=layout.pixel_size[0], height=layout.pixel_size[1])
    position = 0
    if group_id is not None:
        position = ((await s.exec(select(sa.func.max(RichMenu.tab_position))
                                  .where(RichMenu.group_id == group_id))).one() or 0) + 1
    menu = RichMenu(name=name, spec=spec.model_dump_json(), layout=layout.model_dump_json() if layout else None,
                    group_id=group_id, tab_label=tab_label, tab_position=position, created_at=now, updated_at=now)
    s.add(menu)
    await s.flush()
    if group_id is not None:
        await render_group(s, now, group_id)
    else:
        await _render(s, now, menu)
    return menu


async def update_menu(s: AsyncSession, now: datetime, menu: RichMenu, *, name: str | None = None,
                      chat_bar_text: str | None = None, selected: bool | None = None, size: Size | None = None,
                      areas: list | None = None, layout: Layout | None = _UNSET, group_id: int | None = _UNSET,
                      tab_label: str | None = _UNSET, tab_position: int | None = None) -> RichMenu:
    spec = load_spec(menu)
    old_group = menu.group_id
    if name is not None:
        menu.name = name
    if chat_bar_text is not None:
        spec.chat_bar_text = chat_bar_text
    if selected is not None:
        spec.selected = selected
    if layout is not _UNSET:
        menu.layout = layout.model_dump_json() if layout else None
        if layout is not None:
            spec.size = Size(width=layout.pixel_size[0], height=layout.pixel_size[1])
    if menu.layout is None:
        if size is not None:
            spec.size = size
        if areas is not None:
            spec.areas = areas
    elif size is not None or areas is not None:
        raise RichMenuError("invalid", "layout_owns_areas",
                            "タイル配置で作るメニューの領域と大きさは、タイル配置（layout）から決まります。"
                            "領域を自由に決めるには、先に画像をアップロードしてください。", "areas")
    if group_id is not _UNSET and group_id != menu.group_id:
        if group_id is not None:
            await get_group(s, group_id)
            menu.tab_position = ((await s.exec(select(sa.func.max(RichMenu.tab_position))
                                               .where(RichMenu.group_id == group_id))).one() or 0) + 1
        menu.group_id = group_id
    if tab_label is not _UNSET:
        menu.tab_label = tab_label
    if tab_position is not None:
        menu.tab_position = tab_position
    menu.spec = spec.model_dump_json()
    menu.updated_at = now
    s.add(menu)
    await s.flush()
    for group in {old_group, menu.group_id} - {None}:
        await render_group(s, now, group)
    if menu.group_id is None:
        await _render(s, now, menu)
    return menu


async def upload_image(s: AsyncSession, now: datetime, menu: RichMenu, data: bytes) -> RichMenuImage:
    """The staff's own design: from now on the areas are theirs to place (the tile layout is dropped)."""
    image = await store_image(s, now, data)
    spec = load_spec(menu)
    if spec.areas and menu.layout is None and (spec.size.width, spec.size.height) != (image.width, image.height):
        raise RichMenuError("invalid", "image_size_mismatch",
                            f"画像の大きさ（{image.width}×{image.height}）がメニューの大きさ"
                            f"（{spec.size.width}×{spec.size.height}）と違います。同じ大きさの画像にするか、"
                            "先にメニューの大きさ（size）を変えてください。", "image")
    spec.size = Size(width=image.width, height=image.height)
    menu.spec = spec.model_dump_json()
    menu.layout = None
    menu.image_sha256 = image.sha256
    menu.updated_at = now
    s.add(menu)
    await s.flush()
    return image


async def delete_menu(s: AsyncSession, now: datetime, menu: RichMenu) -> None:
    targets = (await s.exec(select(RichMenuTarget).where(RichMenuTarget.menu_id == menu.id))).all()
    if targets:
        where = "、".join(sorted({ACCOUNT_NAMES.get(t.account, t.account) for t in targets}))
        raise RichMenuError("conflict", "menu_in_use",
                            f"「{menu.name}」は{where}で表示するメニューに設定されています。先に表示設定から外してください。")
    if (await s.exec(select(RichMenuModeTarget).where(RichMenuModeTarget.menu_id == menu.id))).first():
        raise RichMenuError("conflict", "menu_in_use",
                            f"「{menu.name}」は防災モードのメニューに設定されています。先に防災モードの設定から外してください。")
    for other in await list_menus(s):
        if other.id != menu.id and menu.id in switch_targets(load_spec(other)):
            if other.group_id is not None and other.group_id == menu.group_id and other.layout is not None:
                continue  # a rendered tab of the same group: redrawn without it below
            raise RichMenuError("conflict", "menu_referenced",
                                f"「{other.name}」に「{menu.name}」へ切り替える領域があります。先にその領域を変更してください。")
    group = menu.group_id
    await s.delete(menu)
    await s.flush()
    if group is not None:
        await render_group(s, now, group)


async def set_targets(s: AsyncSession, account: str, *, default_menu_id: int | None,
                      segments: list[tuple[str, int]]) -> list[RichMenuTarget]:
    """Replace what ``account`` shows: the default menu and the segment menus in priority order."""
    if account not in ACCOUNTS:
        raise RichMenuError("not_found", "unknown_account", f"アカウント「{account}」はありません（production または test）。")
    seen: set[str] = set()
    for i, (segment_id, menu_id) in enumerate(segments):
        if segment_id in seen:
            raise RichMenuError("invalid", "duplicate_segment", f"セグメント「{segment_id}」が2回指定されています。",
                                f"segments.{i}.segment_id")
        seen.add(segment_id)
        await get_menu(s, menu_id)
    if default_menu_id is not None:
        await get_menu(s, default_menu_id)
    await s.exec(sa.delete(RichMenuTarget).where(col(RichMenuTarget.account) == account))
    rows = []
    if default_menu_id is not None:
        rows.append(RichMenuTarget(account=account, segment_id=None, menu_id=default_menu_id, priority=0))
    rows += [RichMenuTarget(account=account, segment_id=seg, menu_id=mid, priority=i + 1)
             for i, (seg, mid) in enumerate(segments)]
    s.add_all(rows)
    await s.flush()
    return rows


async def targets_of(s: AsyncSession, account: str) -> list[RichMenuTarget]:
    return list((await s.exec(select(RichMenuTarget).where(RichMenuTarget.account == account)
                              .order_by(col(RichMenuTarget.priority)))).all())


async def menu_problems(s: AsyncSession, menu: RichMenu) -> list[Problem]:
    spec = load_spec(menu)
    out = problems(spec)
    if menu.image_sha256 is None:
        out.append(Problem(field="image", message="画像がありません。画像をアップロードするか、タイル配置から作成してください。"))
    else:
        image = await s.get(RichMenuImage, menu.image_sha256)
        if image and (image.width, image.height) != (spec.size.width, spec.size.height):
            out.append(Problem(field="image", message=f"画像の大きさ（{image.width}×{image.height}）とメニューの大きさ"
                                                      f"（{spec.size.width}×{spec.size.height}）が違います。"))
    for i, area in enumerate(spec.areas):
        target = getattr(area.action, "menu_id", None)
        if target is not None and await s.get(RichMenu, target) is None:
            out.append(Problem(field=f"areas.{i}.action.menu_id",
                               message=f"領域{i + 1}: 切り替え先のリッチメニュー（ID {target}）がありません。"))
    return out


async def snapshot(s: AsyncSession, account: str) -> dict[str, Any]:
    """What ``account`` should show, frozen: every targeted menu and every menu reachable by a tab switch,
    and the menus of the 防災モード prepared for the account (published beforehand, shown only when the
    mode is switched: ``richmenus.modes``)."""
    targets = await targets_of(s, account)
    if not targets:
        raise RichMenuError("invalid", "nothing_to_publish",
                            f"{ACCOUNT_NAMES.get(account, account)}に表示するメニューが設定されていません。"
                            "先に「表示設定」で既定のメニューを選んでください。", "targets")
    menus = await freeze_menus(s, [t.menu_id for t in targets])
    standby = await freeze_menus(s, [t.menu_id for t in await mode_targets_of(s, account)])
    menus.update({k: v for k, v in standby.items() if k not in menus})
    default = next((t.menu_id for t in targets if t.segment_id is None), None)
    return {"menus": menus, "default": default,
            "segments": [{"segment_id": t.segment_id, "menu_id": t.menu_id} for t in targets if t.segment_id]}


async def freeze_menus(s: AsyncSession, menu_ids: list[int]) -> dict[str, Any]:
    """The menus ``menu_ids`` and every menu reachable from them by a tab switch, as a release holds them."""
    pending = list(menu_ids)
    menus: dict[str, Any] = {}
    while pending:
        menu_id = pending.pop()
        if str(menu_id) in menus:
            continue
        menu = await get_menu(s, menu_id)
        found = await menu_problems(s, menu)
        if found:
            raise RichMenuError("invalid", "menu_not_ready",
                                f"「{menu.name}」（ID {menu.id}）を公開できません: " + " ／ ".join(p.message for p in found),
                                f"menus.{menu.id}.{found[0].field}")
        spec = load_spec(menu)
        menus[str(menu_id)] = {"name": menu.name, "spec": spec.model_dump(mode="json"), "image": menu.image_sha256}
        pending.extend(switch_targets(spec))
    return menus


async def mode_targets_of(s: AsyncSession, account: str, mode: str | None = None) -> list[RichMenuModeTarget]:
    """The menus prepared for the 防災モード on ``account`` (every mode, or ``mode``), by priority."""
    query = select(RichMenuModeTarget).where(RichMenuModeTarget.account == account)
    if mode is not None:
        query = query.where(RichMenuModeTarget.mode == mode)
    return list((await s.exec(query.order_by(col(RichMenuModeTarget.priority)))).all())


async def set_mode_targets(s: AsyncSession, mode: str, account: str, *, default_menu_id: int | None,
                           segments: list[tuple[str, int]]) -> list[RichMenuModeTarget]:
    """Replace what ``account`` shows in ``mode`` (``alert`` / ``disaster``): its default and segment menus."""
    if account not in ACCOUNTS:
        raise RichMenuError("not_found", "unknown_account", f"アカウント「{account}」はありません（production または test）。")
    for menu_id in [default_menu_id, *(mid for _, mid in segments)]:
        if menu_id is not None:
            await get_menu(s, menu_id)
    await s.exec(sa.delete(RichMenuModeTarget).where(col(RichMenuModeTarget.account) == account,
                                                     col(RichMenuModeTarget.mode) == mode))
    rows = []
    if default_menu_id is not None:
        rows.append(RichMenuModeTarget(mode=mode, account=account, segment_id=None, menu_id=default_menu_id))
    rows += [RichMenuModeTarget(mode=mode, account=account, segment_id=seg, menu_id=mid, priority=i + 1)
             for i, (seg, mid) in enumerate(segments)]
    s.add_all(rows)
    await s.flush()
    return rows


def snapshot_text(snap: dict[str, Any]) -> str:
    return json.dumps(snap, ensure_ascii=False, sort_keys=True)
