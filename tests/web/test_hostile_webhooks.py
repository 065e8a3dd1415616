"""Hostile webhook requests at the real HTTP endpoint: each refused (401/400/413) or ignored (200),
quickly, with nothing stored and nothing queued."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.faults.helpers import HEADS, queued, signed_body, stored, text_event


@pytest.fixture
def post(live_app):
    session = requests.Session()

    def send(raw: bytes, headers: dict, path: str = "/webhook/zalo"):
        started = time.monotonic()
        try:
            resp = session.post(live_app + path, data=raw, headers=headers, timeout=10)
            status = resp.status_code
        except requests.ConnectionError:
            # The server may answer 413 and close before a huge body is fully written.
            status = "closed"
        return status, time.monotonic() - started

    yield send
    session.close()


def _nested(levels: int) -> bytes:
    return b'{"timestamp":"1700000000000","x":' + b"[" * levels + b"]" * levels + b"}"


CASES = {
    "no signature": lambda s: (signed_body(s, text_event(s, HEADS[0], "qua 1", "m01"))[0], {"Content-Type": "application/json"}),
    "wrong signature": lambda s: (signed_body(s, text_event(s, HEADS[0], "qua 1", "m02"))[0],
                                  {"X-ZEvent-Signature": "mac=" + "0" * 64}),
    "signed with the wrong secret": lambda s: _resigned(s, text_event(s, HEADS[0], "qua 1", "m03"), secret="not-ours"),
    "wrong app id": lambda s: signed_body(s, text_event(s, HEADS[0], "qua 1", "m04", app_id="someone-else")),
    "body not JSON": lambda s: signed_body(s, raw=b"event_name=user_send_text&timestamp=1700000000000"),
    "JSON but not an object": lambda s: signed_body(s, raw=b'["timestamp", "1700000000000"]'),
    "invalid UTF-8": lambda s: signed_body(s, raw=b'{"timestamp":"1700000000000","event_name":"user_send_text","x":"\xff\xfe\xc3("}'),
    "raw NUL byte": lambda s: signed_body(s, raw=json.dumps(text_event(s, HEADS[0], "qua 1", "m05")).encode().replace(b"qua 1", b"qua\x001")),
    "escaped NUL in text": lambda s: signed_body(s, text_event(s, HEADS[0], "qua\u00001", "m06")),
    "nested 30,000 levels": lambda s: signed_body(s, raw=_nested(30_000)),
    "nested 100,000 levels": lambda s: signed_body(s, raw=_nested(100_000)),
    "10 MB body": lambda s: signed_body(s, raw=b'{"timestamp":"1700000000000","x":"' + b"a" * (10 * 1024 * 1024) + b'"}'),
    "valid event without sender": lambda s: signed_body(s, text_event(s, HEADS[0], "qua 1", "m07", sender={})),
    "timestamp not a number": lambda s: signed_body(s, text_event(s, HEADS[0], "qua 1", "m08", timestamp="yesterday")),
    "unknown event name": lambda s: signed_body(s, text_event(s, HEADS[0], "qua 1", "m09", event_name="user_send_hologram")),
    "empty body": lambda s: signed_body(s, raw=b""),
}

EXPECTED = {
    "no signature": 401,
    "wrong signature": 401,
    "signed with the wrong secret": 401,
    "wrong app id": 401,
    "body not JSON": 401,  # no timestamp to check the signature against: unverifiable
    "JSON but not an object": 401,
    "invalid UTF-8": 401,  # signed, but not JSON text: the timestamp cannot be read to verify it
    "raw NUL byte": 401,  # a raw control character is not JSON either
    "escaped NUL in text": 400,
    "nested 30,000 levels": 401,  # the signature check cannot read a timestamp: refused first
    "nested 100,000 levels": 413,  # 200 KB, over the 64 KiB limit before any parsing
    "10 MB body": 413,
    "valid event without sender": 400,
    "timestamp not a number": 401,  # signed over "1700000000000", not "yesterday"
    "unknown event name": 200,
    "empty body": 401,
}


def _resigned(settings, payload, secret):
    from bot.web.signature import compute_signature

    raw = json.dumps(payload).encode()
    mac = compute_signature(settings.zalo_app_id, raw, payload["timestamp"], secret)
    return raw, {"X-ZEvent-Signature": f"mac={mac}"}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_oa_webhook_is_refused_or_ignored_and_nothing_is_stored(case, settings, redis_url, post):
    raw, headers = CASES[case](settings)
    status, seconds = post(raw, headers)
    want = EXPECTED[case]
    if want == 413:
        assert status in (413, "closed"), status
        assert seconds < 2.0, f"413 took {seconds:.2f}s"
    else:
        assert status == want, (case, status)
        assert seconds < 2.0
    events, reports = stored(settings)
    jobs = queued(redis_url)
    print(f"hostile webhook {case!r}: status={status} stored={events}/{reports} queued={jobs}")
    assert (events, reports, jobs) == (0, 0, 0)


def test_413_is_answered_without_reading_a_10_mb_body(settings, live_app):
    """The status must reach the client, not only a reset connection."""
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(live_app)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
    started = time.monotonic()
    conn.putrequest("POST", "/webhook/zalo")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(10 * 1024 * 1024))
    conn.endheaders()
    conn.send(b'{"timestamp":"1700000000000","x":"' + b"a" * 1024)  # and then nothing more
    status = conn.getresponse().status
    conn.close()
    assert status == 413 and time.monotonic() - started < 2.0


BOT_CASES = {
    "no secret token": (b'{"event_name":"message.text.received"}', {}, 401),
    "wrong secret token": (b'{"event_name":"message.text.received"}', {"X-Bot-Api-Secret-Token": "guess"}, 401),
    "not JSON": (b"\x00\x01\x02", {"X-Bot-Api-Secret-Token": "bot-secret-token"}, 400),
    "deep JSON": (b"[" * 30000 + b"]" * 30000, {"X-Bot-Api-Secret-Token": "bot-secret-token"}, 400),
    "unknown update": (json.dumps({"event_name": "message.hologram.received", "message": {
        "message_id": "1", "date": 1700000000000, "chat": {"id": "c"}, "from": {"id": "u"}}}).encode(),
        {"X-Bot-Api-Secret-Token": "bot-secret-token"}, 200),
    "escaped NUL": (json.dumps({"event_name": "message.text.received", "message": {
        "message_id": "2", "date": 1700000000000, "chat": {"id": "c"}, "from": {"id": "u"}, "text": "qua\u00001"}}).encode(),
        {"X-Bot-Api-Secret-Token": "bot-secret-token"}, 400),
}


@pytest.mark.parametrize("case", list(BOT_CASES))
def test_hostile_bot_webhook_is_refused_or_ignored_and_nothing_is_stored(case, settings, redis_url, post):
    raw, headers, want = BOT_CASES[case]
    status, seconds = post(raw, {"Content-Type": "application/json", **headers}, path="/webhook/zalo-bot")
    assert status == want and seconds < 2.0
    events, reports = stored(settings)
    jobs = queued(redis_url)
    print(f"hostile bot webhook {case!r}: status={status} stored={events}/{reports} queued={jobs}")
    assert (events, reports, jobs) == (0, 0, 0)
