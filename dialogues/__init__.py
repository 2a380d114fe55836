"""Conversation flows on a small dialogue engine (one module per flow, a Mermaid diagram beside each).

Public API: ``Knowledge`` (built once at start-up), ``Services``, ``DialogueHandler`` (the
``TurnHandler``), ``Flow``/``Entry``/``state``/``Context`` for new flows.
"""

from dialogues.engine import DEFAULT_TIMEOUT, Context, Engine, Entry, Flow, state
from dialogues.handler import DialogueHandler
from dialogues.services import Knowledge, Services, TownProfile

__all__ = ["DEFAULT_TIMEOUT", "Context", "DialogueHandler", "Engine", "Entry", "Flow", "Knowledge", "Services",
           "TownProfile", "state"]
