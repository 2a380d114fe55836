"""The counter role in ``python -m bot demo``: served beside the rest on ``port + 10`` with its own
database (``var/demo/counter.db``), the demo town's QR key installed as a town would (a file), and the
demo administrator's login and password on it too."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from aiohttp import web

from bot.counter_role import CounterSettings, build_counter_app, install_qr_key
from bot.migrate import upgrade
from bot.settings import Settings
from civic.clock import SystemClock
from civic.crypto import FieldCipher
from civic.database import Database
from civic.staff.errors import StaffError
from civic.staff.services import create_staff

log = logging.getLogger(__name__)


async def start_counter(settings: Settings, directory: Path, login: str, password: str,
                        host: str, port: int) -> web.AppRunner:
    counter = CounterSettings(settings.data_key, f"sqlite+aiosqlite:///{directory / 'counter.db'}",
                              directory / "counter-qr.key", settings.content_dir, settings.town, host, port)
    if not counter.qr_key_file.exists():
        install_qr_key(counter.qr_key_file, settings.qr_key_bytes().hex())
    await asyncio.to_thread(upgrade, counter.database_url, counter.database_url)
    db = Database(counter.database_url, FieldCipher(counter.data_key))
    try:
        await create_staff(db, SystemClock(), login, password, "デモ管理者", "admin")
    except StaffError:
        pass  # already there (a restarted demo)
    finally:
        await db.dispose()
    runner = web.AppRunner(build_counter_app(counter))
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


class CounterBeside:
    """``start_counter`` as a task of its own: the demo is ready before the counter; stopping the demo
    stops the counter (or its start-up)."""

    def __init__(self, settings: Settings, directory: Path, login: str, password: str, host: str, port: int) -> None:
        self.task = asyncio.create_task(start_counter(settings, directory, login, password, host, port))

    async def close(self) -> None:
        if not self.task.done():
            self.task.cancel()
        try:
            runner = await self.task
        except asyncio.CancelledError:
            return
        except Exception:
            log.exception("the counter role of the demo did not start")
            return
        await runner.cleanup()
