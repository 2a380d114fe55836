from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from civic.clock import FrozenClock
from civic.procedures.loader import load_content
from civic.procedures.tree import Content

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content" / "midori" / "procedures"


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content(CONTENT_DIR)


@pytest.fixture
def clock() -> FrozenClock:
    # 2026-12-01 (火) 10:00 in Tokyo
    return FrozenClock(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))
