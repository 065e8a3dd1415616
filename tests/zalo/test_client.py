"""OAClient against the simulator over real HTTP: headers, payloads, typed errors, fallbacks."""

from __future__ import annotations

import logging
import unicodedata

import pytest

from bot.zalo.client import OAClient
from bot.zalo.errors import (
    AttachmentExpired,
    Permanent,
    RateLimited,
    TokenInvalid,
    Transient,
    WindowClosed,
)
from bot.zalo.oauth import TokenManager

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def tokens(sim, redis_client, db_url):
    tm = TokenManager(sim.settings(), redis_client, db_url)
    yield tm
    tm.close()


@pytest.fixture
def oa(sim, tokens):
    client = OAClient(sim.settings(), tokens)
    yield client
    client.close()


def test_send_text_sends_nfc_with_access_token_header(sim, oa):
    sim.add_user("u1")
    decomposed = unicodedata.normalize("NFD", "Đã nhận báo cáo: 20 suất, 10.000.000 đ")
    message_id = oa.send_text("u1", decomposed)
    [sent] = sim.sent()
    assert sent["message_id"] == message_id
    assert sent["text"] == unicodedata.normalize("NFC", decomposed)
    assert sent["path"] == "/v3.0/oa/message/cs" and sent["recipient"] == "u1"


def test_text_over_2000_is_refused_locally(sim, oa):
    sim.add_user("u1")
    with pytest.raises(ValueError, match="^message text is 2001 characters; Zalo takes 2000 "):
        oa.send_text("u1", "a" * 2001)
    with pytest.raises(ValueError, match="^empty message text$"):
        oa.send_text("u1", "   ")
    message_id = oa.send_text("u1", "ệ" * 2000)
    assert [(m["message_id"], m["text"]) for m in sim.sent()] == [(message_id, "ệ" * 2000)]
    assert sim.stats()["requests"]["/v3.0/oa/message/cs"] == 1


def test_quote_is_used_then_dropped_when_zalo_rejects_it(sim, oa, receiver):
    out = sim.post("/__fake/deliver", {"user_id": "u1", "text": "qua 20",
                                       "webhook_url": receiver.url})
    oa.send_text("u1", "Đã ghi nhận", quote_message_id=out["msg_id"])
    assert sim.sent()[-1]["quote_message_id"] == out["msg_id"]
    oa.send_text("u1", "Đã ghi nhận lại", quote_message_id="unknown-msg-id")
    assert sim.sent()[-1]["quote_message_id"] is None
    assert sim.sent()[-1]["text"] == "Đã ghi nhận lại"
    assert sim.stats()["requests"]["/v3.0/oa/message/cs"] == 3


def test_window_errors_are_window_closed(sim, oa):
    sim.add_user("old", last_interaction=None)
    with pytest.raises(WindowClosed) as info:
        oa.send_text("old", "x")
    assert info.value.code == -230
    sim.add_user("nf", follower=False)
    with pytest.raises(WindowClosed) as info:
        oa.send_text("nf", "x")
    assert info.value.code == -213
    with pytest.raises(Permanent) as info:
        oa.send_text("ghost", "x")
    assert info.value.code == -201 and not isinstance(info.value, WindowClosed)


def test_rate_limit_and_transient_classes(sim, oa):
    sim.add_user("u1")
    sim.fail_next("/v3.0/oa/message/cs", "error", error=-32)
    with pytest.raises(RateLimited) as info:
        oa.send_text("u1", "x")
    assert info.value.code == -32 and info.value.retryable
    sim.fail_next("/v3.0/oa/message/cs", "http429")
    with pytest.raises(RateLimited):
        oa.send_text("u1", "x")
    sim.fail_next("/v3.0/oa/message/cs", "http500")
    with pytest.raises(Transient) as info:
        oa.send_text("u1", "x")
    assert info.value.http_status == 500
    sim.fail_next("/v3.0/oa/message/cs", "error", error=-200)
    with pytest.raises(Transient):
        oa.send_text("u1", "x")
    assert sim.sent() == []
    message_id = oa.send_text("u1", "x")  # recovered
    assert [(m["message_id"], m["text"]) for m in sim.sent()] == [(message_id, "x")]


def test_timeout_is_transient_and_post_is_not_resent(sim, tokens):
    sim.add_user("u1")
    client = OAClient(sim.settings(zalo_timeout=0.3), tokens)
    try:
        client.get_oa()  # warm the token
        sim.fail_next("/v3.0/oa/message/cs", "timeout", delay=1.0)
        with pytest.raises(Transient):
            client.send_text("u1", "x")
        assert sim.stats()["requests"]["/v3.0/oa/message/cs"] == 1  # no blind transport retry
    finally:
        client.close()


def test_connection_refused_is_transient(sim, tokens, redis_client, db_url):
    tokens.access_token()
    client = OAClient(sim.settings(zalo_openapi_url="http://127.0.0.1:9"), tokens)
    try:
        with pytest.raises(Transient):
            client.send_text("u1", "x")
        with pytest.raises(Transient):
            client.get_oa()
    finally:
        client.close()


def test_invalid_token_refreshes_once_then_gives_up(sim, oa):
    sim.add_user("u1")
    oa.get_oa()
    sim.fail_next("/v3.0/oa/message/cs", "error", error=-216, count=2)
    with pytest.raises(TokenInvalid):
        oa.send_text("u1", "x")
    assert sim.stats()["refresh_calls"] == 2  # bootstrap + one; never a loop
    assert sim.stats()["requests"]["/v3.0/oa/message/cs"] == 2


def test_expired_token_is_refreshed_and_send_retried(sim, oa):
    sim.add_user("u1")
    oa.send_text("u1", "một")
    sim.advance(26 * 3600)
    sim.add_user("u1")
    oa.send_text("u1", "hai")
    assert [m["text"] for m in sim.sent()] == ["một", "hai"]
    assert sim.stats()["refresh_calls"] == 2


def test_group_sends_and_their_errors(sim, oa):
    sim.post("/__fake/groups", [{"group_id": "g1"}, {"group_id": "g2", "oa_member": False},
                                {"group_id": "g3", "disabled": True}])
    message_id = oa.send_group_text("g1", "Tổng hợp ngày")
    assert [(m["message_id"], m["group_id"], m["text"]) for m in sim.sent(channel="group")] == [
        (message_id, "g1", "Tổng hợp ngày")]
    for gid, code in (("g0", -201), ("g2", -403), ("g3", -237)):
        with pytest.raises(Permanent) as info:
            oa.send_group_text(gid, "x")
        assert info.value.code == code


def test_upload_send_image_and_expiry(sim, oa):
    sim.add_user("u1")
    sim.post("/__fake/groups", {"group_id": "g1"})
    attachment_id = oa.upload_image(PNG, "digest.png")
    oa.send_image("u1", attachment_id, caption="Biểu đồ")
    oa.send_group_image("g1", attachment_id)
    assert [m["attachment_id"] for m in sim.sent()] == [attachment_id, attachment_id]
    with pytest.raises(Permanent) as info:
        oa.upload_image(b"not an image", "x.png")
    assert info.value.code == -210
    with pytest.raises(Permanent) as info:
        oa.upload_image(PNG + b"\x00" * (1024 * 1024), "big.png")
    assert info.value.code == -210
    sim.advance(8 * 86400)
    sim.add_user("u1")
    with pytest.raises(AttachmentExpired) as info:
        oa.send_image("u1", attachment_id)
    assert info.value.code == -100


def test_reads(sim, oa):
    sim.add_user("4572947693969771653", display_name="Nguyễn Văn A")
    assert oa.user_detail("4572947693969771653")["display_name"] == "Nguyễn Văn A"
    assert oa.get_oa()["oa_id"] == sim.config.oa_id
    assert oa.followers()["users"] == [{"user_id": "4572947693969771653"}]
    assert oa.quota("4572947693969771653")["in_window"] is True


def test_v2_endpoint_is_permanent(sim, oa):
    with pytest.raises(Permanent) as info:
        oa._post("/v2.0/oa/message", {})
    assert info.value.code == -240


def test_no_token_in_log_lines(sim, oa, caplog):
    sim.add_user("u1")
    with caplog.at_level(logging.DEBUG):
        oa.send_text("u1", "x")
        sim.advance(26 * 3600)
        sim.add_user("u1")
        oa.send_text("u1", "y")
        sim.fail_next("/v3.0/oa/message/cs", "error", error=-230)
        with pytest.raises(WindowClosed):
            oa.send_text("u1", "z")
    live = sim.get("/__fake/tokens")
    secrets = [*live["access_tokens"], *live["refresh_tokens"], sim.config.app_secret,
               sim.config.initial_refresh_token]
    assert caplog.records
    for record in caplog.records:
        text = record.getMessage() + repr(record.__dict__)
        for secret in secrets:
            assert secret not in text
