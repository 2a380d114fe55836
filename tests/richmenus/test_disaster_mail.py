"""A 避難指示 mail switches the 防災モード through a mail rule (issue #22), over SMTP as the prefecture's
disaster mail arrives; the menus are relinked after the mail's commit; a mail no rule matches does not."""

from __future__ import annotations

import asyncio
import smtplib

from sqlmodel import select

from bot.mail_receiver import MailHandler, MailReceiver, database_intake
from civic.clock import FrozenClock
from civic.database import Database
from civic.deliveries.models import Delivery, MailRule
from civic.deliveries.services import DeliveryDesk
from civic.disaster import services as disaster
from richmenus import services as menus
from richmenus.layout import Layout
from richmenus.modes import DisasterSwitch, ModeMenus
from tests.deliveries.test_mail import iso2022jp
from tests.richmenus.conftest import NOW, TILES, Line


async def test_a_warning_mail_switches_the_mode_and_another_does_not(db: Database, line: Line) -> None:
    async with db.write() as s:
        s.add(MailRule(name="避難指示", priority=1, sender="@pref.example.jp", subject="避難指示",
                       disaster_mode="disaster", created_at=NOW, updated_at=NOW))
        main = await menus.create_menu(s, NOW, name="通常", chat_bar_text="メニュー", layout=Layout(tiles=TILES))
        emergency = await menus.create_menu(s, NOW, name="災害時", chat_bar_text="災害時メニュー",
                                            layout=Layout(tiles=TILES))
        await menus.set_targets(s, "production", default_menu_id=main.id, segments=[])
        await menus.set_mode_targets(s, "disaster", "production", default_menu_id=emergency.id,
                                     segments=[])
    await line.publisher.publish("production", "staff")
    chat_bar = {rid: m["chatBarText"] for rid, m in line.view.menus("production").items()}
    switch = DisasterSwitch(db, FrozenClock(NOW), ModeMenus(line.publisher))
    handler = MailHandler(database_intake(db, FrozenClock(NOW), DeliveryDesk(), None, switch.settle))
    receiver = MailReceiver(handler, "127.0.0.1", 0)
    await receiver.start()

    def send(data: bytes) -> None:
        with smtplib.SMTP("127.0.0.1", receiver.port, timeout=10) as client:
            client.sendmail("bousai@pref.example.jp", ["line@town.midori.example.jp"], data)

    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(None, send, iso2022jp(subject="【大雨】注意報のお知らせ", sender="bousai@pref.example.jp",
                                                          message_id="<n1@pref>"))
        async with db.read() as s:
            assert await disaster.current_mode(s) == "normal"  # no rule with a mode matched
        assert chat_bar[line.view.default("production")] == "メニュー"

        await loop.run_in_executor(None, send, iso2022jp(subject="【避難指示】みどり町 土砂災害", sender="bousai@pref.example.jp",
                                                          message_id="<n2@pref>"))
        async with db.read() as s:
            [change] = await disaster.history(s)
        assert (change.mode, change.menus) == ("disaster", "applied")
        assert change.changed_by.startswith("mail-rule:") and "【避難指示】みどり町 土砂災害" in change.reason
        assert chat_bar[line.view.default("production")] == "災害時メニュー"
        async with db.read() as s:  # the warning itself goes out as an urgent delivery, before everything else
            [delivery] = (await s.exec(select(Delivery))).all()
        assert delivery.urgent and delivery.source == "mail"
    finally:
        await receiver.stop()
