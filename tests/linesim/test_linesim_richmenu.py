"""Rich menus through linesim with the real line-bot-sdk async client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from linebot.v3.messaging import (
    ApiException,
    CreateRichMenuAliasRequest,
    PostbackAction,
    RichMenuArea,
    RichMenuBounds,
    RichMenuBulkLinkRequest,
    RichMenuBulkUnlinkRequest,
    RichMenuRequest,
    RichMenuSize,
    RichMenuSwitchAction,
    UpdateRichMenuAliasRequest,
)
from linesim_support import Sdk, make_image

from linesim.testing import LineSim

W, H = 2500, 843


def area(x: int, y: int, w: int, h: int, action: Any = None) -> RichMenuArea:
    return RichMenuArea(bounds=RichMenuBounds(x=x, y=y, width=w, height=h),
                        action=action or PostbackAction(label="ボタン", data=f"tap={x},{y}"))


def menu(areas: list[RichMenuArea], name: str = "メイン", width: int = W, height: int = H) -> RichMenuRequest:
    return RichMenuRequest(size=RichMenuSize(width=width, height=height), selected=True, name=name,
                           chat_bar_text="メニュー", areas=areas)


async def create_with_image(sdk: Sdk, request: RichMenuRequest) -> str:
    menu_id = (await sdk.api.create_rich_menu(request)).rich_menu_id
    image = make_image(request.size.width, request.size.height)
    await sdk.blob.set_rich_menu_image(menu_id, image, _headers={"Content-Type": "image/png"})
    return menu_id


def details(exc: ApiException) -> list[dict[str, str]]:
    return json.loads(exc.body).get("details", [])


async def test_create_get_list_delete_and_image_round_trip(sdk: Sdk) -> None:
    request = menu([area(0, 0, 1250, 843), area(1250, 0, 1250, 843)])
    await sdk.api.validate_rich_menu_object(request)
    menu_id = await create_with_image(sdk, request)

    got = await sdk.api.get_rich_menu(menu_id)
    assert (got.rich_menu_id, got.chat_bar_text, len(got.areas)) == (menu_id, "メニュー", 2)
    assert [m.rich_menu_id for m in (await sdk.api.get_rich_menu_list()).richmenus] == [menu_id]
    assert await sdk.blob.get_rich_menu_image(menu_id) == make_image(W, H)

    with pytest.raises(ApiException) as caught:  # LINE lets an image be uploaded only once
        await sdk.blob.set_rich_menu_image(menu_id, make_image(W, H), _headers={"Content-Type": "image/png"})
    assert caught.value.status == 400

    await sdk.api.delete_rich_menu(menu_id)
    with pytest.raises(ApiException) as caught:
        await sdk.api.get_rich_menu(menu_id)
    assert caught.value.status == 404


async def test_twenty_one_areas_are_refused(sdk: Sdk) -> None:
    twenty = [area(i * 125, 0, 125, 843) for i in range(20)]
    await sdk.api.validate_rich_menu_object(menu(twenty))
    with pytest.raises(ApiException) as caught:
        await sdk.api.create_rich_menu(menu([*twenty, area(0, 0, 10, 10)]))
    assert caught.value.status == 400
    assert details(caught.value) == [{"message": "Size must be between 0 and 20", "property": "areas"}]


async def test_area_outside_the_image_is_refused(sdk: Sdk) -> None:
    with pytest.raises(ApiException) as caught:
        await sdk.api.create_rich_menu(menu([area(0, 0, 1250, 843), area(1300, 0, 1250, 843)]))
    assert caught.value.status == 400
    assert [d["property"] for d in details(caught.value)] == ["areas[1].bounds"]
    with pytest.raises(ApiException) as caught:
        await sdk.api.validate_rich_menu_object(menu([area(0, 100, 2500, 800)]))
    assert [d["property"] for d in details(caught.value)] == ["areas[0].bounds"]


@pytest.mark.parametrize(("width", "height", "fmt", "noise", "status", "problem"), [
    (700, 250, "PNG", False, 400, "image.width"),  # narrower than 800 px
    (800, 600, "PNG", False, 400, "image"),        # width / height below 1.45
    (2500, 1686, "JPEG", True, 413, None),         # more than 1 MB
])
async def test_bad_images_are_refused(sdk: Sdk, width: int, height: int, fmt: str, noise: bool, status: int,
                                      problem: str | None) -> None:
    # the menu object itself is valid; only the image is wrong
    menu_id = (await sdk.api.create_rich_menu(menu([area(0, 0, 800, 250)], width=2500, height=1686))).rich_menu_id
    image = make_image(width, height, fmt, noise=noise)
    if noise:
        assert len(image) > 1024 * 1024
    with pytest.raises(ApiException) as caught:
        await sdk.blob.set_rich_menu_image(menu_id, image, _headers={"Content-Type": f"image/{fmt.lower()}"})
    assert caught.value.status == status
    assert [d["property"] for d in details(caught.value)] == ([problem] if problem else [])
    with pytest.raises(ApiException) as caught:
        await sdk.blob.get_rich_menu_image(menu_id)
    assert caught.value.status == 404


async def test_image_must_match_the_menu_size_and_type(sdk: Sdk) -> None:
    menu_id = (await sdk.api.create_rich_menu(menu([area(0, 0, 100, 100)]))).rich_menu_id
    with pytest.raises(ApiException) as caught:
        await sdk.blob.set_rich_menu_image(menu_id, make_image(1200, 405), _headers={"Content-Type": "image/png"})
    assert caught.value.status == 400
    with pytest.raises(ApiException) as caught:
        await sdk.blob.set_rich_menu_image(menu_id, make_image(W, H), _headers={"Content-Type": "image/jpeg"})
    assert caught.value.status == 400
    await sdk.blob.set_rich_menu_image(menu_id, make_image(W, H, "JPEG"), _headers={"Content-Type": "image/jpeg"})


async def test_menu_without_image_cannot_be_default_or_linked(line_sim: LineSim, sdk: Sdk) -> None:
    user = line_sim.create_user()
    menu_id = (await sdk.api.create_rich_menu(menu([area(0, 0, 100, 100)]))).rich_menu_id
    for call in (sdk.api.set_default_rich_menu(menu_id), sdk.api.link_rich_menu_id_to_user(user, menu_id)):
        with pytest.raises(ApiException) as caught:
            await call
        assert caught.value.status == 400


async def test_per_user_link_wins_over_the_default(line_sim: LineSim, sdk: Sdk) -> None:
    alice, bob = line_sim.create_user("alice"), line_sim.create_user("bob")
    default = await create_with_image(sdk, menu([area(0, 0, 100, 100)], name="既定"))
    personal = await create_with_image(sdk, menu([area(0, 0, 100, 100)], name="個別"))
    assert line_sim.rich_menu_id_of(alice) is None
    with pytest.raises(ApiException) as caught:
        await sdk.api.get_default_rich_menu_id()
    assert caught.value.status == 404

    await sdk.api.set_default_rich_menu(default)
    await sdk.api.link_rich_menu_id_to_user(alice, personal)
    assert (await sdk.api.get_default_rich_menu_id()).rich_menu_id == default
    assert (await sdk.api.get_rich_menu_id_of_user(alice)).rich_menu_id == personal
    assert (line_sim.rich_menu_id_of(alice), line_sim.rich_menu_id_of(bob)) == (personal, default)
    with pytest.raises(ApiException) as caught:
        await sdk.api.get_rich_menu_id_of_user(bob)
    assert caught.value.status == 404

    await sdk.api.unlink_rich_menu_id_from_user(alice)
    assert line_sim.rich_menu_id_of(alice) == default
    await sdk.api.cancel_default_rich_menu()
    assert line_sim.rich_menu_id_of(alice) is None


async def test_bulk_link_and_unlink(line_sim: LineSim, sdk: Sdk) -> None:
    users = [line_sim.create_user(str(i)) for i in range(3)]
    menu_id = await create_with_image(sdk, menu([area(0, 0, 100, 100)]))
    await sdk.api.link_rich_menu_id_to_users(RichMenuBulkLinkRequest(rich_menu_id=menu_id, user_ids=users[:2]))
    assert [line_sim.rich_menu_id_of(u) for u in users] == [menu_id, menu_id, None]
    await sdk.api.unlink_rich_menu_id_from_users(RichMenuBulkUnlinkRequest(user_ids=users[:1]))
    assert [line_sim.rich_menu_id_of(u) for u in users] == [None, menu_id, None]
    with pytest.raises(ApiException) as caught:
        await sdk.api.link_rich_menu_id_to_users(RichMenuBulkLinkRequest(rich_menu_id=menu_id, user_ids=["bad"]))
    assert caught.value.status == 400


async def test_aliases_and_tab_switching_by_richmenuswitch(line_sim: LineSim, sdk: Sdk) -> None:
    user = line_sim.create_user()
    tab_b = RichMenuSwitchAction(label="Bへ", rich_menu_alias_id="tab-b", data="switch=b")
    tab_a = RichMenuSwitchAction(label="Aへ", rich_menu_alias_id="tab-a", data="switch=a")
    menu_a = await create_with_image(sdk, menu([area(0, 0, 1250, 843, tab_b)], name="A"))
    menu_b = await create_with_image(sdk, menu([area(0, 0, 1250, 843, tab_a)], name="B"))
    await sdk.api.create_rich_menu_alias(CreateRichMenuAliasRequest(rich_menu_alias_id="tab-a", rich_menu_id=menu_a))
    await sdk.api.create_rich_menu_alias(CreateRichMenuAliasRequest(rich_menu_alias_id="tab-b", rich_menu_id=menu_b))
    with pytest.raises(ApiException) as caught:
        await sdk.api.create_rich_menu_alias(CreateRichMenuAliasRequest(rich_menu_alias_id="tab-a", rich_menu_id=menu_b))
    assert caught.value.status == 400
    assert (await sdk.api.get_rich_menu_alias("tab-b")).rich_menu_id == menu_b
    assert sorted(a.rich_menu_alias_id for a in (await sdk.api.get_rich_menu_alias_list()).aliases) == ["tab-a", "tab-b"]
    await sdk.api.set_default_rich_menu(menu_a)

    event = await line_sim.tap_rich_menu(user, 0)
    assert event["type"] == "postback"
    assert event["postback"] == {"data": "switch=b", "params": {"newRichMenuAliasId": "tab-b", "status": "SUCCESS"}}
    assert line_sim.rich_menu_id_of(user) == menu_b
    event = await line_sim.tap_rich_menu(user, 0)
    assert event["postback"]["params"]["newRichMenuAliasId"] == "tab-a"
    assert line_sim.rich_menu_id_of(user) == menu_a

    await sdk.api.update_rich_menu_alias("tab-b", UpdateRichMenuAliasRequest(rich_menu_id=menu_a))
    assert (await sdk.api.get_rich_menu_alias("tab-b")).rich_menu_id == menu_a
    await sdk.api.delete_rich_menu_alias("tab-b")
    event = await line_sim.tap_rich_menu(user, 0)
    assert event["postback"]["params"] == {"newRichMenuAliasId": "tab-b", "status": "RICHMENU_ALIAS_ID_NOTFOUND"}
    assert line_sim.rich_menu_id_of(user) == menu_a
