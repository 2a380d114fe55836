"""Publishing through line-bot-sdk's async clients to linesim (the local LINE platform), on both backends."""

from __future__ import annotations

import pytest
from sqlmodel import select

from civic.database import Database
from richmenus import services
from richmenus.errors import RichMenuError
from richmenus.layout import Layout
from richmenus.line_api import AccountCredentials
from richmenus.line_objects import alias_id
from richmenus.models import RichMenuRelease, RichMenuUpload
from tests.richmenus.conftest import LINKS, NOW, TILES, Line, make_tabs

U1, U2, U3, U9 = ("U" + c * 32 for c in "123f")


async def _target(db: Database, account: str, default: int, segments: list[tuple[str, int]] | None = None) -> None:
    async with db.write() as s:
        await services.set_targets(s, account, default_menu_id=default, segments=segments or [])


async def test_publishing_tabs_creates_menus_images_aliases_and_default(db: Database, line: Line) -> None:
    main, living = await make_tabs(db)
    await _target(db, "test", main)
    release = await line.publisher.publish("test", "editor")
    assert (release.number, release.status, release.source) == (1, "applied", "draft")
    view = line.view
    menus = view.menus("test")
    assert len(menus) == 2 and view.images("test") == set(menus)
    assert set(view.aliases("test")) == {alias_id(main), alias_id(living)}
    default = menus[view.default("test")]
    assert default["chatBarText"] == "メニュー" and default["name"].startswith("メインメニュー [mdg:")
    switch = [a["action"] for a in default["areas"] if a["action"]["type"] == "richmenuswitch"]
    assert switch == [{"type": "richmenuswitch", "richMenuAliasId": alias_id(living),
                       "data": f"richmenu-switch={living}", "label": "くらしの情報"}]
    assert menus[view.aliases("test")[alias_id(living)]]["chatBarText"] == "くらしの情報"
    assert view.menus("production") == {}  # the public account is untouched


async def test_a_citizen_switches_tabs_on_the_test_account(db: Database, line: Line) -> None:
    main, living = await make_tabs(db)
    await _target(db, "test", main)
    await line.publisher.publish("test", "editor")
    sim = line.view.sim.for_channel("test")
    tester = sim.create_user("職員のテスト端末")
    assert line.view.shown_to("test", tester)["chatBarText"] == "メニュー"
    tab = next(i for i, a in enumerate(line.view.shown_to("test", tester)["areas"])
               if a["action"]["type"] == "richmenuswitch")
    event = await sim.tap_rich_menu(tester, tab)
    assert event["postback"]["params"]["status"] == "SUCCESS"
    assert line.view.shown_to("test", tester)["chatBarText"] == "くらしの情報"
    back = next(i for i, a in enumerate(line.view.shown_to("test", tester)["areas"])
                if a["action"]["type"] == "richmenuswitch")
    await sim.tap_rich_menu(tester, back)
    assert line.view.shown_to("test", tester)["chatBarText"] == "メニュー"


async def test_publishing_again_changes_nothing(db: Database, line: Line) -> None:
    main, _ = await make_tabs(db)
    await _target(db, "test", main)
    await line.publisher.publish("test", "editor")
    before = line.view.state("test")
    calls = len(line.view.calls("test"))
    await line.publisher.publish("test", "editor")
    writes = [c for c in line.view.calls("test")[calls:] if c[0] != "GET"]
    assert writes == [] and line.view.state("test") == before


async def test_a_failure_half_way_is_repaired_by_the_next_publish(db: Database, line: Line) -> None:
    main, living = await make_tabs(db)
    await _target(db, "test", main)
    line.view.fail("POST", "/v2/bot/richmenu/*")  # the first image upload (create is /v2/bot/richmenu)
    with pytest.raises(RichMenuError) as exc:
        await line.publisher.publish("test", "editor")
    assert "メニューの作成" in exc.value.message and "再実行" in exc.value.message
    async with db.read() as s:
        failed = (await s.exec(select(RichMenuRelease))).one()
    assert failed.status == "failed" and "LINE 側で一時的なエラー" in failed.error
    view = line.view
    assert view.default("test") is None and len(view.menus("test")) == 1 and view.images("test") == set()
    release = await line.publisher.retry("test")
    assert release.status == "applied" and release.number == 1
    assert len(view.menus("test")) == 2 and view.images("test") == set(view.menus("test"))
    assert view.default("test") in view.menus("test")
    assert set(view.aliases("test")) == {alias_id(main), alias_id(living)}


async def test_a_failure_while_linking_is_finished_by_the_next_publish(db: Database, line: Line) -> None:
    main, _ = await make_tabs(db)
    async with db.write() as s:
        parents = await services.create_menu(s, NOW, name="子育て", chat_bar_text="子育て",
                                             layout=Layout(columns=3, rows=1, tiles=LINKS))
    line.segments.by_segment = {"kosodate": [U1, U2]}
    await _target(db, "production", main, [("kosodate", parents.id)])
    line.view.fail("POST", "/v2/bot/richmenu/bulk/link", status=429)
    with pytest.raises(RichMenuError) as exc:
        await line.publisher.publish("production", "manager")
    assert "セグメント別メニューの割り当て" in exc.value.message and "上限" in exc.value.message
    assert line.view.links("production") == {} and line.view.default("production") is not None
    await line.publisher.publish("production", "manager")
    assert line.view.shown_to("production", U1)["chatBarText"] == "子育て"


async def test_a_menu_created_before_a_crash_is_adopted_not_duplicated(db: Database, line: Line) -> None:
    main, _ = await make_tabs(db)
    await _target(db, "test", main)
    await line.publisher.publish("test", "editor")
    async with db.write() as s:  # the database forgets: as if LINE answered but we never recorded it
        for row in (await s.exec(select(RichMenuUpload))).all():
            await s.delete(row)
    ids = set(line.view.menus("test"))
    await line.publisher.publish("test", "editor")
    assert set(line.view.menus("test")) == ids
    async with db.read() as s:
        rows = (await s.exec(select(RichMenuUpload))).all()
    assert {r.line_rich_menu_id for r in rows} == ids and all(r.image_uploaded for r in rows)


async def test_promote_then_rollback(db: Database, line: Line) -> None:
    main, living = await make_tabs(db)
    await _target(db, "test", main)
    await line.publisher.publish("test", "editor")
    first = await line.publisher.promote("manager")
    view = line.view
    assert first.source == "promote:test#1"
    assert view.menus("production")[view.default("production")]["chatBarText"] == "メニュー"
    async with db.write() as s:  # staff change the main menu, try it, promote it
        menu = await services.get_menu(s, main)
        await services.update_menu(s, NOW, menu, chat_bar_text="町の窓口")
    await line.publisher.publish("test", "editor")
    await line.publisher.promote("manager")
    assert view.menus("production")[view.default("production")]["chatBarText"] == "町の窓口"
    assert len(view.menus("production")) == 2
    back = await line.publisher.rollback("production", 1, "manager")
    assert (back.number, back.source, back.status) == (3, "rollback:1", "applied")
    assert view.menus("production")[view.default("production")]["chatBarText"] == "メニュー"
    assert len(view.menus("production")) == 2
    assert view.menus("production")[view.aliases("production")[alias_id(living)]]["chatBarText"] == "くらしの情報"


async def test_segment_menus_are_linked_in_bulk_and_relinked(db: Database, line: Line) -> None:
    main, _ = await make_tabs(db)
    async with db.write() as s:
        parents = await services.create_menu(s, NOW, name="子育て世帯向け", chat_bar_text="子育て",
                                             layout=Layout(columns=3, rows=1, tiles=LINKS))
    line.segments.by_segment = {"kosodate": [U1, U2], "senior": [U2, U3]}
    await _target(db, "production", main, [("kosodate", parents.id), ("senior", main)])
    await line.publisher.publish("production", "manager")
    view = line.view
    assert view.shown_to("production", U1)["chatBarText"] == "子育て"
    assert view.shown_to("production", U2)["chatBarText"] == "子育て"  # first segment by priority wins
    assert view.links("production")[U3] == view.default("production")
    assert view.shown_to("production", U9)["chatBarText"] == "メニュー"
    line.segments.by_segment = {"kosodate": [U2], "senior": [U3]}  # U1's child grew up
    calls = len(view.calls("production"))
    await line.publisher.relink_citizen(U1)
    assert U1 not in view.links("production")
    await line.publisher.relink_citizen(U2)  # unchanged: LINE is not asked to change anything
    assert [c for c in view.calls("production")[calls:] if c[0] != "GET"] == [("DELETE", f"/v2/bot/user/{U1}/richmenu")]
    assert view.shown_to("production", U2)["chatBarText"] == "子育て"


async def test_menus_no_longer_used_are_deleted_from_line(db: Database, line: Line) -> None:
    main, _ = await make_tabs(db)
    await _target(db, "test", main)
    await line.publisher.publish("test", "editor")
    async with db.write() as s:
        single = await services.create_menu(s, NOW, name="単独", chat_bar_text="お知らせ",
                                            layout=Layout(columns=2, rows=1, tiles=TILES[:2]))
        await services.set_targets(s, "test", default_menu_id=single.id, segments=[])
    await line.publisher.publish("test", "editor")
    view = line.view
    assert len(view.menus("test")) == 1 and view.menus("test")[view.default("test")]["chatBarText"] == "お知らせ"
    assert set(view.aliases("test")) == {alias_id(single.id)}


async def test_nothing_unready_reaches_line(db: Database, line: Line) -> None:
    async with db.write() as s:
        bare = await services.create_menu(s, NOW, name="画像なし", chat_bar_text="メニュー",
                                          areas=[{"bounds": {"x": 0, "y": 0, "width": 2500, "height": 1686},
                                                  "action": {"type": "message", "text": "こんにちは"}}])
    with pytest.raises(RichMenuError) as exc:
        await line.publisher.publish("test", "editor")
    assert exc.value.code == "nothing_to_publish"
    await _target(db, "test", bare.id)
    with pytest.raises(RichMenuError) as exc:
        await line.publisher.publish("test", "editor")
    assert "「画像なし」" in exc.value.message and "画像がありません" in exc.value.message
    assert line.view.calls("test") == []


async def test_a_wrong_token_is_explained(db: Database, line: Line) -> None:
    main, _ = await make_tabs(db)
    await _target(db, "test", main)
    url = line.view.sim.url
    line.publisher.apis.accounts["test"] = AccountCredentials("not-the-token", url, url)
    with pytest.raises(RichMenuError) as exc:
        await line.publisher.publish("test", "editor")
    assert "チャネルアクセストークン" in exc.value.message
