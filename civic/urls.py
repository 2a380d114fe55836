"""Links and images that staff give us, checked before they reach a citizen's screen.

Web addresses must be ``https:`` (no ``javascript:``, ``data:`` or ``http:``): a thumbnail or a
link shown in LINE, on a LIFF page or in the staff console cannot run script or travel in clear.
Buttons in LINE may also open ``tel:``, ``mailto:`` and ``line://`` addresses.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_URL = 1000
LINK_SCHEMES = ("tel:", "mailto:", "line://")


def https_problem(url: object, *, max_length: int = MAX_URL) -> str | None:
    """Why ``url`` is not an acceptable web address (Japanese), or None when it is."""
    if not isinstance(url, str) or not url:
        return "URL を入力してください。"
    if len(url) > max_length:
        return f"URL は{max_length}文字以内にしてください。"
    if url[:8].lower() != "https://":
        return f"URL は https:// で始まるものにしてください（{url[:40]}）。"
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return "URL に空白や改行は使えません。"
    try:
        hostname = urlsplit(url).hostname
    except ValueError:
        hostname = None
    if not hostname:
        return "URL の形式が正しくありません（https:// の後にホスト名がありません）。"
    return None


def link_problem(url: object, *, max_length: int = MAX_URL) -> str | None:
    """Like ``https_problem``, but a button may also call (``tel:``), mail (``mailto:``) or open LINE (``line://``)."""
    if isinstance(url, str) and url.lower().startswith(LINK_SCHEMES):
        if len(url) > max_length or any(c.isspace() or ord(c) < 0x20 for c in url) or url.endswith((":", "//")):
            return "URL の形式が正しくありません。"
        return None
    problem = https_problem(url, max_length=max_length)
    if problem and isinstance(url, str) and url and not url.lower().startswith("https://"):
        return f"URL は https://（電話は tel:、メールは mailto:）で始まるものにしてください（{url[:40]}）。"
    return problem


def https_url(url: str) -> str:
    """A pydantic ``AfterValidator``: the URL, or ``ValueError`` with the Japanese reason."""
    problem = https_problem(url)
    if problem:
        raise ValueError(problem)
    return url


def link_url(url: str) -> str:
    problem = link_problem(url)
    if problem:
        raise ValueError(problem)
    return url
