"""linesim: a local LINE platform (Messaging API emulator + browser chat simulator).

It talks to the bot only over HTTP, exactly as LINE does. See README.md.
"""

from __future__ import annotations

from .app import create_app
from .config import DEMO_PLACES, ChannelConfig, LiffApp, Place, SimConfig
from .keys import SERVICE
from .service import LineSimService

__all__ = ["DEMO_PLACES", "SERVICE", "ChannelConfig", "LiffApp", "LineSimService", "Place", "SimConfig",
           "create_app"]
