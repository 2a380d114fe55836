"""``python -m linesim``: run linesim standalone.

    python -m linesim --port 8101 --webhook-url http://127.0.0.1:8000/callback \\
        --channel-secret S --channel-access-token T

Repeat ``--channel NAME,SECRET,TOKEN[,WEBHOOK_URL]`` for more channels (e.g. production and test).
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from .app import create_app
from .config import DEMO_PLACES, ChannelConfig, Place, SimConfig


def _channel(spec: str) -> ChannelConfig:
    parts = spec.split(",", 3)
    if len(parts) < 3:
        raise argparse.ArgumentTypeError("--channel takes NAME,SECRET,TOKEN[,WEBHOOK_URL]")
    return ChannelConfig(parts[0], parts[1], parts[2], parts[3] if len(parts) == 4 else None)


def _places(path: str) -> list[Place]:
    """A JSON file: ``[{"name": ..., "latitude": ..., "longitude": ..., "address": ...}, ...]``."""
    return [Place(**item) for item in json.loads(Path(path).read_text(encoding="utf-8"))]


def parse_args(argv: Sequence[str] | None = None) -> tuple[SimConfig, str, int]:
    parser = argparse.ArgumentParser(prog="python -m linesim", description="A local LINE platform and chat simulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--webhook-url", help="the bot's webhook URL (first channel)")
    parser.add_argument("--channel-name", default="default")
    parser.add_argument("--channel-secret", help="channel secret used to sign webhook bodies")
    parser.add_argument("--channel-access-token", help="the bearer token the bot sends")
    parser.add_argument("--channel", action="append", type=_channel, default=[], metavar="NAME,SECRET,TOKEN[,URL]",
                        help="another channel (repeatable)")
    parser.add_argument("--places", type=_places, help="JSON file of places for the location picker")
    parser.add_argument("--reply-token-ttl", type=float, default=60.0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every API answer")
    args = parser.parse_args(argv)
    channels = list(args.channel)
    if args.channel_secret or args.channel_access_token or not channels:
        if not (args.channel_secret and args.channel_access_token):
            parser.error("give --channel-secret and --channel-access-token (or --channel)")
        channels.insert(0, ChannelConfig(args.channel_name, args.channel_secret, args.channel_access_token,
                                         args.webhook_url))
    config = SimConfig(channels=channels, places=args.places or DEMO_PLACES,
                       reply_token_ttl=args.reply_token_ttl, latency=args.latency)
    return config, args.host, args.port


def main(argv: Sequence[str] | None = None) -> None:
    config, host, port = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    print(f"linesim: Messaging API at http://{host}:{port}  chat simulator at http://{host}:{port}/simulator")
    web.run_app(create_app(config), host=host, port=port, print=None)


if __name__ == "__main__":
    main()
