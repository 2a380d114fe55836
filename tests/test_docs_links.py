"""Every link in the README and the package READMEs resolves to a file inside the repository
(a newcomer follows them; ``../shared/…`` once pointed outside it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".venv", "var", "node_modules", ".git", "build"}
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|<((?!https?:|mailto:)[^>\s]+\.[A-Za-z]{1,5}[^>\s]*)>")
EXTERNAL = ("http://", "https://", "mailto:", "tel:")


def documents() -> list[Path]:
    found = [p for p in REPO.rglob("*.md") if not SKIP_DIRS & set(p.relative_to(REPO).parts)]
    return sorted(p for p in found if p.name.lower() == "readme.md" or p.parent == REPO / "docs")


def links(text: str) -> list[str]:
    """Link targets outside code (fenced blocks and code spans are examples, not links)."""
    text = CODE.sub("", FENCE.sub("", text))
    return [m.group(1) or m.group(2) for m in LINK.finditer(text)]


def test_the_readmes_are_found() -> None:
    names = {p.relative_to(REPO).as_posix() for p in documents()}
    assert {"README.md", "docs/ARCHITECTURE.md", "nlu/README.md", "linesim/README.md"} <= names


@pytest.mark.parametrize("document", documents(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_link_resolves_inside_the_repository(document: Path) -> None:
    broken = []
    for target in links(document.read_text(encoding="utf-8")):
        if target.startswith(EXTERNAL) or target.startswith("#"):
            continue
        path = (document.parent / target.split("#", 1)[0].split("?", 1)[0]).resolve()
        if not path.is_relative_to(REPO) or not path.exists():
            broken.append(target)
    assert broken == [], f"{document.relative_to(REPO)}: {broken}"


def test_the_checker_sees_a_link_outside_and_ignores_code() -> None:
    text = "See [the spec](../shared/specs/) and <docs/x.md>.\n```\n[a](garbage_item)\n```\n`[b](area)`"
    assert links(text) == ["../shared/specs/", "docs/x.md"]
