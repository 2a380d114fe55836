"""Request and response models of the rich-menu routes, and the converters from rows."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from civic.rows import pk
from richmenus import services
from richmenus.layout import Layout
from richmenus.models import RichMenu, RichMenuGroup, RichMenuImage, RichMenuRelease
from richmenus.spec import Area, Line, Problem, Size


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ImageOut(BaseModel):
    sha256: str
    content_type: str
    width: int
    height: int


class MenuOut(BaseModel):
    id: int
    name: str
    chat_bar_text: str
    selected: bool
    size: Size
    areas: list[Area]
    layout: Layout | None
    group_id: int | None
    tab_label: str | None
    tab_position: int
    image: ImageOut | None
    problems: list[Problem] = Field(description="公開前に直す必要があること（空なら公開できます）")
    updated_at: datetime


class MenuCreate(_In):
    name: str = Field(min_length=1, max_length=100, description="管理用の名前")
    chat_bar_text: Line = Field(min_length=1, max_length=14)
    selected: bool = True
    size: Size | None = Field(default=None, description="自分で画像を用意する場合の大きさ（省略時 2500×1686）")
    areas: list[Area] | None = Field(default=None, max_length=20, description="自分で画像を用意する場合のタップ領域")
    layout: Layout | None = Field(default=None, description="タイル配置から画像と領域を作る場合")
    group_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="タブとして入れるグループ")
    tab_label: Line | None = Field(default=None, min_length=1, max_length=20)

    @model_validator(mode="after")
    def _one_design(self) -> MenuCreate:
        if self.layout is not None and (self.areas or self.size):
            raise ValueError("タイル配置（layout）と、領域（areas）・大きさ（size）の指定はどちらか一方にしてください。")
        return self


class MenuUpdate(_In):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    chat_bar_text: Line | None = Field(default=None, min_length=1, max_length=14)
    selected: bool | None = None
    size: Size | None = None
    areas: list[Area] | None = Field(default=None, max_length=20)
    layout: Layout | None = Field(default=None, description="null を指定するとタイル配置をやめます")
    group_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="null を指定するとグループから外します")
    tab_label: Line | None = Field(default=None, min_length=1, max_length=20)
    tab_position: int | None = Field(default=None, ge=0, le=1000)


class PreviewIn(_In):
    layout: Layout
    tabs: list[Annotated[Line, Field(min_length=1, max_length=20)]] = Field(
        default_factory=list, max_length=10, description="タブの表示名（左から）")
    current: int = Field(default=0, ge=0, le=9, description="選択中のタブの番号（0から）")


class GroupMember(BaseModel):
    id: int
    name: str
    tab_label: str | None
    tab_position: int


class GroupOut(BaseModel):
    id: int
    name: str
    menus: list[GroupMember]


class GroupIn(_In):
    name: str = Field(min_length=1, max_length=100)


class SegmentTarget(_In):
    segment_id: str = Field(min_length=1, max_length=64)
    menu_id: int = Field(ge=1, le=2**31 - 1)


class TargetsIn(_In):
    default_menu_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="友だち全員に表示するメニュー")
    segments: list[SegmentTarget] = Field(default_factory=list, max_length=100,
                                          description="セグメント別のメニュー（上にあるものが優先）")


class TargetsOut(BaseModel):
    account: str
    default_menu_id: int | None
    segments: list[SegmentTarget]


class ReleaseOut(BaseModel):
    account: str
    number: int
    status: str = Field(description="pending: 公開中 / applied: 公開済み / failed: 失敗（再実行できます）")
    source: str
    error: str | None
    created_by: str
    created_at: datetime
    applied_at: datetime | None
    menu_ids: list[int]
    default_menu_id: int | None


class AccountInfo(BaseModel):
    account: str
    name: str
    permission: str = Field(description="表示設定の変更・公開・ロールバックに要る権限")
    simulator_url: str | None = Field(description="このアカウントで試せるチャットシミュレーターのURL（ないときは null）")


class Choice(BaseModel):
    value: str
    label: str


class AccountsOut(BaseModel):
    accounts: list[AccountInfo]
    flows: list[Choice] = Field(description="ポストバックで始められるチャットボットの流れ（value が data）")
    liff_pages: list[Choice] = Field(description="領域から開ける LIFF ページ（value が URL）")


async def menu_out(s, menu: RichMenu) -> MenuOut:
    spec = services.load_spec(menu)
    image = await s.get(RichMenuImage, menu.image_sha256) if menu.image_sha256 else None
    return MenuOut(id=menu.id, name=menu.name, chat_bar_text=spec.chat_bar_text, selected=spec.selected,
                   size=spec.size, areas=spec.areas, layout=services.load_layout(menu), group_id=menu.group_id,
                   tab_label=menu.tab_label, tab_position=menu.tab_position,
                   image=ImageOut(sha256=image.sha256, content_type=image.content_type, width=image.width,
                                  height=image.height) if image else None,
                   problems=await services.menu_problems(s, menu), updated_at=menu.updated_at)


async def group_out(s, group: RichMenuGroup) -> GroupOut:
    members = await services.group_members(s, pk(group))
    return GroupOut(id=group.id, name=group.name, menus=[
        GroupMember(id=m.id, name=m.name, tab_label=m.tab_label, tab_position=m.tab_position) for m in members])


def release_out(r: RichMenuRelease) -> ReleaseOut:
    snap = json.loads(r.snapshot)
    return ReleaseOut(account=r.account, number=r.number, status=r.status, source=r.source, error=r.error,
                      created_by=r.created_by, created_at=r.created_at, applied_at=r.applied_at,
                      menu_ids=sorted(int(k) for k in snap["menus"]), default_menu_id=snap.get("default"))


