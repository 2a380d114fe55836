"""The spine alone (webhook, inbox, turn loop, outbox, gateway) with the help responder as its
handler: what ``python -m bench webhook --handler spine`` measures. Settings from the environment,
as ``python -m bot serve``."""

from __future__ import annotations

import logging
import os
import sys

from aiohttp import web

from bot.app import create_app
from bot.cli import event_loop
from bot.settings import Settings


def main() -> None:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING"))
    port = int(sys.argv[sys.argv.index("--port") + 1])
    loop = event_loop()
    web.run_app(create_app(Settings.from_env()), host="127.0.0.1", port=port, print=None, access_log=None,
                loop=loop)


if __name__ == "__main__":
    main()
