"""The webhook driver: plays Zalo's side of ``POST /webhook/zalo`` against our Flask app.

Builds events in the shapes of docs/zalo-platform.md ("Webhook events"), serializes each ONCE
and signs exactly those bytes (``X-ZEvent-Signature: mac=<sha256(app_id + body + timestamp +
oa_secret_key)>``, "Webhook signature"), and delivers like Zalo does: anything but a 200 within
2 s is a failure, redelivered with a ``num_retry`` header on a compressed retry ladder ("Webhook
answer and redelivery").
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field

import requests

from bot.web.signature import compute_signature

ACK_DEADLINE = 2.0  # seconds Zalo waits for the 200
# Zalo's 30 s / 5 min / 15 min / 30 min / 1 h, compressed for tests.
DEFAULT_LADDER = (0.05, 0.1, 0.2, 0.4, 0.8)

_counter = itertools.count(1)
_counter_lock = threading.Lock()


def _next_seq() -> int:
    with _counter_lock:
        return next(_counter)


@dataclass
class DeliveryResult:
    """How a delivery went: the last HTTP status (None: no answer), attempts made, and the
    latency of the last attempt in ms. ``statuses`` lists every attempt's status in order."""

    status: int | None
    attempts: int
    latency_ms: float
    statuses: list = field(default_factory=list)
    latencies_ms: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == 200


class WebhookDriver:
    """Signs and posts OA events to ``target_url`` as Zalo would."""

    def __init__(self, target_url: str, app_id: str, oa_secret_key: str, oa_id: str,
                 session: requests.Session | None = None, *, id_prefix: str | None = None,
                 clock=None):
        self.target_url = target_url
        self.app_id = app_id
        self.oa_secret_key = oa_secret_key
        self.oa_id = oa_id
        self._own_session = session is None
        self.session = session or requests.Session()
        # msg ids: 20 hex digits, a per-driver prefix then a counter (unique across restarts).
        self.id_prefix = id_prefix if id_prefix is not None else f"{int(time.time()):08x}"
        self._ids = itertools.count(1)
        self._ids_lock = threading.Lock()
        self.clock = clock or (lambda: int(time.time() * 1000))  # epoch ms

    # -- ids and time ------------------------------------------------------------------
    def new_msg_id(self) -> str:
        with self._ids_lock:
            n = next(self._ids)
        return f"{self.id_prefix}{n:0{max(1, 20 - len(self.id_prefix))}x}"

    def _ts(self, timestamp_ms) -> str:
        return str(int(self.clock() if timestamp_ms is None else timestamp_ms))

    # -- builders ----------------------------------------------------------------------
    def _envelope(self, event_name: str, sender: str, recipient: str, timestamp_ms) -> dict:
        return {
            "app_id": self.app_id,
            "user_id_by_app": _app_scoped(sender if sender != self.oa_id else recipient),
            "event_name": event_name,
            "timestamp": self._ts(timestamp_ms),
            "sender": {"id": sender},
            "recipient": {"id": recipient},
        }

    def build_user_text(self, user_id: str, text: str, msg_id: str | None = None,
                        timestamp_ms: int | None = None, quote_msg_id: str | None = None) -> dict:
        event = self._envelope("user_send_text", user_id, self.oa_id, timestamp_ms)
        event["message"] = {"msg_id": msg_id or self.new_msg_id(), "text": text}
        if quote_msg_id:
            event["message"]["quote_msg_id"] = quote_msg_id
        return event

    def build_user_image(self, user_id: str, url: str = "https://example.invalid/photo.jpg",
                         caption: str | None = None, msg_id: str | None = None,
                         timestamp_ms: int | None = None) -> dict:
        event = self._envelope("user_send_image", user_id, self.oa_id, timestamp_ms)
        message = {"msg_id": msg_id or self.new_msg_id(),
                   "attachments": [{"type": "image", "payload": {"url": url, "thumbnail": url}}]}
        if caption is not None:
            message["text"] = caption
        event["message"] = message
        return event

    def build_follow(self, user_id: str, timestamp_ms: int | None = None,
                     source: str = "oa_profile") -> dict:
        return self._follow("follow", user_id, timestamp_ms, source)

    def build_unfollow(self, user_id: str, timestamp_ms: int | None = None) -> dict:
        return self._follow("unfollow", user_id, timestamp_ms, "oa_profile")

    def _follow(self, name: str, user_id: str, timestamp_ms, source: str) -> dict:
        return {
            "oa_id": self.oa_id,
            "follower": {"id": user_id},
            "user_id_by_app": _app_scoped(user_id),
            "event_name": name,
            "source": source,
            "app_id": self.app_id,
            "timestamp": self._ts(timestamp_ms),
        }

    def build_user_received(self, user_id: str, message_id: str,
                            timestamp_ms: int | None = None) -> dict:
        """Delivery receipt: sender = OA, recipient = user, ``message.msg_id``."""
        event = self._envelope("user_received_message", self.oa_id, user_id, timestamp_ms)
        event["message"] = {"msg_id": message_id}
        return event

    def build_user_seen(self, user_id: str, message_ids: list[str],
                        timestamp_ms: int | None = None) -> dict:
        """Read receipt: sender = OA, recipient = user, the array ``message.msg_ids``."""
        event = self._envelope("user_seen_message", self.oa_id, user_id, timestamp_ms)
        event["message"] = {"msg_ids": list(message_ids)}
        return event

    def build_oa_echo(self, user_id: str, text: str, message_id: str,
                      timestamp_ms: int | None = None) -> dict:
        """The ``oa_send_text`` echo Zalo emits for the OA's own sends (API sends too)."""
        event = self._envelope("oa_send_text", self.oa_id, user_id, timestamp_ms)
        event["message"] = {"msg_id": message_id, "text": text}
        return event

    # -- bytes and signature -----------------------------------------------------------
    @staticmethod
    def encode(event: dict) -> bytes:
        """Serialize once; these exact bytes are signed and sent."""
        return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def sign(self, body: bytes, *, prefix: bool = True, secret: str | None = None,
             app_id: str | None = None, timestamp: str | None = None) -> str:
        """The ``X-ZEvent-Signature`` value for ``body``: ``mac=<hex>`` or the bare hex.

        ``secret``/``app_id``/``timestamp`` override the real ones to forge bad signatures."""
        if timestamp is None:
            timestamp = str(json.loads(body, parse_int=str).get("timestamp", ""))
        mac = compute_signature(app_id if app_id is not None else self.app_id, body, timestamp,
                                secret if secret is not None else self.oa_secret_key)
        return f"mac={mac}" if prefix else mac

    def headers_for(self, body: bytes, *, signature: str = "mac") -> dict:
        """Headers for ``body``; ``signature`` is ``mac`` | ``bare`` | ``wrong_secret`` | ``none``."""
        headers = {"Content-Type": "application/json"}
        if signature == "mac":
            headers["X-ZEvent-Signature"] = self.sign(body)
        elif signature == "bare":
            headers["X-ZEvent-Signature"] = self.sign(body, prefix=False)
        elif signature == "wrong_secret":
            headers["X-ZEvent-Signature"] = self.sign(body, secret=self.oa_secret_key + "x")
        elif signature != "none":
            raise ValueError(f"unknown signature mode {signature!r}")
        return headers

    # -- delivery ----------------------------------------------------------------------
    def deliver(self, event: dict, *, retries: int = 0, ladder=DEFAULT_LADDER,
                duplicate: bool = False, signature: str = "mac", tamper: bool = False,
                timeout: float = ACK_DEADLINE) -> DeliveryResult:
        """Post ``event`` signed; on failure redeliver up to ``retries`` times along ``ladder``.

        ``duplicate`` posts the same bytes once more after a 200, as Zalo sometimes does.
        ``tamper`` signs the body, then changes one byte of it before sending."""
        body = self.encode(event)
        headers = self.headers_for(body, signature=signature)
        if tamper:
            body = _tampered(body)
        result = DeliveryResult(status=None, attempts=0, latency_ms=0.0)
        for attempt in range(retries + 1):
            if attempt:
                time.sleep(ladder[min(attempt - 1, len(ladder) - 1)] if ladder else 0)
            extra = {"num_retry": str(attempt)} if attempt else {}
            status, latency = self._post(body, {**headers, **extra}, timeout)
            result.attempts += 1
            result.status, result.latency_ms = status, latency
            result.statuses.append(status)
            result.latencies_ms.append(latency)
            if status == 200:
                break
        if duplicate and result.status == 200:
            status, latency = self._post(body, headers, timeout)
            result.statuses.append(status)
            result.latencies_ms.append(latency)
        return result

    def deliver_raw(self, body: bytes, headers: dict | None = None, *,
                    timeout: float = ACK_DEADLINE) -> DeliveryResult:
        """Post arbitrary bytes with arbitrary headers (hostile-input tests)."""
        status, latency = self._post(body, dict(headers or {}), timeout)
        return DeliveryResult(status=status, attempts=1, latency_ms=latency,
                              statuses=[status], latencies_ms=[latency])

    def ping(self) -> DeliveryResult:
        """The unsigned test POST the console sends when the webhook URL is saved."""
        body = self.encode({"app_id": self.app_id, "event_name": "url_save_test",
                            "timestamp": self._ts(None)})
        return self.deliver_raw(body, {"Content-Type": "application/json"})

    def _post(self, body: bytes, headers: dict, timeout: float) -> tuple[int | None, float]:
        started = time.perf_counter()
        try:
            response = self.session.post(self.target_url, data=body, headers=headers,
                                         timeout=timeout)
            status = response.status_code
            response.close()
        except requests.RequestException:
            status = None  # no answer within the deadline counts as a failed delivery
        return status, round((time.perf_counter() - started) * 1000, 2)

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _app_scoped(user_id: str) -> str:
    """A stable app-scoped id, different from the OA-scoped one (they are separate namespaces)."""
    digits = "".join(ch for ch in str(user_id) if ch.isdigit()) or "0"
    return str((int(digits[-18:]) * 7 + 1234567) % 10**18).rjust(18, "5")


def _tampered(body: bytes) -> bytes:
    data = bytearray(body)
    # change a digit of the timestamp or, failing that, the last letter before the end
    for i in range(len(data) - 2, 0, -1):
        if 48 <= data[i] <= 56:
            data[i] += 1
            return bytes(data)
    data[-2] ^= 1
    return bytes(data)
