"""No file carries a merge's conflict markers (JavaScript and YAML have no linter here to catch them)."""

from __future__ import annotations

import subprocess

from tests.bot.helpers import REPO

MARKERS = ("<<<<<<< ", ">>>>>>> ")


def test_no_tracked_file_has_conflict_markers() -> None:
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    found = []
    for name in files:
        path = REPO / name
        if not path.is_file() or path.suffix in {".png", ".jpg", ".xlsx", ".pdf", ".ttf", ".onnx", ".gz"}:
            continue
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            continue
        found += [f"{name}:{n}" for n, line in enumerate(lines, 1) if line.startswith(MARKERS)]
    assert found == []
