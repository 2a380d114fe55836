"""Confidence thresholds: one typed policy, today's values by default, tunable per town in settings."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError
from conversation.policy import ConfidencePolicy
from tests.bot.test_settings import GOOD


def test_the_defaults_are_the_values_the_dialogues_were_tuned_with() -> None:
    policy = Settings.from_env(GOOD).confidence
    assert policy == ConfidencePolicy()
    assert (policy.start_flow, policy.small_talk, policy.yes_no, policy.stop) == (0.5, 0.7, 0.8, 0.8)
    assert (policy.interrupt, policy.interrupt_free_text, policy.small_talk_in_flow) == (0.7, 0.85, 0.85)
    assert (policy.question, policy.clear_question, policy.manage_booking) == (0.6, 0.8, 0.8)


def test_a_town_tunes_a_threshold_in_its_settings() -> None:
    policy = Settings.from_env({**GOOD, "CONFIDENCE_START_FLOW": "0.65", "CONFIDENCE_STOP": "0.9"}).confidence
    assert (policy.start_flow, policy.stop, policy.interrupt) == (0.65, 0.9, 0.7)
    with pytest.raises(SettingsError, match="CONFIDENCE_INTERRUPT"):
        Settings.from_env({**GOOD, "CONFIDENCE_INTERRUPT": "1.5"})
    with pytest.raises(ValueError):
        ConfidencePolicy(question=-0.1)


def test_every_threshold_is_documented_in_the_example_settings() -> None:
    from tests.bot.helpers import REPO

    example = (REPO / ".env.example").read_text(encoding="utf-8")
    defaults = ConfidencePolicy()
    for name in ConfidencePolicy.names():
        assert f"CONFIDENCE_{name.upper()}={getattr(defaults, name)}\n" in example
