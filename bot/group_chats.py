"""Groups and rooms: the town's account serves one-to-one chats only.

Someone may add the account to a family group or a multi-person chat ("room"). What citizens
write there is not a conversation with the town: it never reaches the dialogues, never touches a
citizen's conversation state or talk log, and nothing about a citizen is ever sent into a group.
With the ``leave`` policy (``GROUP_POLICY``, the default) the account says once, on ``join``, that
it serves one-to-one chats and leaves; on any other event from a group it is still in (a leave
that failed) it leaves without a word. With ``silent`` it stays and never answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LEAVE = "leave"
SILENT = "silent"
POLICIES = (LEAVE, SILENT)

NOTICE = ("お招きいただきありがとうございます。このアカウントは、お一人おひとりとの1対1のトークでご案内する窓口のため、"
          "グループやトークルームではご利用いただけません。\n"
          "お手数ですが、このアカウントを友だち追加して、1対1のトークでお話しください。"
          "このグループからは退出いたします。")


@dataclass(frozen=True)
class Leave:
    """Leave this group or room once the batch's answers are sent."""

    channel: str
    kind: str
    chat_id: str


@dataclass(frozen=True)
class GroupPolicy:
    mode: str = LEAVE
    notice: str = NOTICE

    def __post_init__(self) -> None:
        if self.mode not in POLICIES:
            raise ValueError(f"group policy must be one of {POLICIES}, not {self.mode!r}")

    def answer(self, event_type: str) -> tuple[list[dict[str, Any]], bool]:
        """(messages to send into the group, whether to leave it) for an event from a group."""
        if self.mode != LEAVE or event_type == "leave":
            return [], False
        if event_type == "join":
            return [{"type": "text", "text": self.notice}], True
        return [], True
