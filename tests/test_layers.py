"""Import rules between our packages (issue #14): the layers stay layers.

* ``civic/`` (the town's services) imports nothing of ours: every channel builds on it.
* ``conversation/`` (the channel-neutral conversation core) imports only ``civic/``: LINE
  (``bot/``) and the web chat (``liff/webchat``) both run their turns through it.
* ``dialogues/`` (the flows) and ``nlu/`` know no channel: never ``bot/`` or ``liff/``.
* ``liff/`` (the citizen pages, the web chat among them) never imports ``bot/``.

Every ``import`` statement counts, also one inside a function or under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
OURS = {"admin_api", "bench", "bot", "civic", "console", "conversation", "dialogues", "liff", "linesim", "nlu",
        "richmenus"}

#: package → the packages of ours it may import (itself always).
ALLOWED: dict[str, set[str]] = {
    "civic": set(),
    "conversation": {"civic"},
    "nlu": set(),
    "dialogues": OURS - {"bot", "liff", "admin_api", "linesim", "bench", "console"},
    "liff": OURS - {"bot", "linesim", "bench", "console"},
}


def imported(source: str) -> set[str]:
    """The top-level packages a module's source imports (absolute imports only)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def violations(package: str, root: Path = REPO) -> list[str]:
    allowed = ALLOWED[package] | {package}
    out = []
    for path in sorted((root / package).rglob("*.py")):
        for name in sorted((imported(path.read_text(encoding="utf-8")) & OURS) - allowed):
            out.append(f"{path.relative_to(root)} imports {name}")
    return out


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_the_layers_below_it(package: str) -> None:
    assert (REPO / package).is_dir()
    assert violations(package) == []


def test_the_web_chat_runs_turns_through_the_conversation_core() -> None:
    source = (REPO / "liff" / "webchat" / "app.py").read_text(encoding="utf-8")
    assert "conversation" in imported(source) and "bot" not in imported(source)


def test_a_forbidden_import_is_found_even_inside_a_function(tmp_path: Path) -> None:
    (tmp_path / "conversation").mkdir()
    (tmp_path / "conversation" / "ok.py").write_text("from civic.clock import Clock\nimport json\n")
    (tmp_path / "conversation" / "bad.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import liff.identity\n"
        "def f():\n    from bot.turn import Turn\n    return Turn\n")
    assert violations("conversation", tmp_path) == ["conversation/bad.py imports bot",
                                                    "conversation/bad.py imports liff"]
