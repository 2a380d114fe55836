"""The spine alone (webhook, inbox, turn loop, outbox, gateway) with the help responder as its
handler: what ``python -m bench webhook --handler spine`` measures. Settings from the environment,
as ``python -m bot serve``; like it, turns run in a worker process (this module with ``--worker``)
unless ``--single-process`` is given."""

from __future__ import annotations

import logging
import os
import sys

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
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, loop=loop)


if __name__ == "__main__":
    main()
