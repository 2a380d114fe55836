"""What a delivery says: up to five messages — text (with LINE emoji), image, imagemap, Flex —
checked with line-bot-sdk's own models and LINE's documented limits (国富町 §9(2)(ア)③), and
links rewritten to our redirect so clicks can be counted.

Messages are LINE Messaging API message objects: deliveries exist to be sent on LINE, so this is
the one place in ``civic`` that knows LINE's message format (and nothing else of LINE).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from linebot.v3.messaging import Message
from pydantic.v1 import ValidationError as V1ValidationError

from civic.deliveries.errors import DeliveryProblem
from civic.urls import https_problem, link_problem

MAX_MESSAGES = 5
MAX_TEXT = 5000
MAX_ALT_TEXT = 1500
MAX_URL = 2000
MAX_FLEX_BYTES = 50_000
KINDS = ("text", "image", "imagemap", "flex", "sticker")
KIND_LABELS = {"text": "テキスト", "image": "画像", "imagemap": "イメージマップ", "flex": "Flex", "sticker": "スタンプ"}
URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'「」（）()、。]+")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _problem(code: str, message: str, field: str) -> DeliveryProblem:
    return DeliveryProblem("invalid", code, message, field)


def _url_ok(url: Any, allow_http: bool) -> bool:
    if allow_http and isinstance(url, str) and url.startswith("http://"):
        return https_problem("https://" + url[7:], max_length=MAX_URL) is None
    return https_problem(url, max_length=MAX_URL) is None


def check_messages(messages: Any, *, allow_http: bool = False) -> list[dict[str, Any]]:
    """The messages in canonical form (as the SDK writes them), or a problem naming the message."""
    if not isinstance(messages, list) or not messages:
        raise _problem("messages_required", "メッセージを1件以上指定してください。", "messages")
    if len(messages) > MAX_MESSAGES:
        raise _problem("too_many_messages", f"メッセージは1回の配信で{MAX_MESSAGES}件までです。", "messages")
    return [_check(m, i, allow_http) for i, m in enumerate(messages)]


def _check(message: Any, i: int, allow_http: bool) -> dict[str, Any]:
    where = f"messages.{i}"
    label = f"メッセージ{i + 1}"
    if not isinstance(message, dict) or message.get("type") not in KINDS:
        raise _problem("message_type", f"{label}: 種類（type）は {', '.join(KINDS)} のいずれかにしてください。",
                       f"{where}.type")
    try:
        parsed = Message.from_dict(message)
    except (V1ValidationError, ValueError, TypeError) as exc:
        raise _problem("invalid_message", f"{label}（{KIND_LABELS[message['type']]}）の形が正しくありません: "
                       f"{_short(exc)}", where) from None
    data = parsed.to_dict()
    kind = data["type"]
    if kind == "text":
        text = data.get("text") or ""
        if not text.strip():
            raise _problem("text_required", f"{label}: 本文を入力してください。", f"{where}.text")
        if utf16_len(text) > MAX_TEXT:
            raise _problem("text_too_long", f"{label}: 本文は{MAX_TEXT}文字以内にしてください。", f"{where}.text")
        _check_emojis(text, data.get("emojis") or [], label, where)
    if "altText" in data and utf16_len(data["altText"] or "") > MAX_ALT_TEXT:
        raise _problem("alt_text_too_long", f"{label}: 代替テキストは{MAX_ALT_TEXT}文字以内にしてください。",
                       f"{where}.altText")
    if kind == "image":
        for key in ("originalContentUrl", "previewImageUrl"):
            if not _url_ok(data.get(key), allow_http):
                raise _problem("image_url", f"{label}: 画像のURLは https:// で始まる{MAX_URL}文字以内にしてください。",
                               f"{where}.{key}")
    if kind == "imagemap" and not _url_ok(data.get("baseUrl"), allow_http):
        raise _problem("image_url", f"{label}: 画像のURL（baseUrl）は https:// で始めてください。", f"{where}.baseUrl")
    _check_links(data, where, label, allow_http)
    if kind == "flex":
        contents = data.get("contents") or {}
        if contents.get("type") == "carousel" and len(contents.get("contents") or []) > 12:
            raise _problem("carousel_too_long", f"{label}: カルーセルのバブルは12個までです。", f"{where}.contents")
        if len(json.dumps(contents, ensure_ascii=False).encode()) > MAX_FLEX_BYTES:
            raise _problem("flex_too_large", f"{label}: Flex メッセージが大きすぎます（50KBまで）。", f"{where}.contents")
    return data


def _check_links(node: Any, where: str, label: str, allow_http: bool) -> None:
    """Buttons open https (or tel:, mailto:, line://) only; images and icons come over https."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            _check_links(item, f"{where}.{i}", label, allow_http)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "uri":
        targets = [(key, node.get(key)) for key in ("uri", "linkUri") if key in node]
        targets += [("altUri.desktop", (node.get("altUri") or {}).get("desktop"))] if node.get("altUri") else []
        for key, target in targets:
            if (problem := link_problem(target, max_length=MAX_URL)) and not (allow_http and _url_ok(target, True)):
                raise _problem("link_url", f"{label}: ボタンのリンク先 — {problem}", f"{where}.{key}")
    for key, value in node.items():
        if isinstance(value, str) and (key == "url" or key.endswith("Url")) and not _url_ok(value, allow_http):
            raise _problem("image_url", f"{label}: 画像などのURLは https:// で始まる{MAX_URL}文字以内にしてください。",
                           f"{where}.{key}")
        elif isinstance(value, dict | list):
            _check_links(value, f"{where}.{key}", label, allow_http)


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:200]


def _check_emojis(text: str, emojis: list[dict[str, Any]], label: str, where: str) -> None:
    """LINE emoji go where the text has a ``$``, by index (counted in UTF-16 units, as LINE does)."""
    units = text.encode("utf-16-le")
    if len(emojis) > 20:
        raise _problem("too_many_emojis", f"{label}: LINE絵文字は20個までです。", f"{where}.emojis")
    for k, emoji in enumerate(emojis):
        index = emoji.get("index")
        if not isinstance(index, int) or not 0 <= index < len(units) // 2 or units[index * 2:index * 2 + 2] != "$".encode(
                "utf-16-le"):
            raise _problem("emoji_index", f"{label}: LINE絵文字{k + 1}の位置（index）が本文の「$」を指していません。",
                           f"{where}.emojis.{k}.index")


def kinds_of(messages: list[dict[str, Any]]) -> str:
    """The kinds in a delivery, as staff read them: "テキスト+画像"."""
    return "+".join(dict.fromkeys(KIND_LABELS.get(m.get("type", ""), m.get("type", "")) for m in messages))


def preview_text(messages: list[dict[str, Any]], limit: int = 60) -> str:
    for m in messages:
        text = m.get("text") or m.get("altText")
        if text:
            return text if len(text) <= limit else text[: limit - 1] + "…"
    return ""


# ---- click tracking --------------------------------------------------------------------------

Shorten = Callable[[str], str]


def rewrite_links(messages: list[dict[str, Any]], shorten: Shorten) -> list[dict[str, Any]]:
    """Each web link (in texts, and in ``uri`` actions of Flex, imagemap and templates) replaced by
    ``shorten(url)``, keeping LINE emoji on their ``$``. Images and icons are left alone."""
    return [_rewrite_message(m, shorten) for m in messages]


def _rewrite_message(message: dict[str, Any], shorten: Shorten) -> dict[str, Any]:
    out = _rewrite_actions(json.loads(json.dumps(message)), shorten)
    if out.get("type") == "text":
        out["text"], out_emojis = _rewrite_text(out["text"], out.get("emojis") or [], shorten)
        if out_emojis:
            out["emojis"] = out_emojis
    return out


def _rewrite_actions(node: Any, shorten: Shorten) -> Any:
    if isinstance(node, dict):
        if node.get("type") == "uri":
            for key in ("uri", "linkUri"):
                if isinstance(node.get(key), str) and node[key].startswith(("http://", "https://")):
                    node[key] = shorten(node[key])
        for key, value in node.items():
            if isinstance(value, dict | list):
                node[key] = _rewrite_actions(value, shorten)
    elif isinstance(node, list):
        return [_rewrite_actions(v, shorten) for v in node]
    return node


def _rewrite_text(text: str, emojis: list[dict[str, Any]], shorten: Shorten) -> tuple[str, list[dict[str, Any]]]:
    parts: list[str] = []
    shift: list[tuple[int, int]] = []  # (UTF-16 position in the old text, change in length after it)
    pos = 0
    for m in URL_IN_TEXT.finditer(text):
        url = m.group(0)
        if "$" in url:
            continue
        new = shorten(url)
        parts.append(text[pos:m.start()])
        parts.append(new)
        shift.append((utf16_len(text[:m.start()]), utf16_len(new) - utf16_len(url)))
        pos = m.end()
    parts.append(text[pos:])
    moved = [dict(e, index=e["index"] + sum(d for at, d in shift if at < e["index"])) for e in emojis]
    return "".join(parts), moved
