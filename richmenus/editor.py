"""What the staff console's rich-menu editor may offer (``GET /richmenu-accounts``): the chatbot's flows
a postback area can start, the town's LIFF pages a uri area can open, and where the chat simulator is.

The flows are the rich menu's postbacks the dialogue handler starts flows for
(``dialogues.handler.MENU_ACTIONS``; a test keeps the two lists equal).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: (postback data, what staff read) for each flow the rich menu can start (国富町 §9(2)(ウ)①).
FLOWS: tuple[tuple[str, str], ...] = (
    ("action=garbage", "ごみの分別を調べる"),
    ("action=facility", "施設をさがす"),
    ("action=report", "道路などの不具合を通報する"),
    ("action=faq", "よくある質問"),
    ("action=booking", "施設を予約する"),
    ("action=procedure", "手続きナビ"),
)
#: The LIFF pages by their ``Settings.liff_ids`` key, with the names staff know them by.
LIFF_PAGE_NAMES = {"booking": "施設予約", "forms": "受信設定（フォーム）", "procedures": "手続きナビ"}


@dataclass(frozen=True)
class EditorOptions:
    #: The chat simulator's page (linesim), opened on the test account; empty where there is none.
    simulator_url: str = ""
    #: LIFF app ids per page (``Settings.liff_ids``).
    liff_ids: dict[str, str] = field(default_factory=dict)

    def liff_pages(self) -> list[tuple[str, str]]:
        """(name, URL) of each LIFF page with an id, as LINE opens it."""
        return [(LIFF_PAGE_NAMES.get(page, page), f"https://liff.line.me/{liff_id}")
                for page, liff_id in self.liff_ids.items() if liff_id]
