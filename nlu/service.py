"""What the running service needs: pick a backend from settings, and a plain parse handler.

``make_parse_handler`` returns a function from a decoded JSON body to ``(status, JSON body)``; the
bot mounts it at ``POST /api/nlu/parse`` with a three-line aiohttp view, so nlu knows no aiohttp.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from .entities.dates import TOKYO
from .interpreter import Interpreter
from .rasa_http import NluBackendError, RasaHttpInterpreter

__all__ = ["MAX_TEXT_LENGTH", "Parser", "create_interpreter", "make_parse_handler"]

MAX_TEXT_LENGTH = 10_000


class Parser(Protocol):
    def parse(self, text: str, *, now: datetime | None = None) -> dict[str, Any]: ...


def create_interpreter(settings: Mapping[str, Any]) -> Parser:
    """``NLU_BACKEND``: ``builtin`` (default) or ``rasa``.

    builtin: ``NLU_MODEL_DIR`` (a trained model) or else ``NLU_DATA`` (Rasa YAML, trained at start-up);
    rasa: ``RASA_URL`` and optional ``RASA_TIMEOUT`` seconds.
    """
    backend = str(settings.get("NLU_BACKEND") or "builtin").lower()
    if backend == "rasa":
        url = settings.get("RASA_URL")
        if not url:
            raise ValueError("NLU_BACKEND=rasa needs RASA_URL (e.g. http://localhost:5005)")
        return RasaHttpInterpreter(str(url), timeout=float(settings.get("RASA_TIMEOUT") or 3.0))
    if backend != "builtin":
        raise ValueError(f"NLU_BACKEND must be 'builtin' or 'rasa', got {backend!r}")
    model_dir = settings.get("NLU_MODEL_DIR")
    if model_dir and (Path(model_dir) / "metadata.json").is_file():
        return Interpreter.load(model_dir)
    data = settings.get("NLU_DATA")
    if not data:
        raise ValueError("builtin NLU needs NLU_MODEL_DIR (a trained model) or NLU_DATA (training YAML)")
    return Interpreter.train(data)


def make_parse_handler(parser: Parser, *, clock: Callable[[], datetime] | None = None
                       ) -> Callable[[Any], tuple[int, dict[str, Any]]]:
    """``handler(body) -> (status, body)``: 200 with the parse result, 400 with a precise error,
    503 when the Rasa backend is unavailable."""
    now = clock or (lambda: datetime.now(TOKYO))

    def handle(body: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(body, dict):
            return 400, {"error": {"field": "", "reason": "body must be a JSON object", "value": type(body).__name__}}
        text = body.get("text")
        if not isinstance(text, str):
            return 400, {"error": {"field": "text", "reason": "required string", "value": text}}
        if len(text) > MAX_TEXT_LENGTH:
            return 400, {"error": {"field": "text", "reason": f"longer than {MAX_TEXT_LENGTH} characters",
                                   "value": len(text)}}
        try:
            return 200, parser.parse(text, now=now())
        except NluBackendError as exc:
            return 503, {"error": {"field": "", "reason": str(exc), "value": None}}

    return handle
