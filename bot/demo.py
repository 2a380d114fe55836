"""``python -m bot demo``: the bot, linesim and the chat simulator together, with the demo town.

Everything runs in one process on localhost: linesim (the LINE platform stand-in, with the browser
simulator) on ``port + 101`` and the bot on ``port``, talking to each other over HTTP exactly as
LINE and the bot would. The data lives in ``var/demo/`` (SQLite) with a key generated on first use.

The citizen pages (booking, forms, 手続きナビ) are the LINE Login channel's LIFF apps in linesim:
the simulator opens a link to them with an ID token for the citizen, and the bot verifies it for
that channel (``LIFF_PAGES``), as in LINE. Both accounts share the login channel, as two Official
Accounts of one provider share a LIFF app.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import shutil
from pathlib import Path

import yaml
from aiohttp import web

from bot.counter_demo import CounterBeside
from bot.demo_seed import demo_admin, seed_demo
from bot.mail_sender import MailCatcher, mailbox_app
from bot.migrate import upgrade
from bot.service import build_service
from bot.settings import LineAccount, Settings
from civic.crypto import new_key_text, parse_key
from linesim import ChannelConfig, LiffApp, Place, SimConfig
from linesim import create_app as create_linesim

log = logging.getLogger(__name__)

DEMO_DIR = Path("var/demo")
PRODUCTION = ("production", "demo-production-channel-secret", "demo-production-access-token")
TEST = ("test", "demo-test-channel-secret", "demo-test-access-token")
LOGIN = ("1650000000", "demo-login-channel-secret")  # the LIFF apps' LINE Login channel (id, secret)
#: The pages opened as LIFF apps: LIFF id → path on the bot.
LIFF_PAGES = {f"{LOGIN[0]}-booking": "/liff/booking/", f"{LOGIN[0]}-forms": "/liff/forms/",
              f"{LOGIN[0]}-procedures": "/liff/procedures/", f"{LOGIN[0]}-mypage": "/liff/mypage/"}


def _demo_key(directory: Path) -> bytes:
    path = directory / "data.key"
    if not path.exists():
        path.write_text(new_key_text() + "\n", encoding="utf-8")
        path.chmod(0o600)
    return parse_key(path.read_text(encoding="utf-8"))


def demo_places(town_dir: Path) -> list[Place]:
    path = town_dir / "places.yml"
    if not path.is_file():
        return []
    return [Place(**item) for item in yaml.safe_load(path.read_text(encoding="utf-8"))]


def demo_channels(bot_url: str) -> list[ChannelConfig]:
    apps = tuple(LiffApp(liff_id, bot_url + path) for liff_id, path in LIFF_PAGES.items())
    return [ChannelConfig(PRODUCTION[0], PRODUCTION[1], PRODUCTION[2], f"{bot_url}/callback", bot_display_name="みどり町",
                          login_channel_id=LOGIN[0], login_channel_secret=LOGIN[1], liff_apps=apps),
            ChannelConfig(TEST[0], TEST[1], TEST[2], f"{bot_url}/callback/test", bot_display_name="みどり町（テスト）",
                          login_channel_id=LOGIN[0], login_channel_secret=LOGIN[1], liff_apps=apps)]


def demo_settings(host: str, port: int, sim_url: str, directory: Path, content_dir: Path,
                  smtp_port: int = 0) -> Settings:
    return Settings(
        line=LineAccount(PRODUCTION[0], PRODUCTION[1], PRODUCTION[2], sim_url, sim_url, liff_channel_id=LOGIN[0]),
        test_line=LineAccount(TEST[0], TEST[1], TEST[2], sim_url, sim_url, liff_channel_id=LOGIN[0]),
        database_url=f"sqlite+aiosqlite:///{directory / 'madoguchi.db'}",
        host=host,
        port=port,
        data_key=_demo_key(directory),
        content_dir=content_dir,
        nlu_model_dir=directory / "nlu-model",
        public_base_url=f"http://{host}:{port}",
        simulator_url=f"{sim_url}/simulator",
        # e-mail goes to the demo's own mailbox (``bot.mail_sender.MailCatcher``), never out
        smtp_url=f"smtp://{host}:{smtp_port}" if smtp_port else "",
        mail_from="no-reply@midori.example.jp",
    )


async def serve_demo(host: str, port: int, directory: Path, content_dir: Path,
                     ready: asyncio.Event | None = None, stop: asyncio.Event | None = None, *,
                     sample_reports: bool = True) -> None:
    """The whole demo; ``sample_reports=False`` leaves the 通報 inbox empty (tests that count their own)."""
    sim_port = port + 101
    sim_url, bot_url = f"http://{host}:{sim_port}", f"http://{host}:{port}"
    catcher = MailCatcher(host, port + 102).start()
    settings = demo_settings(host, port, sim_url, directory, content_dir, smtp_port=catcher.port)
    await asyncio.to_thread(upgrade, settings.database_url, settings.inbox_url)
    sim_app = create_linesim(SimConfig(channels=demo_channels(bot_url), places=demo_places(settings.town_dir)))
    bot_app = await asyncio.to_thread(functools.partial(build_service, settings, install_content=False))
    mailbox_url = f"http://{host}:{port + 103}"
    runners = [web.AppRunner(sim_app), web.AppRunner(bot_app), web.AppRunner(mailbox_app(catcher))]
    for runner, p in zip(runners, (sim_port, port, port + 103), strict=True):
        await runner.setup()
        await web.TCPSite(runner, host, p).start()
    counter: CounterBeside | None = None
    try:
        await seed_demo(bot_app, reports=sample_reports)
        login, password = await demo_admin(bot_app, directory)
        # The counter role (書かない窓口) comes up beside the rest, without holding up the LINE demo.
        counter = CounterBeside(settings, directory, login, password, host, port + 10)
        print(f"\nみどり町の LINE 窓口デモが起動しました。\n"
              f"  チャットシミュレーター: {sim_url}/simulator\n"
              f"  （施設予約・フォーム・手続きナビは、シミュレーターのボタンから開くと LINE と同じくログイン済みで開きます）\n"
              f"  施設予約ページ:         {bot_url}/liff/booking/\n"
              f"  手続きナビ:             {bot_url}/liff/procedures/\n"
              f"  マイページ:             {bot_url}/liff/mypage/（メールアドレスでログイン）\n"
              f"  デモのメール受信箱:     {mailbox_url}/（確認コードなど、送ったメールはここに届きます）\n"
              f"  Web チャット:           {bot_url}/liff/webchat/\n"
              f"  施設マップ:             {bot_url}/liff/map/\n"
              f"  管理画面:               {bot_url}/admin/（ログイン {login} / {password}）\n"
              f"  管理 API:               {bot_url}/admin/api/v1/openapi.json"
              f"（ログイン {login} / {password}）\n"
              f"  書かない窓口（窓口ロール）: http://{host}:{port + 10}/admin/#/counter"
              f"（ログイン {login} / {password}、別のデータベース）\n"
              f"  終了するには Ctrl+C を押してください。\n", flush=True)
        if ready is not None:
            ready.set()
        await (stop.wait() if stop is not None else asyncio.Event().wait())
    finally:
        if counter is not None:
            await counter.close()
        for runner in reversed(runners):
            await runner.cleanup()
        catcher.stop()


def run_demo(*, host: str = "127.0.0.1", port: int = 8000, fresh: bool = False,
             directory: Path = DEMO_DIR, content_dir: Path = Path("content")) -> int:
    if fresh and directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    try:
        asyncio.run(serve_demo(host, port, directory, content_dir))
    except KeyboardInterrupt:
        print("デモを終了しました。")
    return 0
