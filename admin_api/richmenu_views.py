"""Rich menus for staff: menus, images, tab groups (``/richmenus``, ``/richmenu-groups``).

What each account shows, publishing, versions and rollback are in ``richmenu_publish_views``;
this module's ``router`` serves all of them (it includes that module's).
"""

from __future__ import annotations

from sqlmodel import col, select

from admin_api.downloads import image_response
from admin_api.errors import ApiError
from admin_api.richmenu_publish_views import router as publish_router
from admin_api.richmenu_schemas import (
    GroupIn,
    GroupOut,
    MenuCreate,
    MenuOut,
    MenuUpdate,
    PreviewIn,
    group_out,
    menu_out,
)
from admin_api.routing import PNG_CT, ApiRouter, Call
from richmenus import services
from richmenus.models import RichMenuGroup, RichMenuImage
from richmenus.render import Tab, render

READ, EDIT = "richmenus.read", "richmenus.edit"
IMAGE_TYPES = ("image/png", "image/jpeg")


router = ApiRouter("richmenus", description="リッチメニュー（作成・タブ・表示設定・公開・版の管理）")


@router.route("GET", "/richmenus", summary="リッチメニュー一覧", permission=READ, response=list[MenuOut])
async def list_richmenus(call: Call) -> list[MenuOut]:
    async with call.ctx.db.read() as s:
        return [await menu_out(s, m) for m in await services.list_menus(s)]


@router.route("POST", "/richmenus", summary="リッチメニュー作成", permission=EDIT, body=MenuCreate,
              response=MenuOut, status=201,
              description="タイル配置（layout）を渡すと画像と領域を自動で作ります。"
                          "自分で作った画像を使う場合は size と areas を渡し、画像を PUT /richmenus/{id}/image で送ります。")
async def create_richmenu(call: Call) -> MenuOut:
    b = call.body
    async with call.ctx.db.write() as s:
        menu = await services.create_menu(s, call.ctx.clock.now(), name=b.name, chat_bar_text=b.chat_bar_text,
                                          selected=b.selected, size=b.size, areas=b.areas, layout=b.layout,
                                          group_id=b.group_id, tab_label=b.tab_label)
        out = await menu_out(s, menu)
        await call.audit(s, "richmenus.create", f"richmenu:{menu.id}", after=out.model_dump(exclude={"problems"}))
    return out


@router.route("GET", "/richmenus/{menu_id:\\d+}", summary="リッチメニュー", permission=READ, response=MenuOut)
async def get_richmenu(call: Call) -> MenuOut:
    async with call.ctx.db.read() as s:
        return await menu_out(s, await services.get_menu(s, call.path_int("menu_id")))


@router.route("PATCH", "/richmenus/{menu_id:\\d+}", summary="リッチメニュー変更", permission=EDIT, body=MenuUpdate,
              response=MenuOut)
async def update_richmenu(call: Call) -> MenuOut:
    b: MenuUpdate = call.body
    given = b.model_fields_set
    async with call.ctx.db.write() as s:
        menu = await services.get_menu(s, call.path_int("menu_id"))
        before = await menu_out(s, menu)
        extra = {k: getattr(b, k) for k in ("layout", "group_id", "tab_label") if k in given}
        await services.update_menu(s, call.ctx.clock.now(), menu, name=b.name, chat_bar_text=b.chat_bar_text,
                                   selected=b.selected, size=b.size, areas=b.areas,
                                   tab_position=b.tab_position, **extra)
        out = await menu_out(s, menu)
        await call.audit(s, "richmenus.update", f"richmenu:{menu.id}",
                         before=before.model_dump(exclude={"problems"}), after=out.model_dump(exclude={"problems"}))
    return out


@router.route("DELETE", "/richmenus/{menu_id:\\d+}", summary="リッチメニュー削除", permission=EDIT)
async def delete_richmenu(call: Call) -> None:
    async with call.ctx.db.write() as s:
        menu = await services.get_menu(s, call.path_int("menu_id"))
        before = await menu_out(s, menu)
        await services.delete_menu(s, call.ctx.clock.now(), menu)
        await call.audit(s, "richmenus.delete", f"richmenu:{before.id}", before=before.model_dump(exclude={"problems"}))


@router.route("PUT", "/richmenus/{menu_id:\\d+}/image", summary="画像のアップロード", permission=EDIT,
              consumes=IMAGE_TYPES, response=MenuOut,
              description="JPEG か PNG、幅 800〜2500 ピクセル、高さ 250 ピクセル以上、幅÷高さ 1.45 以上、1MB 以下。")
async def upload_richmenu_image(call: Call) -> MenuOut:
    async with call.ctx.db.write() as s:
        menu = await services.get_menu(s, call.path_int("menu_id"))
        before = menu.image_sha256
        image = await services.upload_image(s, call.ctx.clock.now(), menu, call.body)
        out = await menu_out(s, menu)
        await call.audit(s, "richmenus.image", f"richmenu:{menu.id}", before={"image": before},
                         after={"image": image.sha256, "width": image.width, "height": image.height})
    return out


@router.route("GET", "/richmenus/{menu_id:\\d+}/image", summary="画像", permission=READ, response=bytes,
              produces=IMAGE_TYPES)
async def get_richmenu_image(call: Call):
    async with call.ctx.db.read() as s:
        menu = await services.get_menu(s, call.path_int("menu_id"))
        image = await s.get(RichMenuImage, menu.image_sha256) if menu.image_sha256 else None
    if image is None:
        raise ApiError(404, "no_image", f"「{menu.name}」にはまだ画像がありません。")
    return image_response(image.data, image.content_type)


@router.route("POST", "/richmenus/preview", summary="タイル配置のプレビュー画像", permission=EDIT, body=PreviewIn,
              response=bytes, produces=PNG_CT, description="保存せずに、タイル配置から作られる画像を返します。")
async def preview_richmenu(call: Call):
    b: PreviewIn = call.body
    tabs = [Tab(label, i + 1) for i, label in enumerate(b.tabs)]
    if tabs and b.current >= len(tabs):
        raise ApiError(422, "invalid", f"選択中のタブ（current）は0〜{len(tabs) - 1}で指定してください。", "current")
    rendered = render(b.layout, tabs=tabs, current=b.current)
    call.audited = True  # nothing is changed: no operation-log entry
    return image_response(rendered.image, rendered.content_type)


@router.route("GET", "/richmenu-groups", summary="タブのグループ一覧", permission=READ, response=list[GroupOut])
async def list_richmenu_groups(call: Call) -> list[GroupOut]:
    async with call.ctx.db.read() as s:
        groups = (await s.exec(select(RichMenuGroup).order_by(col(RichMenuGroup.id)))).all()
        return [await group_out(s, g) for g in groups]


@router.route("POST", "/richmenu-groups", summary="タブのグループ作成", permission=EDIT, body=GroupIn,
              response=GroupOut, status=201)
async def create_richmenu_group(call: Call) -> GroupOut:
    now = call.ctx.clock.now()
    async with call.ctx.db.write() as s:
        group = RichMenuGroup(name=call.body.name, created_at=now, updated_at=now)
        s.add(group)
        await s.flush()
        out = await group_out(s, group)
        await call.audit(s, "richmenus.group_create", f"richmenu_group:{group.id}", after=out)
    return out


@router.route("PATCH", "/richmenu-groups/{group_id:\\d+}", summary="タブのグループ名の変更", permission=EDIT,
              body=GroupIn, response=GroupOut)
async def rename_richmenu_group(call: Call) -> GroupOut:
    async with call.ctx.db.write() as s:
        group = await services.get_group(s, call.path_int("group_id"))
        before = await group_out(s, group)
        group.name, group.updated_at = call.body.name, call.ctx.clock.now()
        s.add(group)
        out = await group_out(s, group)
        await call.audit(s, "richmenus.group_update", f"richmenu_group:{group.id}", before=before, after=out)
    return out


@router.route("DELETE", "/richmenu-groups/{group_id:\\d+}", summary="タブのグループ削除", permission=EDIT)
async def delete_richmenu_group(call: Call) -> None:
    async with call.ctx.db.write() as s:
        group = await services.get_group(s, call.path_int("group_id"))
        before = await group_out(s, group)
        if before.menus:
            raise ApiError(409, "group_not_empty", f"グループ「{group.name}」にはメニューが{len(before.menus)}個あります。"
                           "先にメニューをグループから外すか削除してください。")
        await s.delete(group)
        await call.audit(s, "richmenus.group_delete", f"richmenu_group:{before.id}", before=before)


router.include(publish_router)  # what each account shows, publishing, versions and rollback; the editor choices
