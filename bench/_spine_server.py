"""The spine alone (webhook, inbox, turn loop, outbox, gateway) with the help responder as its
handler: what ``python -m bench webhook --handler spine`` measures. Settings from the environment,
as ``python -m bot serve``; like it, turns run in a worker process (this module with ``--worker``)
unless ``--single-process`` is given.

``python -m bench backup --webhook`` sends the web process SIGUSR1 to run what the daily backup job
(``bot.backup.daily``) runs, a backup and its verification, inside it while events arrive; the
seconds it took are written to ``BENCH_BACKUP_DONE``."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from pathlib import Path

from aiohttp import web

from bot.cli import event_loop
from bot.service import Role, create_app
from bot.settings import Settings
from bot.worker import serve_worker


def main() -> None:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING"))
    loop = event_loop()
    if "--worker" in sys.argv:
        loop.run_until_complete(serve_worker(create_app(Settings.from_env(), role=Role.WORKER)))
        return
    port = int(sys.argv[sys.argv.index("--port") + 1])
    if "--single-process" in sys.argv:
        app = create_app(Settings.from_env())
    else:
        app = create_app(Settings.from_env(), role=Role.WEB,
                         worker_command=[sys.executable, "-m", "bench._spine_server", "--worker"])
    if os.environ.get("BENCH_BACKUP_DONE"):
        loop.add_signal_handler(signal.SIGUSR1, lambda: loop.create_task(_backup_in_process()))
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, loop=loop)


async def _backup_in_process() -> None:
    """What the daily job does when it is due (``DailyBackup.__call__``): backup, then verify."""
    from bot.backup import BackupConfig
    from bot.backup.generations import backup, verify
    from bot.backup.stores import stores_of

    settings, config = Settings.from_env(), BackupConfig.from_env()
    stores = stores_of(settings.database_url, settings.inbox_url)
    started = time.perf_counter()
    made = await backup(stores, config.key, config.dest, config.keep)
    made_in = time.perf_counter() - started
    await verify(made, stores, config.key)
    await asyncio.to_thread(Path(os.environ["BENCH_BACKUP_DONE"]).write_text,
                            f"{made_in} {time.perf_counter() - started}")


if __name__ == "__main__":
    main()
