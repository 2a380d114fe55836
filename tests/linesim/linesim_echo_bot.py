"""A tiny echo bot for the simulator tests: verifies signatures, replies through linesim."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    ButtonsTemplate,
    Configuration,
    DatetimePickerAction,
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexMessage,
    FlexText,
    MessageAction,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    TemplateMessage,
    TextMessage,
)
from linebot.v3.webhooks import FollowEvent, MessageEvent, PostbackEvent, TextMessageContent

CLIENT = web.AppKey("echo_client", AsyncApiClient)
PARSER = web.AppKey("echo_parser", WebhookParser)


def _answer(event: Any) -> list[Any]:
    if isinstance(event, FollowEvent):
        return [TextMessage(text="友だち追加ありがとうございます")]
    if isinstance(event, PostbackEvent):
        params = event.postback.params or {}
        suffix = " " + ",".join(f"{k}={v}" for k, v in sorted(params.items())) if params else ""
        return [TextMessage(text=f"postback: {event.postback.data}{suffix}")]
    if not isinstance(event, MessageEvent):
        return []
    if not isinstance(event.message, TextMessageContent):
        return [TextMessage(text=f"受け取りました: {event.message.type}")]
    text = event.message.text
    if text == "フレックス":
        bubble = FlexBubble(body=FlexBox(layout="vertical", spacing="md", contents=[
            FlexText(text="施設のご案内", weight="bold", size="lg"),
            FlexText(text="中央図書館 9:00〜19:00", wrap=True),
            FlexButton(style="primary", action=PostbackAction(label="予約する", data="flex=book")),
        ]))
        return [FlexMessage(alt_text="施設のご案内", contents=bubble)]
    if text == "日時":
        picker = DatetimePickerAction(label="日付を選ぶ", data="pick=date", mode="date")
        return [TemplateMessage(alt_text="日付", template=ButtonsTemplate(text="ご希望の日付", actions=[picker]))]
    quick = QuickReply(items=[
        QuickReplyItem(action=MessageAction(label="はい", text="はい")),
        QuickReplyItem(action=PostbackAction(label="いいえ", data="answer=no", display_text="いいえ")),
    ])
    return [TextMessage(text=f"エコー: {text}", quick_reply=quick)]


async def callback(request: web.Request) -> web.Response:
    parser = request.app[PARSER]
    try:
        events = parser.parse(await request.text(), request.headers.get("X-Line-Signature", ""))
    except InvalidSignatureError:
        return web.Response(status=400)
    api = AsyncMessagingApi(request.app[CLIENT])
    for event in events:
        messages = _answer(event)
        if messages and getattr(event, "reply_token", None):
            await api.reply_message(ReplyMessageRequest(reply_token=event.reply_token, messages=messages))
    return web.Response(text="OK")


def create_echo_bot(linesim_url: str, access_token: str, channel_secret: str) -> web.Application:
    app = web.Application()
    app[PARSER] = WebhookParser(channel_secret)

    async def client_ctx(app: web.Application) -> Any:
        app[CLIENT] = AsyncApiClient(Configuration(host=linesim_url, access_token=access_token))
        yield
        await app[CLIENT].close()

    app.cleanup_ctx.append(client_ctx)
    app.router.add_post("/callback", callback)
    return app
