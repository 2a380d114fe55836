"""Links and images from staff: https only; LINE buttons may also call, mail or open LINE."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from civic.deliveries.content import check_messages
from civic.deliveries.errors import DeliveryProblem
from civic.urls import https_problem, link_problem
from richmenus.spec import MenuSpec

REFUSED = ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>",
           "http://example.jp/a.png", "//example.jp/a.png", "https:/x", "https://", " https://example.jp",
           "https://example.jp/\nx", "vbscript:x", "", None]


@pytest.mark.parametrize("url", REFUSED)
def test_only_https_web_addresses_pass(url) -> None:
    assert https_problem(url) and link_problem(url)


def test_https_passes_and_buttons_may_call_mail_or_open_line() -> None:
    assert https_problem("https://example.jp/施設?a=1#x") is None
    for url in ("tel:0000001111", "mailto:info@town.example.jp", "line://ti/p/@town"):
        assert link_problem(url) is None and https_problem(url)
    assert "https://" in (https_problem("http://example.jp") or "")


def _menu(uri: str) -> dict:
    return {"size": {"width": 2500, "height": 843}, "chat_bar_text": "メニュー",
            "areas": [{"bounds": {"x": 0, "y": 0, "width": 2500, "height": 843}, "label": "町のHP",
                       "action": {"type": "uri", "uri": uri}}]}


@pytest.mark.parametrize("uri", ["javascript:alert(1)", "http://example.jp", "data:text/html,x"])
def test_rich_menu_links_must_be_https(uri: str) -> None:
    with pytest.raises(ValidationError) as exc:
        MenuSpec.model_validate(_menu(uri))
    assert "https://" in str(exc.value)
    assert MenuSpec.model_validate(_menu("https://example.jp")).areas[0].action.uri == "https://example.jp"


def _bubble(uri: str, image: str = "https://example.jp/a.png") -> list[dict]:
    return [{"type": "flex", "altText": "お知らせ", "contents": {
        "type": "bubble", "hero": {"type": "image", "url": image},
        "footer": {"type": "box", "layout": "vertical", "contents": [
            {"type": "button", "action": {"type": "uri", "label": "詳しく", "uri": uri}}]}}}]


@pytest.mark.parametrize("uri", ["javascript:alert(1)", "http://example.jp", "data:text/html,x"])
def test_delivery_buttons_must_link_over_https(uri: str) -> None:
    with pytest.raises(DeliveryProblem) as exc:
        check_messages(_bubble(uri))
    assert exc.value.field == "messages.0.contents.footer.contents.0.action.uri" and "https://" in exc.value.message
    assert check_messages(_bubble("tel:0000001111"))


def test_delivery_images_must_come_over_https() -> None:
    with pytest.raises(DeliveryProblem) as exc:
        check_messages(_bubble("https://example.jp", image="http://example.jp/a.png"))
    assert exc.value.field == "messages.0.contents.hero.url"
    imagemap = [{"type": "imagemap", "baseUrl": "https://example.jp/map", "altText": "地図",
                 "baseSize": {"width": 1040, "height": 1040},
                 "actions": [{"type": "uri", "linkUri": "javascript:alert(1)",
                              "area": {"x": 0, "y": 0, "width": 1040, "height": 1040}}]}]
    with pytest.raises(DeliveryProblem) as exc:
        check_messages(imagemap)
    assert exc.value.field == "messages.0.actions.0.linkUri"
