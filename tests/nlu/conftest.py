from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from nlu import Interpreter, Morphology, load_training_data
from nlu.entities.dates import TOKYO

FIXTURES = Path(__file__).parent / "fixtures"
# a Saturday, 10:00 in Tokyo
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=TOKYO)


@pytest.fixture(scope="session")
def morphology() -> Morphology:
    return Morphology()


@pytest.fixture(scope="session")
def training_data():
    return load_training_data(FIXTURES / "nlu.yml")


@pytest.fixture(scope="session")
def interpreter(training_data, morphology) -> Interpreter:
    return Interpreter.train(training_data, morphology=morphology)


@pytest.fixture
def now() -> datetime:
    return NOW
