"""The conversation core's typed events and its one postback grammar."""

from __future__ import annotations

import pytest

from conversation.events import InboundEvent, Location, parse_event
from conversation.postback import parse_postback, postback_data


def test_a_line_text_message_is_parsed_once_into_typed_fields() -> None:
    event = parse_event({"type": "message", "replyToken": "r1", "webhookEventId": "e1",
                         "source": {"type": "user", "userId": "U1"},
                         "message": {"type": "text", "id": "m1", "text": " こんにちは "}})
    assert (event.type, event.user_id, event.chat, event.reply_token) == ("message", "U1", None, "r1")
    assert (event.message_type, event.message_id, event.text) == ("text", "m1", " こんにちは ")
    assert event.summary == ("text", " こんにちは ") and event.postback is None and not event.is_media


def test_groups_locations_images_and_unsends() -> None:
    group = parse_event({"type": "join", "source": {"type": "group", "groupId": "G1", "userId": "U1"}})
    assert (group.user_id, group.chat) == (None, ("group", "G1"))
    place = parse_event({"type": "message", "message": {"type": "location", "id": "m2", "latitude": "35",
                                                         "longitude": 139.5, "address": "本町1-1"}})
    assert place.location == Location(35.0, 139.5, "本町1-1", "") and place.is_media
    assert place.summary == ("location", "本町1-1 (35, 139.5)")  # the talk log keeps what was sent
    broken = parse_event({"type": "message", "message": {"type": "location", "latitude": "north"}})
    assert broken.location is None
    photo = parse_event({"type": "message", "message": {"type": "image", "id": "m3"}})
    elsewhere = parse_event({"type": "message", "message": {"type": "image", "id": "m4",
                                                            "contentProvider": {"type": "external"}}})
    assert (photo.has_content, elsewhere.has_content) == (True, False)
    unsend = parse_event({"type": "unsend", "source": {"userId": "U1"}, "unsend": {"messageId": "m1"}})
    assert (unsend.user_id, unsend.unsent_id, unsend.summary) == ("U1", "m1", ("unsend", None))


def test_a_postback_arrives_with_its_fields_and_params() -> None:
    event = parse_event({"type": "postback", "postback": {"data": "action=booking&op=mine",
                                                          "params": {"date": "2025-06-21"}}})
    assert event.postback is not None
    assert dict(event.postback.fields) == {"action": "booking", "op": "mine"}
    assert dict(event.postback.params) == {"date": "2025-06-21"}
    assert InboundEvent.of(event) is event


def test_one_grammar_reads_the_older_offer_spelling_into_the_same_fields() -> None:
    new = postback_data(offer="accept", no="2506-00002")
    assert new == "offer=accept&no=2506-00002"
    assert parse_postback(new) == parse_postback("booking.offer.accept:2506-00002") == {
        "offer": "accept", "no": "2506-00002"}
    assert parse_postback("booking.offer.decline:2506-00002") == {"offer": "decline", "no": "2506-00002"}
    assert parse_postback("richmenu-switch=living") == {"richmenu-switch": "living"}
    assert parse_postback(None) == parse_postback("") == {}
    assert postback_data(action="faq", key=None) == "action=faq"
    with pytest.raises(ValueError):
        postback_data(q="あ" * 40)
