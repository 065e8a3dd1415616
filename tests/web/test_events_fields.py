"""The webhook parses once: a job rebuilds the very event from ``to_fields`` without parsing again."""

from __future__ import annotations

from bot.web import events

OA_TEXT = {"app_id": "a", "event_name": "user_send_text", "timestamp": "1795000000000",
           "sender": {"id": "7002"}, "recipient": {"id": "oa"}, "message": {"msg_id": "m1", "text": "qua 5"}}
OA_FOLLOW = {"event_name": "follow", "timestamp": "1795000000000", "follower": {"id": "7003"}}
OA_SEEN = {"event_name": "user_seen_message", "timestamp": "1795000000000", "recipient": {"id": "7004"},
           "message": {"msg_ids": ["a", "b"]}}
BOT_TEXT = {"ok": True, "result": {"event_name": "message.text.received", "message": {
    "message_id": "b1", "date": 1795000000000, "text": "mau 8", "chat": {"id": "c1"},
    "from": {"id": "u9", "display_name": "Lan"}}}}


def test_every_kind_round_trips():
    parsed = (events.parse_event(OA_TEXT), events.parse_event(OA_FOLLOW), events.parse_event(OA_SEEN),
              events.parse_bot_update(BOT_TEXT))
    # each body is the kind it claims (a None or a catch-all kind would round-trip too)
    assert [type(event).__name__ for event in parsed] == ["Message", "Follow", "Receipt", "Message"]
    for event in parsed:
        kind, fields = events.to_fields(event)
        assert kind == type(event).__name__
        assert events.from_fields(kind, fields) == event
