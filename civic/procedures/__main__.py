"""``python -m civic.procedures check [content/<town>/procedures]``: check the trees staff edited."""

from __future__ import annotations

import sys

from civic.procedures.loader import ContentError, load_content


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "check":
        print("使い方: python -m civic.procedures check [設定フォルダ]", file=sys.stderr)
        return 2
    directory = argv[1] if len(argv) > 1 else "content/midori/procedures"
    try:
        content = load_content(directory)
    except ContentError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"OK: {content.town.name} — ライフイベント {len(content.events)}件、手続き {len(content.catalogue)}件")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
