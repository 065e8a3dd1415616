"""WebhookDriver: exact-bytes signatures, forgery switches, the 2 s deadline, redelivery."""

from __future__ import annotations

import json

from bot.web.signature import verify_signature
from bot.zalo.sim import WebhookDriver
from tests.zalo.helpers import Receiver


def make(url="http://127.0.0.1:9/none"):
    return WebhookDriver(url, "app-1", "oa-secret", "oa-1", id_prefix="")


def test_builders_follow_the_documented_shapes():
    with make() as d:
        text = d.build_user_text("u1", "qua 20", timestamp_ms=1543908534740)
        assert text["sender"] == {"id": "u1"} and text["recipient"] == {"id": "oa-1"}
        assert text["timestamp"] == "1543908534740" and len(text["message"]["msg_id"]) == 20
        follow = d.build_follow("u1")
        assert follow["follower"] == {"id": "u1"} and follow["oa_id"] == "oa-1"
        assert "sender" not in follow
        seen = d.build_user_seen("u1", ["m1", "m2"])
        assert seen["sender"] == {"id": "oa-1"} and seen["message"]["msg_ids"] == ["m1", "m2"]
        received = d.build_user_received("u1", "m1")
        assert received["recipient"] == {"id": "u1"} and received["message"]["msg_id"] == "m1"
        echo = d.build_oa_echo("u1", "Đã nhận", "m1")
        assert echo["event_name"] == "oa_send_text" and echo["sender"]["id"] == "oa-1"
        image = d.build_user_image("u1", caption="ảnh")
        assert image["message"]["attachments"][0]["type"] == "image"
        assert d.build_unfollow("u1")["event_name"] == "unfollow"
        assert d.build_user_text("u1", "a")["message"]["msg_id"] != text["message"]["msg_id"]


def test_signature_switches():
    with make() as d:
        body = d.encode(d.build_user_text("u1", "Báo cáo ✅"))
        assert "Báo cáo ✅".encode() in body  # UTF-8, not \\u escapes
        assert verify_signature(body, d.sign(body), "app-1", "oa-secret")
        assert verify_signature(body, d.sign(body, prefix=False), "app-1", "oa-secret")
        assert not verify_signature(body, d.sign(body, secret="other"), "app-1", "oa-secret")
        assert not verify_signature(body + b" ", d.sign(body), "app-1", "oa-secret")


def test_deliver_variants(receiver):
    with WebhookDriver(receiver.url, "app-1", "oa-secret", "oa-1") as d:
        event = d.build_user_text("u1", "x")
        assert d.deliver(event, duplicate=True).statuses == [200, 200]
        d.deliver(event, signature="bare")
        d.deliver(event, signature="wrong_secret")
        d.deliver(event, tamper=True)
        d.deliver(event, signature="none")
    checks = [verify_signature(body, h.get("x-zevent-signature"), "app-1", "oa-secret")
              for h, body in receiver.requests]
    assert checks == [True, True, True, False, False, False]
    assert receiver.requests[0][1] == receiver.requests[1][1]  # the duplicate: same bytes
    assert not receiver.requests[2][0]["x-zevent-signature"].startswith("mac=")


def test_slow_ack_is_a_failure_and_is_redelivered():
    receiver = Receiver(script=[(200, 2.3), 503, 200])
    try:
        with WebhookDriver(receiver.url, "app-1", "oa-secret", "oa-1") as d:
            result = d.deliver(d.build_user_text("u1", "x"), retries=2, ladder=(0.01,))
        assert result.statuses == [None, 503, 200] and result.ok and result.attempts == 3
        assert [h.get("num_retry") for h, _ in receiver.requests] == [None, "1", "2"]
        assert json.loads(receiver.requests[2][1])["message"]["text"] == "x"
    finally:
        receiver.close()


def test_gives_up_after_retries():
    receiver = Receiver(script=[500, 500, 500])
    try:
        with WebhookDriver(receiver.url, "app-1", "oa-secret", "oa-1") as d:
            result = d.deliver(d.build_user_text("u1", "x"), retries=1, ladder=(0.01,))
        assert result.statuses == [500, 500] and not result.ok
    finally:
        receiver.close()
